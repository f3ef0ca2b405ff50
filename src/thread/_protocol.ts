/**
 * The messages between a thread's owner and the worker that runs it (the
 * control block they share is `_shm/control_block.ts`).
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
  /** When `h`: the class tags of the shared objects inside; absent: any. */
  t?: string[];
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
   * `transfer/_directory_protocol.ts`), left at `DIRECTORY_SLOT` of `_shm/slots.ts`.
   */
  directory?: object;
}

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
