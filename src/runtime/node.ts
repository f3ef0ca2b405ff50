import { writeSync } from "node:fs";
import { availableParallelism } from "node:os";
import process from "node:process";
import * as workerThreads from "node:worker_threads";
import { spawnNodeWorker } from "./_node_worker.ts";
import { readTextFile } from "./_read_text.ts";
import type { Runtime } from "./types.ts";
import { exitThread, nodeParent, onUncaughtError } from "./worker_scope.ts";

/** The adapter for Node.js: `node:worker_threads` for every worker. */
export function createNodeRuntime(): Runtime {
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
    writeStderr: (text) => void writeSync(2, text),
    readTextFile,
    missingPermission: () => undefined,
  };
}
