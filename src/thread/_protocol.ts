/**
 * The messages between a thread's owner and the worker that runs it, and the
 * layout of the thread's control block (an `Int32Array` over shared memory).
 *
 * This module imports nothing, not even types: a thread's worker loads it
 * at every start, and each module it reaches costs time (Bun resolves
 * type-only imports too).
 *
 * @module
 */

/** A value made by `encode()` of `transfer/codec.ts` (its `Encoded`). */
export interface EncodedValue {
  /** Whether the receiver has shared handles to revive. */
  h: boolean;
  /** The value, shared objects replaced by handles. */
  v: unknown;
}

/** Control block cell: the thread's state. */
export const STATE = 0;
/** Control block cell: the exit code, once the thread called exit. */
export const EXIT_CODE = 1;
/**
 * Control block cell: 1 once the thread's worker is about to end. A worker
 * outlives its target while non-daemon threads it started still run; its
 * parent must not end before it, or the runtime would stop them with it.
 */
export const WORKER_GONE = 2;
/**
 * Control block cell: how many waits (`sync/futex.ts`) the thread is in right
 * now, for the testing entry point's report of a leaked thread.
 */
export const WAITING = 3;
/** The number of `Int32` cells in a control block. */
export const CONTROL_CELLS = 4;
/** State: the target is running (or the thread has not started yet). */
export const RUNNING = 0;
/** State: the target finished; its outcome waits on the result port. */
export const DONE = 1;
/** State: the thread ended without an outcome (it exited or crashed). */
export const DIED = 2;

/**
 * The process-wide fate table: one byte per thread ident at byte
 * `FATES + ident` of the shared globals buffer (see `_globals.ts`), written
 * once when the thread ends. Lock waiters read it to learn that a holder
 * will never release (`OwnerDiedError`).
 */
export const FATES = 8;
/** Fate: alive, not started, or unknown. */
export const ALIVE = 0;
/** Fate: the target returned; the thread ended normally. */
export const ENDED = 1;
/** Fate: the thread failed: its target threw, it exited, crashed or was terminated. */
export const FAILED = 2;
/**
 * Fate: the thread's owner stopped it (a pool worker terminated on abort, a
 * thread whose parent ended). Like `FAILED` for its locks' waiters; the
 * thread itself, should it still run (a runtime whose `terminate()` does not
 * stop a busy worker), ends at its next wait in a library primitive.
 */
export const TERMINATED = 3;

/** Records the fate of thread `ident` in the globals buffer, unless one is recorded already. */
export function recordFate(
  globals: SharedArrayBuffer,
  ident: number,
  fate: number,
): void {
  const fates = new Uint8Array(globals);
  if (FATES + ident < fates.length) {
    Atomics.compareExchange(fates, FATES + ident, ALIVE, fate);
  }
}

/** How the worker finds the code to run. */
export type TargetSpec =
  | { kind: "none" }
  | { kind: "function"; source: string }
  | { kind: "module"; url: string; exportName: string };

/** The first message a thread's worker receives. */
export interface StartMessage {
  type: "thread";
  globals: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** The port the outcome goes to (a `node:worker_threads` `MessagePort`). */
  port: { postMessage(message: unknown): void };
  ident: number;
  name: string;
  daemon: boolean;
  target: TargetSpec;
  args: EncodedValue;
  /** A `Thread` subclass: each level's methods as an object literal's source, nearest first. */
  classLevels?: string[];
  /** A `Thread` subclass: its instance's own fields, but functions. */
  fields?: EncodedValue;
  /** A `Thread` subclass: its instance's own fields that hold functions, as source. */
  fieldFunctions?: Record<string, string>;
  /**
   * The thread's link to the shared-buffer directory (a `DirectoryLink` of
   * `transfer/_directory_protocol.ts`), left at {@linkcode DIRECTORY_SLOT}.
   */
  directory?: object;
}

/**
 * Where a worker leaves its link to the shared-buffer directory (the
 * `DIRECTORY_SLOT` of `transfer/_directory.ts`, by its global registry key).
 */
export const DIRECTORY_SLOT: unique symbol = Symbol.for(
  "@threading/threading.directory",
);

/**
 * How a target's program (`transfer/function_source.ts`) begins when it
 * names the library's exports, which `transfer/_library.ts` must then make
 * reachable before the program runs.
 */
export const LIBRARY_HEADER = "(function(){const{";

/** Whether a target's program needs `transfer/_library.ts` loaded first. */
export function needsLibrary(program: string): boolean {
  return program.startsWith(LIBRARY_HEADER);
}

/** What the worker posts on the result port when the target ends. */
export type Outcome =
  | { ok: true; value: EncodedValue }
  /** `error` is a `SerializedError` of `transfer/error_codec.ts`. */
  | { ok: false; error: object };

/** What the worker posts to its parent once the outcome is on the port. */
export const DONE_MESSAGE = "threading:done";

/**
 * Where a thread's worker entry leaves what it knows of its thread, for the
 * library's modules that load later in that worker (only if the thread uses
 * them): the registry takes the thread's identity from it and hands back
 * `childrenEnded`, the counters module takes `globals`. A global slot rather
 * than a shared module, so that a thread that never imports the library
 * starts without loading one more module.
 */
export const SELF_SLOT: unique symbol = Symbol.for(
  "@threading/threading.workerThread",
);

/** What {@linkcode SELF_SLOT} holds inside a thread's worker. */
export interface SelfSlot {
  name: string;
  ident: number;
  daemon: boolean;
  control: Int32Array;
  globals: SharedArrayBuffer;
  /** Set by the registry once loaded: resolves when the non-daemon threads it started ended. */
  childrenEnded?: () => Promise<void>;
  /** Set by `thread.ts` once loaded: stops every thread this thread started that still runs. */
  stopChildren?: () => void;
}

/** The {@linkcode SelfSlot} of the thread this worker runs, if any. */
export function selfSlot(): SelfSlot | undefined {
  return (globalThis as unknown as Record<symbol, SelfSlot | undefined>)[
    SELF_SLOT
  ];
}
