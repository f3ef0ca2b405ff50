/**
 * The process-wide global slots: where a worker's entry code leaves what the
 * library's modules, loaded later in that worker, need to find (registry
 * keys of `Symbol.for`, so that every copy of the library sees the same).
 *
 * This module imports nothing, not even types: a thread's worker loads it
 * at every start (Bun resolves type-only imports too).
 *
 * @module
 */

/**
 * Where a worker leaves its link to the shared-buffer directory (read by
 * `transfer/_directory.ts`).
 */
export const DIRECTORY_SLOT: unique symbol = Symbol.for(
  "@threading/threading.directory",
);

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
