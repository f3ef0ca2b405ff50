import { spawnNodeWorker, type WorkerThreads } from "./_node_worker.ts";
import { spawnWebWorker, webWorkerSide } from "./_web_worker.ts";
import { readTextFile } from "./_read_text.ts";
import type { Runtime } from "./types.ts";

/** Whether Deno lets this program read `path` without asking. */
function canRead(path: URL): boolean {
  const deno = (globalThis as unknown as {
    Deno: {
      permissions: {
        querySync(d: { name: "read"; path: URL }): { state: string };
      };
    };
  }).Deno;
  try {
    return deno.permissions.querySync({ name: "read", path }).state ===
      "granted";
  } catch {
    return false;
  }
}

/**
 * The adapter for Deno: its web `Worker` (fastest to start) unless the worker
 * must be unref'd, which only Deno's `node:worker_threads` Worker allows.
 * Built-in modules load only when used, so that a thread starts fast.
 */
export function createDenoRuntime(): Runtime {
  const scope = globalThis as unknown as {
    navigator?: { hardwareConcurrency?: number };
    process: { getBuiltinModule(id: string): unknown };
  };
  return {
    name: "deno",
    hardwareConcurrency: scope.navigator?.hardwareConcurrency ?? 1,
    // Its fast web Worker cannot wait unref'd, and it starts fast enough.
    spareWorkers: false,
    spawn: (url, options = {}) =>
      options.unrefable
        ? spawnNodeWorker(
          scope.process.getBuiltinModule(
            "node:worker_threads",
          ) as WorkerThreads,
          url,
          options.name,
        )
        : spawnWebWorker(url, options.name),
    ...webWorkerSide,
    // Asks nothing: without read permission, Deno would prompt or throw.
    readTextFile: (url) =>
      url.startsWith("file:") && canRead(new URL(url))
        ? readTextFile(url)
        : undefined,
    missingPermission: (url) =>
      url.protocol === "file:" && !canRead(url) ? "--allow-read" : undefined,
  };
}
