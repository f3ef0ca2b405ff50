/**
 * Joining a thread: the main thread waits for the new thread to finish, as in
 * SuperFastPython's example. `join()` returns a Promise (the event loop keeps
 * running); `joinSync()` would block like Python's `join()`.
 *
 * Run: `deno run -A examples/join.ts` or `bun examples/join.ts`
 */
import { Thread } from "../mod.ts";

// A simple task that blocks for a moment and prints a message.
function task(): void {
  // time.sleep(1): blocking is fine inside a thread.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  console.log("This is coming from another thread");
}

const thread = new Thread({ target: task });
// Start the task in a new thread.
thread.start();
console.log("Waiting for the new thread to finish...");
// Ask the main thread to wait for this thread to finish.
await thread.join();
