/**
 * Many small tasks: one `Thread` per task pays for a new worker each time; a
 * `ThreadPoolExecutor` starts a few workers once and reuses them. Prints both
 * times. Run: `deno run -A examples/pool.ts` (or `bun examples/pool.ts`).
 */
import { Thread, ThreadPoolExecutor } from "../mod.ts";

const tasks = 40;
const work = (n: number): number => {
  let sum = 0;
  for (let i = 0; i < 10_000; i++) sum += (i * n) % 7;
  return sum;
};

let started = performance.now();
let threadTotal = 0;
for (let batch = 0; batch < tasks; batch += 4) {
  const threads = [0, 1, 2, 3].map((i) =>
    new Thread({ target: work, args: [batch + i] }).start()
  );
  for (const thread of threads) threadTotal += await thread.join();
}
const threadMs = performance.now() - started;

started = performance.now();
let poolTotal = 0;
{
  await using pool = new ThreadPoolExecutor({ maxWorkers: 4 });
  for await (
    const sum of pool.map(work, Array.from({ length: tasks }, (_, i) => i))
  ) poolTotal += sum;
}
const poolMs = performance.now() - started;

if (poolTotal !== threadTotal) throw new Error("the results differ");
console.log(`${tasks} tasks, one Thread each: ${threadMs.toFixed(0)} ms`);
console.log(`${tasks} tasks, ThreadPoolExecutor:  ${poolMs.toFixed(0)} ms`);
console.log(`the pool was ${(threadMs / poolMs).toFixed(1)}x faster`);
