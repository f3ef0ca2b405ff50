/**
 * The adapter interface: the only contract between the library and the
 * runtime it runs on. One implementation per runtime lives beside this file;
 * `detect.ts` picks one once.
 *
 * @module
 */
import type { ParentHandle } from "./worker_scope.ts";

export type { ParentHandle };

/** Options for {@linkcode Runtime.spawn}. */
export interface SpawnOptions {
  /** A name for debuggers and stack traces. */
  name?: string;
  /**
   * The worker must support `unref()` (daemon threads, pool workers). Runtimes
   * whose fastest worker cannot be unref'd pick a slower one that can.
   */
  unrefable?: boolean;
}

/** The parent's handle on a spawned worker. */
export interface WorkerHandle {
  /** Sends a structured-cloneable message to the worker. */
  postMessage(message: unknown, transfer?: object[]): void;
  /** Listens for messages from the worker. */
  onMessage(listener: (message: unknown) => void): void;
  /** Listens for an error the worker did not catch. */
  onError(listener: (error: unknown) => void): void;
  /** Listens for the worker's end, with its exit code when known. */
  onExit(listener: (code: number) => void): void;
  /** Stops the worker. */
  terminate(): void;
  /** Lets the worker keep the process alive (the default). */
  ref(): void;
  /** Lets the process exit while the worker still runs (unrefable workers). */
  unref(): void;
}

/** What the library needs from a runtime. */
export interface Runtime {
  /** Which runtime this is. */
  readonly name: "deno" | "bun" | "node";
  /** The number of logical cores. */
  readonly hardwareConcurrency: number;
  /**
   * Whether threads start faster from a worker spawned ahead of need: true
   * where such a worker can wait unref'd and the runtime spends much of a
   * thread's start before the worker can read its first message.
   */
  readonly spareWorkers: boolean;
  /** Starts a worker on an ES module. */
  spawn(url: URL, options?: SpawnOptions): WorkerHandle;
  /** The parent of this worker, or `null` on the main thread. */
  parent(): ParentHandle | null;
  /** Ends the current worker thread at once (inside a worker only). */
  exitThread(): void;
  /**
   * Calls `hook` synchronously when code in this worker ends the thread or the
   * process through `process.exit`/`Deno.exit`.
   */
  onThreadExit(hook: (code: number) => void): void;
  /** Calls `hook` for an error or rejection that nothing in this worker caught. */
  onUncaughtError(hook: (error: unknown) => void): void;
  /** Writes a line to stderr, synchronously where the runtime allows. */
  writeStderr(text: string): void;
  /**
   * The text of a local file, or `undefined` when it cannot be read without
   * asking (Deno without read permission) or at all.
   */
  readTextFile(url: string): string | undefined;
  /**
   * The permission a worker would lack to load the module at `url`, as the
   * flag that grants it (`--allow-read` on Deno), or `undefined`.
   */
  missingPermission(url: URL): string | undefined;
}
