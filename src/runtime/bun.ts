import { spawnWebWorker, webWorkerSide } from "./_web_worker.ts";
import { readTextFile } from "./_read_text.ts";
import type { Runtime } from "./types.ts";

/**
 * The adapter for Bun: its web `Worker`, which starts fastest and can be
 * unref'd. It loads no built-in module: each one costs a thread's worker
 * milliseconds at start in Bun.
 */
export function createBunRuntime(): Runtime {
  const nav = (globalThis as unknown as {
    navigator: { hardwareConcurrency: number };
  }).navigator;
  return {
    name: "bun",
    hardwareConcurrency: nav.hardwareConcurrency,
    spareWorkers: true,
    spawn: (url, options = {}) => spawnWebWorker(url, options.name),
    ...webWorkerSide,
    readTextFile,
    missingPermission: () => undefined,
  };
}
