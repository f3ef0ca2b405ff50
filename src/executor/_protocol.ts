/**
 * The executor's protocol between the pool (main side) and its workers: the
 * layout of the shared control block, the task ring and the result rings, and
 * the messages that travel by `postMessage` beside them.
 *
 * @module
 */
import type { DirectoryLink } from "../transfer/_directory_protocol.ts";
import type { Encoded } from "../transfer/codec.ts";
import type { SerializedError } from "../transfer/error_codec.ts";
import type { FunctionSpec } from "../thread/target_spec.ts";

// Pool control block (Int32Array over its own SharedArrayBuffer).
/** Count of tasks published into the task ring (wraps as int32). */
export const C_TAIL = 0;
/** Count of tasks claimed by workers (or dropped by the pool when cancelled). */
export const C_HEAD = 1;
/** Number of workers sleeping on `C_TAIL`. */
export const C_SLEEPERS = 2;
/** Bumped by a worker after each result (and on its exit): the pool waits on it. */
export const C_RESULTS = 3;
/** 1 while the pool waits on `C_RESULTS`. */
export const C_MAIN_WAITING = 4;
/** 1 once workers must exit. */
export const C_STOP = 5;
/**
 * 1 once the pool has woken the sleeping workers; a worker clears it before it
 * goes to sleep and when it wakes up, so that the pool makes one wake-up call
 * per sleep, not one per task.
 */
export const C_WAKE = 6;
/** Ints in the control block. */
export const CONTROL_INTS = 8;

// Task ring: SLOTS slots of SLOT_INTS ints, plus a byte arena for payloads.
/** Number of slots in the task ring (a power of two). */
export const SLOTS = 32768;
/** Ints per slot. */
export const SLOT_INTS = 8;
/** Slot field: state (below). */
export const S_STATE = 0;
/** Slot field: task id. */
export const S_ID = 1;
/** Slot field: payload offset in the arena. */
export const S_OFFSET = 2;
/** Slot field: payload length in bytes. */
export const S_LENGTH = 3;
/** Slot field: function id. */
export const S_FN = 4;
/** Slot field: flags (below). */
export const S_FLAGS = 5;
/** Slot field: a lone number argument: an int32, or a float64 over ints 6 and 7. */
export const S_NUMBER = 6;
/** Slot state: empty or consumed. */
export const FREE = 0;
/** Slot state: published, not yet claimed. */
export const READY = 1;
/** Slot state: withdrawn by the pool before a worker claimed it. */
export const CANCELLED = 2;
/** Slot state: claimed by worker `n` is `CLAIMED_BASE + n`. */
export const CLAIMED_BASE = 16;
/** Bytes in the task payload arena. */
export const ARENA_BYTES = 1 << 21;

/** Task flag: the payload travels by message (shared objects, rich values). */
export const F_OOB = 1;
/** Task flag: the payload is a chunk of argument lists (`map` with `chunksize`). */
export const F_CHUNK = 2;
/** Task flag: the only argument is the float64 in the slot (no payload). */
export const F_NUMBER = 4;
/**
 * Task flag: the only argument is the int32 in the slot. Kept apart from
 * `F_NUMBER` so that it reaches the task as an integer: engines run integer
 * arithmetic (`%` above all) several times faster than double arithmetic.
 */
export const F_INT = 8;

// Worker control block (Int32Array over its own SharedArrayBuffer).
/** Worker field: its state (below). */
export const W_STATE = 0;
/** Worker field: the id of the task it runs, 0 when none. */
export const W_TASK = 1;
/** Worker field: the id of a running task the pool asks to abort. */
export const W_ABORT = 2;
/** Result ring field: bytes written (wraps as int32). */
export const W_WRITTEN = 3;
/** Result ring field: bytes read by the pool (wraps as int32). */
export const W_READ = 4;
/** Result ring field: 1 while the worker waits for room in its result ring. */
export const W_WRITER_WAITING = 5;
/** Ints in a worker control block. */
export const WORKER_INTS = 8;
/** Worker state: starting, running its initializer. */
export const STARTING = 0;
/** Worker state: taking tasks. */
export const ACTIVE = 1;
/** Worker state: its initializer failed. */
export const INIT_FAILED = 2;
/** Worker state: idle for `idleTimeout`, leaving. */
export const RETIRED = 3;
/** Worker state: ended (it exited or crashed). */
export const DEAD = 4;

/** Bytes in each worker's result ring (a power of two). */
export const RESULT_BYTES = 1 << 20;
/** Ints in a result record header: id, status, run time, length. */
export const RECORD_INTS = 4;
/** Result status: the payload is the value's text. */
export const R_OK = 0;
/** Result status: the task returned `undefined` (no payload). */
export const R_UNDEFINED = 1;
/** Result status: the payload is a serialized error's text. */
export const R_ERROR = 2;
/** Result status: the outcome travels by message. */
export const R_OOB = 3;
/** Result status: a chunk failed; the payload is `[values, error]`. */
export const R_CHUNK_ERROR = 4;
/** Result record marker: skip to the start of the ring. */
export const R_WRAP = 5;
/** Result status: the payload is a float64 number. */
export const R_NUMBER = 6;
/** Result status: the payload is an int32 number. */
export const R_INT = 7;
/** Result status: the worker's initializer failed; the payload is the error's text. */
export const R_INIT_FAILED = 8;

/** The first message a pool worker receives. */
export interface PoolInit {
  t: "init";
  globals: SharedArrayBuffer;
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  arena: SharedArrayBuffer;
  worker: SharedArrayBuffer;
  results: SharedArrayBuffer;
  index: number;
  ident: number;
  name: string;
  idleTimeout: number;
  functions: [number, FunctionSpec][];
  initializer: FunctionSpec | null;
  initargs: Encoded;
  /** The worker's link to the shared-buffer directory, if it has one. */
  directory?: DirectoryLink;
}

/** Messages from the pool to a worker. */
export type ToWorker =
  | PoolInit
  | { t: "define"; id: number; spec: FunctionSpec }
  | { t: "payload"; id: number; args: Encoded }
  | { t: "abort"; id: number; reason: SerializedError };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { t: "fetch"; id: number }
  | { t: "result"; id: number; ok: true; value: Encoded }
  | { t: "result"; id: number; ok: false; error: SerializedError };
