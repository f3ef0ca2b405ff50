/**
 * A `node:test` suite checked for leaks after every test: `afterEach` calls
 * `assertNoLeaks()`, which fails the test that left a thread running, an
 * executor open, a wait pending or a thread's error unjoined. `node:test`
 * runs unchanged under `deno test` and `bun test` too.
 *
 * Run: `node --test .node-test/examples/testing/node_test.js` (after
 * `deno run -A scripts/build_npm.ts --tests`), `deno test -A
 * examples/testing/node_test.ts` or `bun test ./examples/testing/node_test.ts`.
 */
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { Queue, Thread, ThreadPoolExecutor } from "../../mod.ts";
import { assertNoLeaks, LeakError } from "../../testing.ts";

afterEach(() => assertNoLeaks());

test("a thread's result comes back from join()", async () => {
  const thread = new Thread({
    target: (a: number, b: number) => a * b,
    args: [6, 7],
  });
  assert.equal(await thread.start().join(), 42);
});

test("a pool squares numbers, and `await using` shuts it down", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const squares: number[] = [];
  for await (const n of pool.map((x: number) => x * x, [1, 2, 3])) {
    squares.push(n);
  }
  assert.deepEqual(squares, [1, 4, 9]);
});

test("a forgotten pool is named by the check", async () => {
  const pool = new ThreadPoolExecutor({
    maxWorkers: 1,
    threadNamePrefix: "forgotten",
  });
  const error = await assertNoLeaks().catch((e) => e);
  assert.ok(error instanceof LeakError);
  assert.match(error.message, /executor forgotten was not shut down/);
  await pool.shutdown(); // so that afterEach finds nothing more
});

test("a queue carries an item from a thread", async () => {
  const queue = new Queue<string>();
  const thread = new Thread({
    target: (q: Queue<string>) => q.putSync("hello"),
    args: [queue],
  }).start();
  assert.equal(await queue.get(), "hello");
  await thread.join();
});
