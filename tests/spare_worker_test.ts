// Spare workers: spawned ahead of need where the runtime wants them, taken by
// the next thread, never keeping the process alive.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Thread } from "../mod.ts";
import { runtime } from "../src/runtime/detect.ts";
import { libraryUrl, runScript } from "./_helpers.ts";

/** Lets the zero-delay timer that spawns a spare fire. */
const nextTimer = () => new Promise((resolve) => setTimeout(resolve, 0));

test("a spare is spawned once the process started two threads, and taken only for its module", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/spare_policy",
  );
  assert.equal(code, 0, stderr);
  assert.equal(
    stdout,
    `after start 1: false\nafter start 2: ${runtime.spareWorkers}\n` +
      `after a start on another module: ${runtime.spareWorkers}\n` +
      "after start 3: false\nanswer: three\n",
  );
});

test("threads started one after another return their own results and errors", async () => {
  const seen = new Set<number>();
  for (let i = 0; i < 6; i++) {
    const thread = new Thread({
      target: (i: number) => {
        if (i % 3 === 2) throw new RangeError(`thread ${i} failed`);
        return i * 10;
      },
      args: [i],
      name: `seq-${i}`,
    }).start();
    seen.add(thread.ident!);
    if (i % 3 === 2) {
      await assert.rejects(thread.join(), {
        name: "RangeError",
        message: `thread ${i} failed`,
      });
    } else {
      assert.equal(await thread.join(), i * 10);
    }
    assert.equal(thread.isAlive(), false);
    await nextTimer(); // lets the spare for the next thread be spawned
  }
  assert.equal(seen.size, 6, "each thread has its own ident");
});

test("a thread on a spare sees its own name, ident and daemon flag", async () => {
  for (const daemon of [false, true, false]) {
    const thread = new Thread({
      target: async (lib: string) => {
        const { currentThread } = await import(lib);
        const self = currentThread();
        return [self.name, self.ident, self.daemon];
      },
      args: [libraryUrl],
      daemon,
    }).start();
    assert.deepEqual(await thread.join(), [
      thread.name,
      thread.ident,
      daemon,
    ]);
    await nextTimer();
  }
});

test("a non-daemon thread on a spare keeps the process alive until it ends", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/exit_spare",
    { args: ["non-daemon"] },
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "end of main\nthread finished\n");
});

test("a daemon thread on a spare does not keep the process alive", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/exit_spare",
    { args: ["daemon"] },
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "end of main\n");
});
