import { writeSync } from "node:fs";
import { availableParallelism } from "node:os";
import process from "node:process";
import { nodeParent, spawnNodeWorker } from "./_node_worker.ts";
import type { Runtime } from "./types.ts";

/** The adapter for Node.js: `node:worker_threads` for every worker. */
export function createNodeRuntime(): Runtime {
  return {
    name: "node",
    hardwareConcurrency: availableParallelism(),
    spawn: (url, options = {}) => spawnNodeWorker(url, options.name),
    parent: nodeParent,
    exitThread: () => process.exit(0),
    onThreadExit: (hook) => process.on("exit", hook),
    onUncaughtError: (hook) => {
      process.on("uncaughtException", hook);
      process.on("unhandledRejection", hook);
    },
    writeStderr: (text) => void writeSync(2, text),
  };
}
