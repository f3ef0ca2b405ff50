import type { ParentHandle, Runtime, WorkerHandle } from "./types.ts";
import * as scope from "./worker_scope.ts";

/** The subset of the web `Worker` that the adapters use. */
export interface WebWorker {
  postMessage(message: unknown, transfer?: object[]): void;
  addEventListener(
    type: string,
    listener: (event: WebWorkerEvent) => void,
  ): void;
  terminate(): void;
  ref?: () => void;
  unref?: () => void;
}

/** The fields of the events a web `Worker` dispatches. */
export interface WebWorkerEvent {
  data?: unknown;
  error?: unknown;
  message?: string;
  preventDefault?: () => void;
}

type WebWorkerConstructor = new (
  url: URL,
  options: { type: "module"; name?: string },
) => WebWorker;

/** Spawns a web `Worker` and adapts it to {@linkcode WorkerHandle}. */
export function spawnWebWorker(url: URL, name?: string): WorkerHandle {
  const Ctor =
    (globalThis as unknown as { Worker: WebWorkerConstructor }).Worker;
  const worker = new Ctor(url, { type: "module", name });
  const exitListeners: ((code: number) => void)[] = [];
  let ended = false;
  const end = (code: number) => {
    if (ended) return;
    ended = true;
    for (const listener of exitListeners) listener(code);
  };
  worker.addEventListener("close", () => end(0));
  return {
    postMessage: (message, transfer) =>
      worker.postMessage(message, (transfer ?? []) as Transferable[]),
    onMessage: (listener) =>
      worker.addEventListener("message", (event) => listener(event.data)),
    onError: (listener) =>
      worker.addEventListener("error", (event) => {
        event.preventDefault?.();
        listener(event.error ?? new Error(event.message ?? "worker error"));
        end(1);
      }),
    onExit: (listener) => exitListeners.push(listener),
    terminate: () => {
      worker.terminate();
      end(1);
    },
    ref: () => worker.ref?.(),
    unref: () => worker.unref?.(),
  };
}

/**
 * The worker side of a runtime whose threads are web `Worker`s (Deno, Bun):
 * the global scope's parent port, exit and stderr.
 */
export const webWorkerSide: Pick<
  Runtime,
  "parent" | "exitThread" | "onThreadExit" | "onUncaughtError" | "writeStderr"
> = {
  // Synchronous here: only a Node before 20.16 gets a Promise.
  parent: () => scope.findParent() as ParentHandle | null,
  exitThread: scope.exitThread,
  onThreadExit: scope.onThreadExit,
  onUncaughtError: scope.onUncaughtError,
  writeStderr: scope.writeStderr,
};
