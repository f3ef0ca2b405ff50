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
    stdout?: WorkerStdio;
    stderr?: WorkerStdio;
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

/** What this module touches of a Node worker's `process.stdout`/`stderr`. */
interface WorkerStdio {
  write(text: string): unknown;
  _write?: (chunk: Uint8Array, encoding: string, done: () => void) => void;
  _writev?: (chunks: { chunk: Uint8Array }[], done: () => void) => void;
}

/** What this module uses of `node:fs`. */
interface SyncFs {
  writeSync(fd: number, data: Uint8Array | string): number;
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
  writeStdioToDescriptors();
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
 * Makes a Node worker's `process.stdout` and `process.stderr` (and so its
 * `console`) write straight to the process's descriptors 1 and 2, as Deno's
 * and Bun's workers do. Node otherwise sends a worker's output to its parent
 * as messages that the parent writes later, on its own loop: a line printed
 * before the thread's result can then appear after what the joiner prints
 * once `join()` resolved, and a nested thread's lines can be lost at exit
 * (Node 22 to 26 lose them often). A direct write is done when `write()`
 * returns, so neither can happen. Does nothing outside Node.
 */
function writeStdioToDescriptors(): void {
  const process = scope.process;
  if (scope.Deno !== undefined || scope.Bun !== undefined) return;
  const fs = process?.getBuiltinModule?.("node:fs") as SyncFs | undefined;
  if (fs === undefined) return;
  for (
    const [stream, fd] of [[process!.stdout, 1], [process!.stderr, 2]] as const
  ) {
    if (stream === undefined) continue;
    stream._write = (chunk, _encoding, done) => {
      writeFully(fs, fd, chunk);
      done();
    };
    stream._writev = (chunks, done) => {
      for (const { chunk } of chunks) writeFully(fs, fd, chunk);
      done();
    };
  }
}

/**
 * Writes all of `chunk` to `fd`, waiting out a full non-blocking pipe. Output
 * to a closed pipe is dropped, as nobody can read it.
 */
function writeFully(fs: SyncFs, fd: number, chunk: Uint8Array | string): void {
  let bytes = typeof chunk === "string"
    ? new TextEncoder().encode(chunk)
    : chunk;
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(fs.writeSync(fd, bytes));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== "EAGAIN") return; // EPIPE, EBADF: no reader left
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
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

/**
 * Boots a worker's entry module: finds the parent at once, while the module
 * still evaluates (see {@linkcode findParent}), and hands every message it
 * sends to `receive`, with the parent to answer it. Every entry (a thread's,
 * a pool worker's, the directory's) starts this way. Does nothing on the main
 * thread.
 */
export function bootWorker(
  receive: (message: unknown, parent: ParentHandle) => void,
): void {
  const listen = (parent: ParentHandle | null): void => {
    parent?.onMessage((message) => receive(message, parent));
  };
  const found = findParent();
  if (found instanceof Promise) void found.then(listen);
  else listen(found);
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
    | SyncFs
    | undefined;
  if (fs !== undefined) writeFully(fs, 2, text);
  else scope.process!.stderr!.write(text);
}
