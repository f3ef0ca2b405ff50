import * as workerThreads from "node:worker_threads";
import type { ParentHandle, WorkerHandle } from "./types.ts";

/** Spawns a `node:worker_threads` worker and adapts it to {@linkcode WorkerHandle}. */
export function spawnNodeWorker(url: URL, name?: string): WorkerHandle {
  const worker = new workerThreads.Worker(url, { name });
  let refed = true;
  return {
    postMessage: (message, transfer) =>
      worker.postMessage(
        message,
        transfer as workerThreads.TransferListItem[] | undefined,
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

/** This worker's `parentPort` as a {@linkcode ParentHandle}, or `null`. */
export function nodeParent(): ParentHandle | null {
  const port = workerThreads.parentPort;
  if (port === null) return null;
  const listeners: ((message: unknown) => void)[] = [];
  return {
    postMessage: (message, transfer) =>
      port.postMessage(
        message,
        transfer as workerThreads.TransferListItem[] | undefined,
      ),
    onMessage: (listener) => {
      listeners.push(listener);
      port.on("message", listener);
    },
    close: () => {
      for (const listener of listeners.splice(0)) port.off("message", listener);
    },
  };
}
