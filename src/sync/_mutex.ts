/**
 * The futex mutex under `Lock` and `RLock`: three words of shared memory.
 *
 * `STATE` is 0 (unlocked), 1 (locked) or 2 (locked, and someone may wait).
 * Taking a free lock is one compare-and-swap; releasing it is one exchange,
 * and only a release that finds 2 wakes anybody.
 *
 * Blocking waiters sleep on `STATE` itself. Async waiters sleep on `SEQ`,
 * which every contended release bumps while `ASYNC_WAITERS` is non-zero. The
 * two kinds are kept apart because a woken async waiter only runs when its
 * thread's event loop gets to it: a release wakes one waiter of each kind, so
 * that a blocked thread is never left asleep behind an async waiter whose
 * thread is busy (or is itself blocked waiting for that thread).
 *
 * Every wake-up is a hint: a waiter tries again after each one, so barging
 * threads, time-outs and aborts never lose a wake-up meant for another.
 *
 * `HOLDER` names the thread that took the lock (0 while free, or for a
 * moment after a compare-and-swap before the taker writes it). A waiter
 * sleeps at most `SLICE` ms at a time and, when a sleep times out, looks up
 * the holder in the fate table (`thread/_globals.ts`): a holder that will
 * never release makes it throw `OwnerDiedError` instead of waiting for ever.
 * A release clears `HOLDER` before its exchange, so a waiter, ordered after
 * that exchange, never reads the ident of a holder that already released.
 *
 * @module
 */
import { OwnerDiedError } from "../errors.ts";
import { fateOf } from "../thread/_globals.ts";
import { ENDED, FAILED } from "../thread/_protocol.ts";
import { getIdent } from "../thread/registry.ts";
import { notify, waitAsync, waitSync } from "./futex.ts";
import { deadlineOf, remaining } from "./_deadline.ts";

/** The lock word: 0 unlocked, 1 locked, 2 locked with possible waiters. */
export const STATE = 0;
/** Bumped by contended releases; async waiters sleep on it. */
export const SEQ = 1;
/** How many async acquires are in progress. */
export const ASYNC_WAITERS = 2;
/**
 * The ident of the thread holding the lock; 0 when free (or not known yet).
 * 64 bytes away from `STATE`, on another cache line: a holder that takes the
 * lock again and again keeps writing it in its own cache while waiters hammer
 * the lock word.
 */
export const HOLDER = 16;
/** The number of words the mutex uses, from index 0. */
export const MUTEX_WORDS = 17;

/**
 * The longest a waiter sleeps before it checks whether the holder is still
 * alive: a bound on how late it notices, not a poll (a release wakes it at
 * once).
 */
const SLICE = 100;

/** How many times a blocking acquirer looks at a held lock before it sleeps. */
const SPINS = 64;

/**
 * Who the waiters are, for `OwnerDiedError`: a `Lock` waits on while its
 * holder ended normally (any thread may release a `Lock`), an `RLock` not.
 */
export type LockKind = "Lock" | "RLock";

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;

/** Takes the lock if it is free. */
export function tryLock(cells: Int32Array): boolean {
  if (Atomics.compareExchange(cells, STATE, UNLOCKED, LOCKED) !== UNLOCKED) {
    return false;
  }
  cells[HOLDER] = getIdent();
  return true;
}

/** Whether the lock is held by anyone. */
export function isLocked(cells: Int32Array): boolean {
  return Atomics.load(cells, STATE) !== UNLOCKED;
}

/**
 * Blocks until the lock is taken or `timeout` ms passed (the caller already
 * tried the fast path once).
 */
export function lockSyncSlow(
  cells: Int32Array,
  timeout: number,
  kind: LockKind,
): boolean {
  // A short spin first: with the holder bookkeeping and the bounded sleeps,
  // bench/locks.ts on Deno measured contended hand-offs at ~0.7x the floor
  // without it and ~0.9x with it (Bun and Node: no loss).
  for (let spin = 0; spin < SPINS; spin++) {
    if (
      Atomics.load(cells, STATE) === UNLOCKED &&
      Atomics.compareExchange(cells, STATE, UNLOCKED, LOCKED) === UNLOCKED
    ) {
      cells[HOLDER] = getIdent();
      return true;
    }
  }
  const deadline = deadlineOf(timeout);
  while (Atomics.exchange(cells, STATE, CONTENDED) !== UNLOCKED) {
    const left = remaining(deadline);
    if (left <= 0) return false;
    const slice = left < SLICE ? left : SLICE;
    if (waitSync(cells, STATE, CONTENDED, slice) === "timed-out") {
      checkHolder(cells, kind);
    }
  }
  cells[HOLDER] = getIdent();
  return true;
}

/**
 * Waits without blocking the event loop until the lock is taken (`true`),
 * `timeout` ms passed (`false`) or `signal` aborts (rejects with its reason).
 * Leaves no waiter behind in either case. `onAcquired` runs at the moment the
 * lock is taken, before any other code of this thread can run.
 */
export async function lockAsyncSlow(
  cells: Int32Array,
  timeout: number,
  signal: AbortSignal | undefined,
  kind: LockKind,
  onAcquired?: () => void,
): Promise<boolean> {
  const deadline = deadlineOf(timeout);
  Atomics.add(cells, ASYNC_WAITERS, 1);
  try {
    for (;;) {
      const seq = Atomics.load(cells, SEQ);
      if (Atomics.exchange(cells, STATE, CONTENDED) === UNLOCKED) {
        cells[HOLDER] = getIdent();
        onAcquired?.();
        return true;
      }
      const left = remaining(deadline);
      if (left <= 0) return false;
      const slice = left < SLICE ? left : SLICE;
      if (await waitAsync(cells, SEQ, seq, slice, signal) === "timed-out") {
        checkHolder(cells, kind);
      }
    }
  } finally {
    Atomics.sub(cells, ASYNC_WAITERS, 1);
  }
}

/**
 * Releases the lock, waking a waiter if there may be one.
 *
 * @returns `false` when the lock was not locked (nothing changed).
 */
export function unlock(cells: Int32Array): boolean {
  cells[HOLDER] = 0;
  return unlocked(cells, Atomics.exchange(cells, STATE, UNLOCKED));
}

/**
 * Finishes a release whose exchange found `previous`: wakes a waiter if there
 * may be one.
 *
 * @returns `false` when the lock was not locked.
 */
export function unlocked(cells: Int32Array, previous: number): boolean {
  if (previous === CONTENDED) wake(cells);
  return previous !== UNLOCKED;
}

/**
 * Throws `OwnerDiedError` when the lock's holder ended and will never
 * release it: for a `Lock` when its thread failed, for an `RLock` when it
 * ended in any way.
 */
function checkHolder(cells: Int32Array, kind: LockKind): void {
  const holder = Atomics.load(cells, HOLDER);
  if (holder === 0) return;
  const fate = fateOf(holder);
  if (fate === FAILED || (fate === ENDED && kind === "RLock")) {
    throw new OwnerDiedError(
      kind === "Lock"
        ? `Cannot acquire the lock as thread ${holder} failed while holding it (its target threw, it exited, crashed or was terminated), so it will never release it: repair what the lock protects, then release it from this thread or use a new Lock`
        : `Cannot acquire the rlock as thread ${holder} ended while holding it, and only its owner can release an RLock: repair what the rlock protects and use a new RLock`,
      holder,
    );
  }
}

function wake(cells: Int32Array): void {
  notify(cells, STATE, 1);
  if (Atomics.load(cells, ASYNC_WAITERS) !== 0) {
    Atomics.add(cells, SEQ, 1);
    notify(cells, SEQ, 1);
  }
}
