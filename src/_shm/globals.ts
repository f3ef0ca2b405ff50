/**
 * What every thread of the process shares: counters for thread idents and
 * the `N` of default names `Thread-N`, then the fate table (one byte per
 * ident, see `fates.ts`). The main thread creates the buffer,
 * growable, and every worker receives the same buffer when it starts; the
 * table grows as idents are handed out.
 *
 * @module
 */
import { ALIVE, FATES, recordFate } from "./fates.ts";
import { selfSlot } from "./slots.ts";

const IDENT = 0;
const NUMBER = 1;
/** Room for this many idents at first; the buffer doubles as needed. */
const INITIAL_IDENTS = 1024;
/** The most idents the fate table covers; later threads count as alive. */
const MAX_IDENTS = 1 << 24;

interface GrowableBuffer extends SharedArrayBuffer {
  readonly growable: boolean;
  readonly maxByteLength: number;
  grow(newLength: number): void;
}

const Growable = SharedArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => GrowableBuffer;

// In a thread's worker: the globals of the thread that started it.
let buffer: GrowableBuffer | undefined = selfSlot()?.globals as
  | GrowableBuffer
  | undefined;
let cells: Int32Array | undefined;
let fates: Uint8Array | undefined;
if (buffer !== undefined) adoptGlobals(buffer);

/** The shared buffer, created on first use in the main thread. */
export function globalsBuffer(): SharedArrayBuffer {
  if (buffer === undefined) {
    adoptGlobals(
      new Growable(FATES + INITIAL_IDENTS, {
        maxByteLength: FATES + MAX_IDENTS,
      }),
    );
  }
  return buffer!;
}

/** Adopts the globals of the thread that started this one. */
export function adoptGlobals(shared: SharedArrayBuffer): void {
  buffer = shared as GrowableBuffer;
  cells = new Int32Array(shared, 0, 2);
  fates = new Uint8Array(shared); // tracks the length as the buffer grows
}

/** A fresh thread ident, unique in the process (the main thread's is 1). */
export function nextIdent(): number {
  globalsBuffer();
  const ident = Atomics.add(cells!, IDENT, 1) + 2;
  makeRoom(ident);
  return ident;
}

/** A fresh `N` for a default thread name, unique in the process. */
export function nextThreadNumber(): number {
  globalsBuffer();
  return Atomics.add(cells!, NUMBER, 1) + 1;
}

/**
 * The fate of thread `ident`: `ALIVE`, `ENDED`, `FAILED` or `TERMINATED` (`fates.ts`).
 * Idents this process never handed out count as alive.
 */
export function fateOf(ident: number): number {
  const index = FATES + ident;
  return fates === undefined || index >= fates.length
    ? ALIVE
    : Atomics.load(fates, index);
}

/** Records how thread `ident` ended (the first record wins). */
export function setFate(ident: number, fate: number): void {
  recordFate(globalsBuffer(), ident, fate);
}

// Grows the fate table to cover `ident`. Threads may grow it at once: a grow
// to less than the current length throws, and then the other one covered it.
function makeRoom(ident: number): void {
  const shared = buffer!;
  const needed = FATES + ident + 1;
  if (!shared.growable || needed > shared.maxByteLength) return;
  while (shared.byteLength < needed) {
    const before = shared.byteLength;
    try {
      shared.grow(Math.min(before * 2, shared.maxByteLength));
    } catch {
      // Another thread grew it first (check again), or memory ran out.
      if (shared.byteLength === before) return;
    }
  }
}
