/**
 * The futex mutex under `Lock` and `RLock`: the lock word and two words for
 * async waiters, in shared memory.
 *
 * `STATE` is 0 when unlocked; otherwise it holds the ident of the thread that
 * took the lock, plus {@linkcode CONTENDED_BIT} when someone may wait. Taking
 * a free lock is one compare-and-swap that writes the taker's ident, so the
 * lock word names its holder at every instant: a holder that dies at any
 * instruction leaves its ident behind, never an anonymous "locked". Releasing
 * is one exchange, and only a release that finds the contended bit wakes
 * anybody.
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
 * A waiter sleeps at most `SLICE` ms at a time and, when a sleep times out,
 * looks up the holder named by the lock word in the fate table
 * (`_shm/globals.ts`): a holder that will never release makes it throw
 * `OwnerDiedError` instead of waiting for ever.
 *
 * @module
 */
import { OwnerDiedError } from "../errors.ts";
import { fateOf } from "../_shm/globals.ts";
import { ENDED, FAILED, TERMINATED } from "../_shm/fates.ts";
import { getIdent } from "../_shm/ident.ts";
import { notify } from "../_shm/futex.ts";
import { deadlineOf } from "../_shm/deadline.ts";
import { sleepOn, waitLoopAsync, waitLoopSync } from "../_shm/wait_loop.ts";

/** The lock word: 0 unlocked, else the holder's ident (+ {@linkcode CONTENDED_BIT}). */
export const STATE = 0;
/** Bumped by contended releases; async waiters sleep on it. */
export const SEQ = 1;
/** How many async acquires are in progress. */
export const ASYNC_WAITERS = 2;
/**
 * A word the mutex leaves to its user (`RLock` keeps its owner there, for
 * re-entry), 64 bytes away from `STATE`, on another cache line: a holder that
 * takes the lock again and again keeps writing it in its own cache while
 * waiters hammer the lock word.
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
/** Set in the lock word while a thread may wait for the lock. */
export const CONTENDED_BIT = 0x40000000;
/** The bits of the lock word that hold the holder's ident. */
export const IDENT_BITS = 0x3fffffff;

/** The value the calling thread writes into a lock word it takes. */
export function lockWordOf(ident: number): number {
  return (ident & IDENT_BITS) || 1;
}

/** Takes the lock if it is free. */
export function tryLock(cells: Int32Array): boolean {
  return Atomics.compareExchange(
    cells,
    STATE,
    UNLOCKED,
    lockWordOf(getIdent()),
  ) === UNLOCKED;
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
  const me = lockWordOf(getIdent());
  for (let spin = 0; spin < SPINS; spin++) {
    if (
      Atomics.load(cells, STATE) === UNLOCKED &&
      Atomics.compareExchange(cells, STATE, UNLOCKED, me) === UNLOCKED
    ) return true;
  }
  return waitLoopSync(deadlineOf(timeout), (left, timedOut) => {
    if (timedOut) checkHolder(cells, kind);
    const word = markContended(cells, me);
    if (word === UNLOCKED) return true;
    if (left <= 0) return false;
    return sleepOn(cells, STATE, word);
  }, SLICE);
}

/**
 * One step of a contended acquire: takes the lock if it is free (keeping the
 * contended bit, as others may still wait) and returns `UNLOCKED`, or makes
 * sure the held lock word carries the contended bit and returns the word to
 * sleep on.
 */
function markContended(cells: Int32Array, me: number): number {
  for (;;) {
    const word = Atomics.load(cells, STATE);
    if (word === UNLOCKED) {
      if (
        Atomics.compareExchange(cells, STATE, UNLOCKED, me | CONTENDED_BIT) ===
          UNLOCKED
      ) return UNLOCKED;
      continue;
    }
    if ((word & CONTENDED_BIT) !== 0) return word;
    if (
      Atomics.compareExchange(cells, STATE, word, word | CONTENDED_BIT) === word
    ) return word | CONTENDED_BIT;
  }
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
  const me = lockWordOf(getIdent());
  Atomics.add(cells, ASYNC_WAITERS, 1);
  try {
    return await waitLoopAsync(
      deadline,
      (left, timedOut) => {
        if (timedOut) checkHolder(cells, kind);
        const seq = Atomics.load(cells, SEQ);
        if (markContended(cells, me) === UNLOCKED) {
          onAcquired?.();
          return true;
        }
        if (left <= 0) return false;
        return sleepOn(cells, SEQ, seq);
      },
      signal,
      SLICE,
    );
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
  return unlocked(cells, Atomics.exchange(cells, STATE, UNLOCKED));
}

/**
 * Finishes a release whose exchange found `previous`: wakes a waiter if there
 * may be one.
 *
 * @returns `false` when the lock was not locked.
 */
export function unlocked(cells: Int32Array, previous: number): boolean {
  if ((previous & CONTENDED_BIT) !== 0) wake(cells);
  return previous !== UNLOCKED;
}

/**
 * Throws `OwnerDiedError` when the lock's holder ended and will never
 * release it: for a `Lock` when its thread failed, for an `RLock` when it
 * ended in any way.
 */
function checkHolder(cells: Int32Array, kind: LockKind): void {
  const holder = Atomics.load(cells, STATE) & IDENT_BITS;
  if (holder === 0) return;
  const fate = fateOf(holder);
  if (
    fate === FAILED || fate === TERMINATED ||
    (fate === ENDED && kind === "RLock")
  ) {
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
