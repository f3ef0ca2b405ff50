/**
 * Counters every thread of the process shares: thread idents and the `N` of
 * default names `Thread-N`. The main thread creates them; every worker
 * receives the same buffer when it starts.
 *
 * @module
 */
import { selfSlot } from "./_protocol.ts";

const IDENT = 0;
const NUMBER = 1;

// In a thread's worker: the counters of the thread that started it.
const adopted = selfSlot()?.globals;
let cells: Int32Array | undefined = adopted === undefined
  ? undefined
  : new Int32Array(adopted);

/** The shared counters' buffer, created on first use in the main thread. */
export function globalsBuffer(): SharedArrayBuffer {
  cells ??= new Int32Array(new SharedArrayBuffer(8));
  return cells.buffer as SharedArrayBuffer;
}

/** Adopts the counters of the thread that started this one. */
export function adoptGlobals(buffer: SharedArrayBuffer): void {
  cells = new Int32Array(buffer);
}

/** A fresh thread ident, unique in the process (the main thread's is 1). */
export function nextIdent(): number {
  globalsBuffer();
  return Atomics.add(cells!, IDENT, 1) + 2;
}

/** A fresh `N` for a default thread name, unique in the process. */
export function nextThreadNumber(): number {
  globalsBuffer();
  return Atomics.add(cells!, NUMBER, 1) + 1;
}
