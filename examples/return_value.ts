/**
 * Return values from threads, the way the Python primer does it: the thread
 * puts its result on a queue and the main thread gets it from there.
 *
 * ```python
 * def func_4_thread(q_out: Queue) -> None:
 *     print("thread doing work...")
 *     func_result = func()
 *     q_out.put(func_result)
 *
 * func_result_queue: Queue = Queue(maxsize=0)
 * thread = Thread(target=func_4_thread, args=(func_result_queue,))
 * thread.start()
 * func_result = func_result_queue.get()
 * print(func_result, "from queue")
 * ```
 *
 * (`thread.join()` returns the target's value too; the queue is how threads
 * hand back several results, or results before they end.)
 *
 * Run: `deno run -A examples/return_value.ts` or `bun examples/return_value.ts`
 * (Node: `node .node-test/examples/return_value.js` after
 * `deno run -A scripts/build_npm.ts --tests`).
 */
import { Queue, Thread } from "../mod.ts";

/** The thread's target: does the work and puts the result on `qOut`. */
function func4Thread(qOut: Queue<number>): void {
  console.log("thread doing work...");
  // func(): some real work in place of the primer's time.sleep(5).
  let funcResult = 0;
  for (let i = 1; i <= 10_000_000; i++) funcResult += i % 7;
  qOut.putSync(funcResult);
}

const funcResultQueue = new Queue<number>(0);
const thread = new Thread({ target: func4Thread, args: [funcResultQueue] });
thread.start();
const funcResult = await funcResultQueue.get();
console.log(funcResult, "from queue");
await thread.join();
