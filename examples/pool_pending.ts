/**
 * Submits a task and ends the main module without waiting for it: as in
 * Python, the process finishes the pending task before it exits, and then
 * exits by itself (idle workers do not keep it alive).
 * Run: `deno run -A examples/pool_pending.ts [--no-wait | --cancel]`.
 */
import process from "node:process";
import { ThreadPoolExecutor } from "../mod.ts";

const pool = new ThreadPoolExecutor({ maxWorkers: 3 });
pool.submit(async (message: string) => {
  await new Promise((resolve) => setTimeout(resolve, 200));
  console.log(message);
}, "apple");
if (process.argv.includes("--no-wait")) {
  void pool.shutdown({ wait: false });
} else if (process.argv.includes("--cancel")) {
  void pool.shutdown({ wait: false, cancelFutures: true });
}
