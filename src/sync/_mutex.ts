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
 * @module
 */
import { notify, waitAsync, waitSync } from "./futex.ts";
import { deadlineOf, remaining } from "./_deadline.ts";

/** The lock word: 0 unlocked, 1 locked, 2 locked with possible waiters. */
export const STATE = 0;
/** Bumped by contended releases; async waiters sleep on it. */
export const SEQ = 1;
/** How many async acquires are in progress. */
export const ASYNC_WAITERS = 2;
/** The number of words the mutex uses, from index 0. */
export const MUTEX_WORDS = 3;

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;

/** Takes the lock if it is free. */
export function tryLock(cells: Int32Array): boolean {
  return Atomics.compareExchange(cells, STATE, UNLOCKED, LOCKED) === UNLOCKED;
}

/** Whether the lock is held by anyone. */
export function isLocked(cells: Int32Array): boolean {
  return Atomics.load(cells, STATE) !== UNLOCKED;
}

/**
 * Blocks until the lock is taken or `timeout` ms passed (the caller already
 * tried the fast path once).
 */
export function lockSyncSlow(cells: Int32Array, timeout: number): boolean {
  // No spinning first: bench/locks.ts showed no gain from it here (2 cores).
  const deadline = deadlineOf(timeout);
  while (Atomics.exchange(cells, STATE, CONTENDED) !== UNLOCKED) {
    const left = remaining(deadline);
    if (left <= 0) return false;
    waitSync(cells, STATE, CONTENDED, left);
  }
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
  onAcquired?: () => void,
): Promise<boolean> {
  const deadline = deadlineOf(timeout);
  Atomics.add(cells, ASYNC_WAITERS, 1);
  try {
    for (;;) {
      const seq = Atomics.load(cells, SEQ);
      if (Atomics.exchange(cells, STATE, CONTENDED) === UNLOCKED) {
        onAcquired?.();
        return true;
      }
      const left = remaining(deadline);
      if (left <= 0) return false;
      await waitAsync(cells, SEQ, seq, left, signal);
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
  const previous = Atomics.exchange(cells, STATE, UNLOCKED);
  if (previous === CONTENDED) wake(cells);
  return previous !== UNLOCKED;
}

function wake(cells: Int32Array): void {
  notify(cells, STATE, 1);
  if (Atomics.load(cells, ASYNC_WAITERS) !== 0) {
    Atomics.add(cells, SEQ, 1);
    notify(cells, SEQ, 1);
  }
}
