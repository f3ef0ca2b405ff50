import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  moduleFunction,
  RLock,
  Semaphore,
  Thread,
} from "../mod.ts";
import type { Primitives, useAll } from "./fixtures/sync_primitives.ts";
import { fixtureUrl, libraryUrl } from "./_helpers.ts";

function primitives(): Primitives {
  return {
    lock: new Lock(),
    rlock: new RLock(),
    sem: new Semaphore(0),
    bounded: new BoundedSemaphore(2),
    event: new Event(),
    cond: new Condition(new Lock()),
    barrier: new Barrier(2),
  };
}

/** Meets the thread at the barrier, then checks the marks it left. */
async function checkMarks(
  p: Primitives,
  thread: Thread<string[]>,
): Promise<void> {
  const mine = await p.barrier.wait({ timeout: 30_000 });
  const seen = await thread.join();
  assert.deepEqual(seen.slice(0, 2), ["classes", "RangeError"]);
  assert.deepEqual([seen[2], `index ${mine}`].sort(), ["index 0", "index 1"]);
  assert.equal(p.lock.locked(), true);
  assert.match(String(p.rlock), new RegExp(`owner=${thread.ident} count=2`));
  assert.equal(p.sem.value, 3);
  assert.equal(p.bounded.value, 1);
  assert.equal(p.event.isSet(), true);
  assert.equal(p.cond.locked(), true);
  assert.equal(p.barrier.nWaiting, 0);
}

test("Every primitive arrives live in a thread's args, also nested deep inside them", async () => {
  const p = primitives();
  const thread = new Thread<string[]>({
    target: moduleFunction<typeof useAll>(
      fixtureUrl("sync_primitives"),
      "useAll",
    ),
    args: [libraryUrl, p],
  }).start();
  await checkMarks(p, thread);

  const nested = primitives();
  const viaObject = new Thread<string[]>({
    target: async (
      fixture: string,
      lib: string,
      box: { inner: [{ all: Primitives }] },
    ) => {
      const { useAll } = await import(fixture);
      return useAll(lib, box.inner[0].all);
    },
    args: [fixtureUrl("sync_primitives"), libraryUrl, {
      inner: [{ all: nested }],
    }],
  }).start();
  await checkMarks(nested, viaObject);
});

test("Every primitive arrives live as a field of a Thread subclass", async () => {
  const p = primitives();
  class User extends Thread<string[]> {
    fixture = fixtureUrl("sync_primitives");
    lib = libraryUrl;
    lock = p.lock;
    rlock = p.rlock;
    sem = p.sem;
    bounded = p.bounded;
    event = p.event;
    cond = p.cond;
    barrier = p.barrier;
    override async run(): Promise<string[]> {
      const { useAll } = await import(this.fixture);
      return useAll(this.lib, this);
    }
  }
  await checkMarks(p, new User().start());
});
