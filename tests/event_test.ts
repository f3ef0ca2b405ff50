import assert from "node:assert/strict";
import { test } from "node:test";
import { Event, Thread } from "../mod.ts";
import { joinAll, sharedInts, until } from "./_sync.ts";

test("Event.set() and clear() switch isSet()", () => {
  const event = new Event();
  assert.equal(event.isSet(), false);
  event.set();
  assert.equal(event.isSet(), true);
  event.set();
  assert.equal(event.isSet(), true);
  event.clear();
  assert.equal(event.isSet(), false);
  event.clear();
  assert.equal(event.isSet(), false);
});

test("Event.wait() and waitSync() time out with false and return true once set", async () => {
  const event = new Event();
  assert.equal(event.waitSync({ timeout: 0 }), false);
  assert.equal(await event.wait({ timeout: 0 }), false);
  let start = performance.now();
  assert.equal(event.waitSync({ timeout: 20 }), false);
  assert.ok(performance.now() - start >= 19);
  start = performance.now();
  assert.equal(await event.wait({ timeout: 20 }), false);
  assert.ok(performance.now() - start >= 19);
  event.set();
  assert.equal(event.waitSync({ timeout: 0 }), true);
  assert.equal(await event.wait({ timeout: 0 }), true);
  assert.equal(event.waitSync(), true);
  assert.equal(await event.wait(), true);
});

test("Event.wait() returns true when set() happened during the wait, even if clear() followed", async () => {
  const event = new Event();
  const waiting = [event.wait(), event.wait({ timeout: 60_000 })];
  event.set();
  event.clear();
  assert.deepEqual(await Promise.all(waiting), [true, true]);
  assert.equal(await event.wait({ timeout: 5 }), false);
});

test("Event rejects bad options at once", () => {
  const event = new Event();
  event.set();
  assert.throws(() => event.waitSync({ timeout: -1 }), RangeError);
  assert.throws(() => event.wait({ timeout: -1 }), RangeError);
  assert.throws(
    () => event.wait({ timeout: "1" as unknown as number }),
    /Cannot wait for event as 'timeout' must be a non-negative number of milliseconds: received "1" \(string\)/,
  );
  assert.throws(
    () => event.wait({ signal: {} as AbortSignal }),
    TypeError,
  );
});

test("Event.wait() rejects with the signal's reason; the other waiters are still woken", async () => {
  const event = new Event();
  const controller = new AbortController();
  const aborted = event.wait({ signal: controller.signal });
  const other = event.wait();
  controller.abort(new Error("stop waiting"));
  await assert.rejects(aborted, /stop waiting/);
  event.set();
  assert.equal(await other, true);
});

test("Event.set() wakes every waiting thread, twice over, and again after clear()", async () => {
  const event = new Event();
  for (let round = 0; round < 2; round++) {
    const ready = sharedInts(1);
    const waiters = Array.from({ length: 5 }, (_, i) =>
      new Thread({
        target: async (event: Event, ready: Int32Array, useAsync: boolean) => {
          Atomics.add(ready, 0, 1);
          if (useAsync) {
            return [
              await event.wait({ timeout: 30_000 }),
              await event.wait({ timeout: 30_000 }),
            ];
          }
          return [
            event.waitSync({ timeout: 30_000 }),
            event.waitSync({ timeout: 30_000 }),
          ];
        },
        args: [event, ready, i % 2 === 0],
      }).start());
    const mine = event.wait({ timeout: 30_000 });
    await until(() => Atomics.load(ready, 0) === 5, "every waiter started");
    event.set();
    assert.deepEqual(await joinAll(waiters), Array(5).fill([true, true]));
    assert.equal(await mine, true);
    event.set();
    event.clear();
  }
});

test("Event wakes threads blocked in waitSync() although clear() follows set() at once", async () => {
  const event = new Event();
  const done = sharedInts(1);
  const waiters = Array.from({ length: 4 }, () =>
    new Thread({
      target: (event: Event, done: Int32Array) => {
        const result = event.waitSync({ timeout: 30_000 });
        Atomics.add(done, 0, 1);
        return result;
      },
      args: [event, done],
    }).start());
  while (Atomics.load(done, 0) < 4) {
    event.set();
    event.clear();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.deepEqual(await joinAll(waiters), [true, true, true, true]);
  assert.equal(event.isSet(), false);
});

test("Event.toString() reads like Python's repr; Event travels as a subclass field", async () => {
  const event = new Event();
  assert.match(String(event), /^<threading\.Event at 0x[0-9a-f]+: unset>$/);
  class Setter extends Thread {
    ready = event;
    override run(): void {
      this.ready.set();
    }
  }
  await new Setter().start().join();
  assert.match(String(event), /^<threading\.Event at 0x[0-9a-f]+: set>$/);
});
