import type * as WorkerThreadsModule from "node:worker_threads";
import type { WorkerHandle } from "./types.ts";

/** The `node:worker_threads` module, passed in so that callers may load it lazily. */
export type WorkerThreads = typeof WorkerThreadsModule;

/** Spawns a `node:worker_threads` worker and adapts it to {@linkcode WorkerHandle}. */
export function spawnNodeWorker(
  workerThreads: WorkerThreads,
  url: URL,
  name?: string,
): WorkerHandle {
  const worker = new workerThreads.Worker(url, { name });
  let refed = true;
  return {
    postMessage: (message, transfer) =>
      worker.postMessage(
        message,
        transfer as WorkerThreadsModule.TransferListItem[] | undefined,
      ),
    onMessage: (listener) => {
      worker.on("message", listener);
      // A new 'message' listener refs the worker's port again.
      if (!refed) worker.unref();
    },
    onError: (listener) => worker.on("error", listener),
    onExit: (listener) => worker.on("exit", listener),
    terminate: () => void worker.terminate(),
    ref: () => {
      refed = true;
      worker.ref();
    },
    unref: () => {
      refed = false;
      worker.unref();
    },
  };
}
