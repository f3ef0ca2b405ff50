/**
 * A `bun:test` suite checked for leaks after every test: `afterEach` calls
 * `assertNoLeaks()`. Under `bun test` an error in a thread nobody joined is
 * easy to miss; the check fails the test that started that thread.
 *
 * Run: `bun test ./examples/testing/bun_test.ts`.
 */
import { afterEach, expect, test } from "bun:test";
import { type ExceptHookArgs, Lock, Thread } from "../../mod.ts";
import { assertNoLeaks, LeakError } from "../../testing.ts";

afterEach(() => assertNoLeaks());

test("four threads count under a lock", async () => {
  const lock = new Lock();
  const total = new Int32Array(new SharedArrayBuffer(4));
  const threads = [0, 1, 2, 3].map(() =>
    new Thread({
      target: (lock: Lock, total: Int32Array) => {
        for (let i = 0; i < 1000; i++) {
          lock.acquireSync();
          total[0] += 1;
          lock.release();
        }
      },
      args: [lock, total],
    }).start()
  );
  for (const thread of threads) await thread.join();
  expect(total[0]).toBe(4000);
});

test("an unjoined thread's error is reported by the check", async () => {
  const hook = Thread.excepthook;
  Thread.excepthook = (_: ExceptHookArgs) => {}; // keep stderr quiet here
  try {
    const thread = new Thread({
      target: () => {
        throw new Error("lost?");
      },
    }).start();
    while (thread.isAlive()) await Bun.sleep(5);
    const error = await assertNoLeaks().catch((e) => e);
    expect(error).toBeInstanceOf(LeakError);
    expect(error.message).toContain("nobody joined it: Error: lost?");
  } finally {
    Thread.excepthook = hook;
  }
});
