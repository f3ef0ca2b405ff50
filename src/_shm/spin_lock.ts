/**
 * The internal mutex of queues and the shared map: one `Int32Array` cell of
 * their own shared memory. It guards short critical sections that never
 * await, never run user code and never throw half-way, so it is always
 * taken synchronously (a short spin, then a futex wait), even by the async
 * methods.
 *
 * The cell holds 0 when free, otherwise the owner's thread ident, written by
 * the compare-and-swap that takes it (so the cell names its holder at every
 * instant), plus {@linkcode CONTENDED} when another thread may sleep on it.
 *
 * A holder that dies inside a critical section (terminated, exited, closed,
 * stopped with its parent) may leave what the lock guards half-changed. A
 * sleeper re-checks the cell at least every `MAX_SLEEP_MS` ms; when the same
 * holder still has it and the fate table (`globals.ts`) says that
 * holder ended, the sleeper marks the cell {@linkcode BROKEN}, keeping the
 * dead holder's ident. From then on every `lock()` of that cell, in every
 * thread, throws `OwnerDiedError` at once: what it guards is reported broken,
 * never used half-changed and never waited on for ever.
 *
 * @module
 */
import { OwnerDiedError } from "../errors.ts";
import { ALIVE } from "./fates.ts";
import { fateOf } from "./globals.ts";
import { getIdent } from "./ident.ts";
import { stopIfTerminated } from "./stop.ts";

/** Set in the lock cell when a thread may be sleeping on it. */
export const CONTENDED = 0x40000000;
/** Set in the lock cell once its holder died inside a critical section. */
export const BROKEN = 0x20000000;
const IDENT_BITS = 0x1fffffff;

const SPINS = 100;
// A sleeper re-checks the cell at least this often: a wake-up lost to a
// thread that was stopped while it waited cannot hang the others, and a
// holder that died is noticed.
const MAX_SLEEP_MS = 50;

function owner(): number {
  return (getIdent() & IDENT_BITS) || 1;
}

/**
 * Takes the lock in `cells[index]`, blocking the thread while another holds
 * it.
 *
 * @param what What the lock guards, for the error ("queue", "map").
 * @throws {OwnerDiedError} when a thread died holding it (now or before).
 */
export function lock(cells: Int32Array, index: number, what = "queue"): void {
  if (Atomics.compareExchange(cells, index, 0, owner()) !== 0) {
    lockSlow(cells, index, what);
  }
}

/**
 * Takes the lock in `cells[index]` as {@linkcode lock} does, but returns
 * `false` instead of throwing when it is broken: for the wake-up that follows
 * a committed put or get, which must not report that operation as failed.
 */
export function lockUnlessBroken(cells: Int32Array, index: number): boolean {
  if (Atomics.compareExchange(cells, index, 0, owner()) === 0) return true;
  try {
    lockSlow(cells, index, "queue");
    return true;
  } catch (error) {
    if (error instanceof OwnerDiedError) return false;
    throw error;
  }
}

function lockSlow(cells: Int32Array, index: number, what: string): void {
  const me = owner();
  for (let i = 0; i < SPINS; i++) {
    if (
      Atomics.load(cells, index) === 0 &&
      Atomics.compareExchange(cells, index, 0, me) === 0
    ) return;
  }
  for (;;) {
    let value = Atomics.load(cells, index);
    if (value === 0) {
      // Taken after sleeping: others may still sleep, so keep the flag.
      if (Atomics.compareExchange(cells, index, 0, me | CONTENDED) === 0) {
        return;
      }
      continue;
    }
    if ((value & BROKEN) !== 0) throw broken(value & IDENT_BITS, what);
    if ((value & CONTENDED) === 0) {
      if (
        Atomics.compareExchange(cells, index, value, value | CONTENDED) !==
          value
      ) continue;
      value |= CONTENDED;
    }
    if (Atomics.wait(cells, index, value, MAX_SLEEP_MS) === "timed-out") {
      stopIfTerminated();
      // A thread that ended never leaves its critical section.
      if (
        fateOf(value & IDENT_BITS) !== ALIVE &&
        Atomics.compareExchange(cells, index, value, value | BROKEN) === value
      ) Atomics.notify(cells, index);
    }
  }
}

/** Releases the lock in `cells[index]` and wakes one sleeper if any. */
export function unlock(cells: Int32Array, index: number): void {
  const previous = Atomics.exchange(cells, index, 0);
  if ((previous & CONTENDED) !== 0) {
    // Marked broken while this thread, taken for dead, still held it: keep
    // the mark unless another thread took the lock since.
    if ((previous & BROKEN) !== 0) {
      Atomics.compareExchange(cells, index, 0, previous);
    }
    Atomics.notify(cells, index, 1);
  }
}

function broken(ident: number, what: string): OwnerDiedError {
  return new OwnerDiedError(
    `Cannot use the ${what} as thread ${ident} ended inside one of its operations, which may have left it half-changed: use a new ${what}`,
    ident,
  );
}
