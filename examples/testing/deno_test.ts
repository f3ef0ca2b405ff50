/**
 * A `Deno.test` suite checked for leaks: each test's function is wrapped in
 * `withLeakCheck()`, which fails it when it left a thread running, an
 * executor open, a wait pending or a thread's error unjoined.
 *
 * Run: `deno test -A examples/testing/deno_test.ts`.
 */
import assert from "node:assert/strict";
import { Event, Thread, ThreadPoolExecutor } from "../../mod.ts";
import { assertNoLeaks, LeakError, withLeakCheck } from "../../testing.ts";

Deno.test(
  "a thread waits for an event",
  withLeakCheck(async () => {
    const ready = new Event();
    const thread = new Thread({
      target: (ready: Event) => ready.waitSync({ timeout: 10_000 }),
      args: [ready],
    }).start();
    ready.set();
    assert.equal(await thread.join(), true);
  }),
);

Deno.test(
  "futures resolve in a pool",
  withLeakCheck(async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
    const futures = [1, 2, 3].map((n) => pool.submit((x: number) => x + 1, n));
    assert.deepEqual(await Promise.all(futures), [2, 3, 4]);
  }),
);

Deno.test("a thread left running is named by the check", async () => {
  const stop = new Event();
  const thread = new Thread({
    target: (stop: Event) => stop.waitSync(),
    args: [stop],
    name: "left-running",
  }).start();
  const error = await assertNoLeaks().catch((e) => e);
  assert.ok(error instanceof LeakError);
  assert.equal(error.leaks[0].name, "left-running");
  stop.set();
  await thread.join();
});
