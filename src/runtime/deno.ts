import { writeSync } from "node:fs";
import process from "node:process";
import { nodeParent, spawnNodeWorker } from "./_node_worker.ts";
import { spawnWebWorker, webParent } from "./_web_worker.ts";
import type { Runtime } from "./types.ts";

interface DenoGlobal {
  exit(code?: number): never;
  exitCode?: number;
}

/**
 * The adapter for Deno: its web `Worker` (fastest to start) unless the worker
 * must be unref'd, which only Deno's `node:worker_threads` Worker allows.
 */
export function createDenoRuntime(): Runtime {
  const deno = (globalThis as unknown as { Deno: DenoGlobal }).Deno;
  const scope = globalThis as unknown as {
    addEventListener(type: string, listener: (event: Event) => void): void;
    close?: () => void;
  };
  return {
    name: "deno",
    hardwareConcurrency: navigatorCores(),
    spawn: (url, options = {}) =>
      options.unrefable
        ? spawnNodeWorker(url, options.name)
        : spawnWebWorker(url, options.name),
    parent: () =>
      nodeParent() ?? (typeof scope.close === "function" ? webParent() : null),
    exitThread: () => deno.exit(0),
    onThreadExit: (hook) =>
      scope.addEventListener(
        "unload",
        () => hook(Number(deno.exitCode ?? process.exitCode ?? 0)),
      ),
    onUncaughtError: (hook) => {
      scope.addEventListener("error", (event) => {
        event.preventDefault();
        hook((event as ErrorEvent).error);
      });
      scope.addEventListener("unhandledrejection", (event) => {
        event.preventDefault();
        hook((event as PromiseRejectionEvent).reason);
      });
    },
    writeStderr: (text) => void writeSync(2, text),
  };
}

function navigatorCores(): number {
  const nav =
    (globalThis as unknown as { navigator?: { hardwareConcurrency?: number } })
      .navigator;
  return nav?.hardwareConcurrency ?? 1;
}
