import { writeSync } from "node:fs";
import { availableParallelism } from "node:os";
import process from "node:process";
import { isMainThread } from "node:worker_threads";
import { spawnWebWorker, webParent } from "./_web_worker.ts";
import type { Runtime } from "./types.ts";

/** The adapter for Bun: its web `Worker`, which starts fastest and can be unref'd. */
export function createBunRuntime(): Runtime {
  return {
    name: "bun",
    hardwareConcurrency: availableParallelism(),
    spawn: (url, options = {}) => spawnWebWorker(url, options.name),
    parent: () => (isMainThread ? null : webParent()),
    exitThread: () => process.exit(0),
    onThreadExit: (hook) => process.on("exit", hook),
    onUncaughtError: (hook) => {
      process.on("uncaughtException", hook);
      process.on("unhandledRejection", hook);
      // Under `bun test`, a worker's unhandled rejection skips the process
      // events and arrives here instead (and the worker then ends).
      const scope = globalThis as unknown as {
        addEventListener(
          type: string,
          listener: (
            event: { error?: unknown; preventDefault(): void },
          ) => void,
        ): void;
      };
      if (!isMainThread) {
        scope.addEventListener("error", (event) => {
          event.preventDefault();
          hook(event.error);
        });
      }
    },
    writeStderr: (text) => void writeSync(2, text),
  };
}
