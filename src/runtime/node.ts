import { availableParallelism } from "node:os";
import * as workerThreads from "node:worker_threads";
import { spawnNodeWorker } from "./_node_worker.ts";
import { readTextFile } from "./_read_text.ts";
import type { Runtime } from "./types.ts";
import {
  exitThread,
  nodeParent,
  onUncaughtError,
  writeStderr,
} from "./worker_scope.ts";

/**
 * The adapter for Node.js: `node:worker_threads` for every worker. Deno and
 * Bun load this module too (the runtime is chosen at run time), so it
 * imports no more built-in modules than it must: each costs their workers
 * milliseconds at start.
 */
export function createNodeRuntime(): Runtime {
  const process = (globalThis as unknown as {
    process: { on(event: "exit", hook: (code: number) => void): void };
  }).process;
  return {
    name: "node",
    hardwareConcurrency: availableParallelism(),
    spareWorkers: true,
    spawn: (url, options = {}) =>
      spawnNodeWorker(workerThreads, url, options.name),
    parent: () => nodeParent(workerThreads),
    exitThread,
    onThreadExit: (hook) => process.on("exit", hook),
    onUncaughtError,
    writeStderr,
    readTextFile,
    missingPermission: () => undefined,
  };
}
