/**
 * Function-based thread: pass a `target` and its `args`, `start()` it, and
 * `join()` it for the return value. The target travels to the thread as
 * source text, so it uses only its parameters.
 *
 * Run: `deno run -A examples/threads_function.ts` or `bun examples/threads_function.ts`
 */
import { Thread } from "../mod.ts";

function func4Thread(nMax: number = 1_000_000): number {
  let n = 0;
  while (n < nMax) {
    n += 1;
  }
  return n;
}

// Notice how we provide the arguments.
const myThread = new Thread({ target: func4Thread, args: [10_000_000] });
myThread.start();
console.log(`${myThread.name} is counting...`);
console.log(`It counted to ${await myThread.join()}`);
