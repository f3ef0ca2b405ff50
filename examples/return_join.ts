/**
 * Return values: Python threads need a queue to hand back a result; here
 * `join()` resolves with whatever the target returns (a Promise's value for
 * an async target), and rejects with the target's error.
 *
 * Run: `deno run -A examples/return_join.ts` or `bun examples/return_join.ts`
 */
import { Thread } from "../mod.ts";

function func4Thread(seconds: number): { answer: number; by: string } {
  console.log("thread doing work...");
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
  return { answer: 6 * 7, by: "the thread" };
}

const thread = new Thread({ target: func4Thread, args: [0.5] });
thread.start();
const funcResult = await thread.join();
console.log(`${funcResult.answer} from join, computed by ${funcResult.by}`);

const failing = new Thread({
  target: (): never => {
    throw new RangeError("no answer today");
  },
});
failing.start();
try {
  await failing.join();
} catch (error) {
  console.log(`join() re-raised ${error}`);
}
