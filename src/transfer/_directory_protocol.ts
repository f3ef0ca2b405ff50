/**
 * The messages and shared cells between threads and the shared-buffer
 * directory (see `_directory.ts`). Imports nothing: the directory's worker
 * loads it too.
 *
 * @module
 */

/** The part of a `MessagePort` the directory uses. */
export interface DirectoryPort {
  postMessage(message: unknown, transfer?: readonly object[]): void;
}

/** What a thread holds to reach the directory. */
export interface DirectoryLink {
  /** This thread's port to the directory. */
  port: DirectoryPort;
  /** The directory's cells (doorbell, id counter), shared by every thread. */
  cells: SharedArrayBuffer;
}

/** The messages the directory reads from a thread's port. */
export type ToDirectory =
  | { t: "port"; port: DirectoryPort }
  | { t: "buffer"; id: number; buffer: SharedArrayBuffer }
  | { t: "get"; id: number; reply: SharedArrayBuffer }
  /** The thread ends: nothing more comes on this port. */
  | { t: "bye" };

/** The directory's answer to a `get`. */
export interface FromDirectory {
  id: number;
  buffer: SharedArrayBuffer;
}

/** The first message of the directory's worker. */
export interface DirectoryInit {
  cells: SharedArrayBuffer;
  port: DirectoryPort;
}

/** Cell: rung (incremented and notified) after posting a request. */
export const BELL = 0;
/** Cell: the last buffer id handed out. */
export const NEXT_ID = 1;
/** Cell: 1 once the directory's worker failed (it serves no one then). */
export const FAILED = 2;
/** The number of `Int32` cells of the directory. */
export const CELLS = 3;
