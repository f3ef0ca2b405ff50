/**
 * The baseline for bench/thread_start.ts: a bare worker of the runtime that
 * does what a `Thread` does with a function target — compile the function
 * from its source, call it with the args, post the result back, end.
 *
 * @module
 */

interface Task {
  source: string;
  args: unknown[];
}

function run(task: Task): unknown {
  const fn = new Function(`return (${task.source});`)() as (
    ...args: unknown[]
  ) => unknown;
  return fn(...task.args);
}

const scope = globalThis as unknown as {
  postMessage?: (message: unknown) => void;
  addEventListener(
    type: string,
    listener: (event: { data: Task }) => void,
  ): void;
  close?: () => void;
  process: { exit(code?: number): never };
};

if (typeof scope.postMessage === "function") {
  // A web Worker (Deno, Bun): Bun's has no close(), process.exit() ends it.
  scope.addEventListener("message", (event) => {
    scope.postMessage!(run(event.data));
    if (typeof scope.close === "function") scope.close();
    else scope.process.exit(0);
  });
} else {
  // A node:worker_threads Worker; its parentPort queues early messages.
  const { parentPort } = await import("node:worker_threads");
  parentPort!.once("message", (task: Task) => {
    parentPort!.postMessage(run(task));
    parentPort!.close();
  });
}
