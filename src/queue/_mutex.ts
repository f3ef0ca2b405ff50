/**
 * The internal mutex of queues and the shared map: one `Int32Array` cell of
 * their own shared memory. It guards short critical sections that never
 * await, never run user code and never throw half-way, so it is always
 * taken synchronously (a short spin, then a futex wait), even by the async
 * methods.
 *
 * The cell holds 0 when free, otherwise the owner's thread ident (for
 * debugging a stuck queue: the owner is visible in the memory), plus
 * {@linkcode CONTENDED} when another thread may sleep on it.
 *
 * @module
 */
import { getIdent } from "../thread/registry.ts";

/** Set in the lock cell when a thread may be sleeping on it. */
export const CONTENDED = 0x40000000;

const SPINS = 100;
// A sleeper re-checks the cell at least this often: a wake-up lost to a
// thread that was stopped while it waited cannot hang the others.
const MAX_SLEEP_MS = 50;

function owner(): number {
  return (getIdent() & 0x3fffffff) || 1;
}

/** Takes the lock in `cells[index]`, blocking the thread while another holds it. */
export function lock(cells: Int32Array, index: number): void {
  if (Atomics.compareExchange(cells, index, 0, owner()) !== 0) {
    lockSlow(cells, index);
  }
}

function lockSlow(cells: Int32Array, index: number): void {
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
    if ((value & CONTENDED) === 0) {
      if (
        Atomics.compareExchange(cells, index, value, value | CONTENDED) !==
          value
      ) continue;
      value |= CONTENDED;
    }
    Atomics.wait(cells, index, value, MAX_SLEEP_MS);
  }
}

/** Releases the lock in `cells[index]` and wakes one sleeper if any. */
export function unlock(cells: Int32Array, index: number): void {
  if ((Atomics.exchange(cells, index, 0) & CONTENDED) !== 0) {
    Atomics.notify(cells, index, 1);
  }
}
