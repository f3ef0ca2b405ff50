/**
 * What code inside a worker needs from its runtime: its parent, exit and
 * error hooks, ending the thread, writing to stderr. This module imports
 * nothing and loads no built-in module until one is used, because starting a
 * thread costs mostly the modules its worker loads (each one adds about half
 * a millisecond in Bun); a thread's worker entry imports only this module.
 * The full adapters (`deno.ts`, `bun.ts`, `node.ts`) reuse it.
 *
 * @module
 */

/** The worker's handle on its parent, inside a worker. */
export interface ParentHandle {
  /** Sends a message to the parent. */
  postMessage(message: unknown, transfer?: object[]): void;
  /** Listens for messages from the parent. */
  onMessage(listener: (message: unknown) => void): void;
  /** Stops listening so that the worker's loop may end. */
  close(): void;
}

/**
 * What this module uses of `node:worker_threads` (declared here: even a
 * type-only import costs a thread's start in Bun).
 */
export interface ParentPortSource {
  parentPort: {
    postMessage(message: unknown, transfer?: readonly object[]): void;
    on(event: "message", listener: (message: unknown) => void): unknown;
    off(event: "message", listener: (message: unknown) => void): unknown;
  } | null;
}

interface Scope {
  Deno?: {
    exit(code?: number): never;
    exitCode?: number;
    stderr: { writeSync(bytes: Uint8Array): number };
  };
  Bun?: { isMainThread: boolean };
  process?: {
    exit(code?: number): never;
    on(event: string, listener: (value: never) => void): void;
    getBuiltinModule?: (id: string) => unknown;
    stderr?: { write(text: string): unknown };
  };
  postMessage?: (message: unknown, transfer?: object[]) => void;
  addEventListener(
    type: string,
    listener: (event: {
      data?: unknown;
      error?: unknown;
      reason?: unknown;
      preventDefault(): void;
    }) => void,
  ): void;
  WorkerGlobalScope?: unknown;
  onmessage?: unknown;
  close?: (this: unknown) => void;
}

const scope = globalThis as unknown as Scope;

/** The current web worker's scope as a {@linkcode ParentHandle}. */
export function webParent(): ParentHandle {
  return {
    postMessage: (message, transfer) =>
      scope.postMessage!(message, (transfer ?? []) as Transferable[]),
    onMessage: (listener) =>
      scope.addEventListener("message", (event) => listener(event.data)),
    close: () => {
      scope.onmessage = null;
    },
  };
}

/** This worker's `parentPort` as a {@linkcode ParentHandle}, or `null`. */
export function nodeParent(
  workerThreads: ParentPortSource,
): ParentHandle | null {
  const port = workerThreads.parentPort;
  if (port === null) return null;
  const listeners: ((message: unknown) => void)[] = [];
  return {
    postMessage: (message, transfer) => port.postMessage(message, transfer),
    onMessage: (listener) => {
      listeners.push(listener);
      port.on("message", listener);
    },
    close: () => {
      for (const listener of listeners.splice(0)) port.off("message", listener);
    },
  };
}

/**
 * This worker's parent, or `null` on the main thread, found while the
 * worker's entry module still evaluates: web workers (Deno, Bun, and Deno's
 * `node:worker_threads` too) drop messages that arrive before a listener is
 * attached, so a worker must listen before its first `await`. Only Node's
 * `parentPort` queues them; a Node without `process.getBuiltinModule`
 * (before 20.16) gets the parent asynchronously.
 */
export function findParent():
  | ParentHandle
  | null
  | Promise<ParentHandle | null> {
  if (scope.Bun !== undefined) {
    return scope.Bun.isMainThread ? null : webParent();
  }
  if (
    scope.Deno !== undefined && typeof scope.WorkerGlobalScope === "function"
  ) {
    return webParent(); // Deno's web Worker (its node:worker_threads has none)
  }
  const getBuiltin = scope.process?.getBuiltinModule;
  if (getBuiltin === undefined) {
    return import("node:worker_threads").then(nodeParent);
  }
  return nodeParent(getBuiltin("node:worker_threads") as ParentPortSource);
}

/** Ends the current worker thread at once (inside a worker only). */
export function exitThread(): void {
  if (scope.Deno !== undefined) scope.Deno.exit(0);
  else scope.process!.exit(0);
}

/**
 * Calls `hook` synchronously, with the exit code, when code in this worker
 * ends the thread through `process.exit()`/`Deno.exit()`.
 */
export function onThreadExit(hook: (code: number) => void): void {
  const deno = scope.Deno;
  if (deno !== undefined) {
    scope.addEventListener("unload", () => hook(Number(deno.exitCode ?? 0)));
  } else {
    scope.process!.on("exit", hook);
  }
}

/**
 * Calls `hook` synchronously when code in this worker calls the worker
 * scope's `close()` (`self.close()`), before the worker closes: Deno tells
 * the parent nothing of it.
 */
export function onThreadClose(hook: () => void): void {
  const close = scope.close;
  if (typeof close !== "function") return;
  scope.close = function (this: unknown): void {
    hook();
    close.call(this);
  };
}

/** Calls `hook` for an error or rejection that nothing in this thread caught. */
export function onUncaughtError(hook: (error: unknown) => void): void {
  if (scope.Deno !== undefined) {
    scope.addEventListener("error", (event) => {
      event.preventDefault();
      hook(event.error);
    });
    scope.addEventListener("unhandledrejection", (event) => {
      event.preventDefault();
      hook(event.reason);
    });
    return;
  }
  scope.process!.on("uncaughtException", hook);
  scope.process!.on("unhandledRejection", hook);
  if (scope.Bun !== undefined && !scope.Bun.isMainThread) {
    // Under `bun test`, a worker's unhandled rejection skips the process
    // events and arrives here instead (and the worker then ends).
    scope.addEventListener("error", (event) => {
      event.preventDefault();
      hook(event.error);
    });
  }
}

/** Writes text to stderr synchronously. */
export function writeStderr(text: string): void {
  const deno = scope.Deno;
  if (deno !== undefined) {
    let bytes = new TextEncoder().encode(text);
    while (bytes.length > 0) {
      bytes = bytes.subarray(deno.stderr.writeSync(bytes));
    }
    return;
  }
  const fs = scope.process!.getBuiltinModule?.("node:fs") as
    | { writeSync(fd: number, text: string): number }
    | undefined;
  if (fs !== undefined) fs.writeSync(2, text);
  else scope.process!.stderr!.write(text);
}
