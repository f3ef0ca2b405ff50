/**
 * `Condition`: Python's `threading.Condition` over shared memory.
 *
 * @module
 */
import { ThreadStateError } from "../errors.ts";
import {
  registerShareable,
  reviveShared,
  type SharedState,
  toShared,
} from "../transfer/shareable.ts";
import type { WaitOptions, WaitSyncOptions } from "../wait_options.ts";
import { checkInteger, invalid } from "../validate.ts";
import {
  type AcquireOptions,
  type AcquireSyncOptions,
  optionsSignal,
  waitTimeout,
} from "./acquire_options.ts";
import { adopted, adopting, checkedCells, newCells } from "../_shm/adopt.ts";
import { deadlineOf, remaining } from "../_shm/deadline.ts";
import { notify as wake, waitAsync, waitSync } from "../_shm/futex.ts";
import {
  acquireRestore,
  acquireRestoreSync,
  checkCallback,
  isLockable,
  isOwned,
  type Lockable,
  releaseSave,
} from "./_lockable.ts";
import type { Lock } from "./lock.ts";
import { RLock } from "./rlock.ts";
// Registers the Lock reviver: a condition over a Lock revives it.
import "./lock.ts";

// Waiters register while holding the lock and sleep after releasing it.
// `notify(n)` hands out up to n credits and moves the notify generation on:
// only a waiter registered before that (whose generation differs now) may
// claim a credit, so a waiter that arrives later never steals one, and a
// waiter that times out or is aborted never takes one it does not return.
// Every count below changes only while the condition's lock is held; the two
// sequence words are what sleepers wait on (blocking and async apart, as in
// `_mutex.ts`).
const SYNC_SEQ = 0;
const ASYNC_SEQ = 1;
const SYNC_SLEEPERS = 2;
const ASYNC_SLEEPERS = 3;
/** Moves on with every `notify` that hands out credits. */
const GENERATION = 4;
/** Registered waiters that have not left. */
const LIVE = 5;
/** Live waiters registered since the last generation change (they cannot claim yet). */
const FRESH = 6;
/** Notifications handed out and not yet claimed. */
const CREDITS = 7;
/** The cell that holds the type tag (see `_shm/adopt.ts`). */
const TYPE_TAG = 8;
const WORDS = 9;
const TAG = "threading.Condition";

/**
 * A condition variable that every thread sees: Python's
 * `threading.Condition`. Threads hold its lock, check some shared state, and
 * `wait()` until another thread changes that state and calls `notify()`.
 *
 * The lock is an {@linkcode RLock} unless you pass a `Lock` or an `RLock`.
 * `wait()` releases the lock (every level of an `RLock`) while it sleeps and
 * takes it back before it returns, also on a timeout or an abort.
 * `notify(n)` wakes exactly `n` of the threads waiting at that moment (fewer
 * if fewer wait); a wait that starts later is not woken by it.
 *
 * @example Usage
 * ```ts
 * import { Condition, Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const cond = new Condition();
 * const box = new Int32Array(new SharedArrayBuffer(4));
 * const consumer = new Thread({
 *   target: (cond: Condition, box: Int32Array) => {
 *     // No `using` in thread targets: they travel as source text, and a
 *     // compiler may rewrite `using` into helpers that stay behind.
 *     cond.acquireSync();
 *     try {
 *       return cond.waitForSync(() => box[0]);
 *     } finally {
 *       cond.release();
 *     }
 *   },
 *   args: [cond, box],
 * }).start();
 * {
 *   using _held = await cond.lock();
 *   box[0] = 42;
 *   cond.notify();
 * }
 * assert.equal(await consumer.join(), 42);
 * ```
 */
export class Condition {
  #lock: Lockable;
  #cells: Int32Array;

  /**
   * Creates a condition over `lock`, or over a new `RLock`.
   *
   * @throws {TypeError} when `lock` is neither a `Lock` nor an `RLock`.
   */
  constructor(lock?: Lock | RLock) {
    const shared = adopted<{ cells: Int32Array; lock: Lockable }>(TAG);
    if (shared !== undefined) {
      this.#cells = shared.cells;
      this.#lock = shared.lock;
      return;
    }
    if (lock === undefined || lock === null) lock = new RLock();
    else if (!isLockable(lock)) {
      throw invalid("create condition", "lock", "a Lock or an RLock", lock);
    }
    this.#lock = lock as unknown as Lockable;
    this.#cells = newCells(WORDS, TYPE_TAG, TAG);
  }

  /**
   * Acquires the condition's lock without blocking the event loop (see
   * `Lock.acquire()`).
   *
   * @returns `true` once acquired; `false` when the timeout passed first.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * assert.equal(await cond.acquire(), true);
   * cond.release();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  /**
   * Acquires the condition's lock, blocking the thread (see
   * `Lock.acquireSync()`).
   *
   * @returns `true` once acquired; `false` when the timeout passed first.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * assert.equal(cond.acquireSync(), true);
   * cond.release();
   * ```
   */
  acquireSync(options?: AcquireSyncOptions): boolean {
    return this.#lock.acquireSync(options);
  }

  /**
   * Acquires the condition's lock if that needs no wait.
   *
   * @returns Whether the lock was acquired.
   *
   * @example Usage
   * ```ts
   * import { Condition, Lock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition(new Lock());
   * assert.equal(cond.tryAcquire(), true);
   * assert.equal(cond.tryAcquire(), false);
   * ```
   */
  tryAcquire(): boolean {
    return this.#lock.tryAcquire();
  }

  /**
   * Releases the condition's lock.
   *
   * @throws {ThreadStateError} when it is not held (by this thread, for an `RLock`).
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   *
   * const cond = new Condition();
   * cond.acquireSync();
   * cond.release();
   * ```
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Whether anybody holds the condition's lock.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * assert.equal(cond.locked(), false);
   * ```
   */
  locked(): boolean {
    return this.#lock.locked();
  }

  /**
   * Acquires the condition's lock and returns a `Disposable` that releases it:
   * `using _ = await cond.lock();`.
   *
   * @throws {TimeoutError} when the timeout passed before the lock was acquired.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * {
   *   using _held = await cond.lock();
   *   assert.equal(cond.locked(), true);
   * }
   * assert.equal(cond.locked(), false);
   * ```
   */
  lock(options?: WaitOptions): Promise<Disposable> {
    return this.#lock.lock(options);
  }

  /**
   * Acquires the condition's lock, blocking the thread, and returns a
   * `Disposable` that releases it: `using _ = cond.lockSync();`.
   *
   * @throws {TimeoutError} when the timeout passed before the lock was acquired.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * {
   *   using _held = cond.lockSync();
   *   assert.equal(cond.locked(), true);
   * }
   * assert.equal(cond.locked(), false);
   * ```
   */
  lockSync(options?: WaitSyncOptions): Disposable {
    return this.#lock.lockSync(options);
  }

  /**
   * Runs `fn` while holding the condition's lock, releasing it afterwards.
   *
   * @returns What `fn` returned, awaited.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * assert.equal(await cond.withLock(() => cond.locked()), true);
   * ```
   */
  withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    return this.#lock.withLock(fn);
  }

  /**
   * Releases the lock, waits without blocking the event loop until notified,
   * then takes the lock back. The caller must hold the lock.
   *
   * @param options `timeout` in ms, `signal` to give up (the lock is taken
   * back before the promise rejects with the signal's reason).
   * @returns `true` when notified, `false` when the timeout passed.
   * @throws {ThreadStateError} at once when the caller does not hold the lock.
   * @throws {TypeError} / {RangeError} at once for bad options.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * await cond.acquire();
   * assert.equal(await cond.wait({ timeout: 10 }), false);
   * cond.release();
   * ```
   */
  wait(options?: WaitOptions): Promise<boolean> {
    const timeout = waitTimeout(options, "wait on condition");
    const signal = optionsSignal(options, "wait on condition");
    this.#checkOwned("wait on");
    if (signal?.aborted) return Promise.reject(signal.reason);
    const generation = this.#register(ASYNC_SLEEPERS);
    return this.#waitAsync(generation, deadlineOf(timeout), signal);
  }

  /**
   * Releases the lock, blocks the thread until notified, then takes the lock
   * back (Python's `wait()`). The caller must hold the lock.
   *
   * @returns `true` when notified, `false` when the timeout passed.
   * @throws {ThreadStateError} when the caller does not hold the lock.
   * @throws {TypeError} / {RangeError} for bad options.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * using _held = cond.lockSync();
   * assert.equal(cond.waitSync({ timeout: 10 }), false);
   * ```
   */
  waitSync(options?: WaitSyncOptions): boolean {
    const timeout = waitTimeout(options, "wait on condition");
    this.#checkOwned("wait on");
    const cells = this.#cells;
    const lock = this.#lock;
    const generation = this.#register(SYNC_SLEEPERS);
    const deadline = deadlineOf(timeout);
    for (;;) {
      const seq = Atomics.load(cells, SYNC_SEQ);
      const saved = this.#releaseOrLeave(generation, SYNC_SLEEPERS);
      const left = remaining(deadline);
      if (left > 0) waitSync(cells, SYNC_SEQ, seq, left);
      try {
        lock[acquireRestoreSync](saved);
      } catch (error) {
        // OwnerDiedError: the lock's holder ended holding it.
        this.#leaveAborted(generation, SYNC_SLEEPERS);
        throw error;
      }
      if (this.#claim(generation)) {
        this.#leave(generation, SYNC_SLEEPERS);
        return true;
      }
      if (remaining(deadline) <= 0) {
        this.#leave(generation, SYNC_SLEEPERS);
        return false;
      }
    }
  }

  /**
   * Waits (without blocking the event loop) until `predicate` returns a
   * truthy value, calling it with the lock held before each wait and after
   * each wake-up. The caller must hold the lock.
   *
   * @returns The predicate's last value: truthy, or falsy when the timeout passed.
   * @throws {ThreadStateError} at once when the caller does not hold the lock.
   * @throws {TypeError} at once when `predicate` is not a function.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * await cond.acquire();
   * assert.equal(await cond.waitFor(() => 0, { timeout: 10 }), 0);
   * assert.equal(await cond.waitFor(() => "ready"), "ready");
   * cond.release();
   * ```
   */
  waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    checkCallback(predicate, "wait on condition");
    const timeout = waitTimeout(options, "wait on condition");
    const signal = optionsSignal(options, "wait on condition");
    this.#checkOwned("wait on");
    return this.#waitForAsync(predicate, deadlineOf(timeout), signal);
  }

  /**
   * Blocks until `predicate` returns a truthy value, calling it with the lock
   * held before each wait and after each wake-up (Python's `wait_for()`).
   *
   * @returns The predicate's last value: truthy, or falsy when the timeout passed.
   * @throws {ThreadStateError} when the caller does not hold the lock.
   * @throws {TypeError} when `predicate` is not a function.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * using _held = cond.lockSync();
   * assert.equal(cond.waitForSync(() => false, { timeout: 10 }), false);
   * ```
   */
  waitForSync<T>(predicate: () => T, options?: WaitSyncOptions): T {
    checkCallback(predicate, "wait on condition");
    const timeout = waitTimeout(options, "wait on condition");
    this.#checkOwned("wait on");
    const deadline = deadlineOf(timeout);
    let result = predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left <= 0) break;
      this.waitSync({ timeout: left });
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` of the threads waiting on this condition; each of them
   * returns `true` from its wait once it has the lock back. The caller must
   * hold the lock.
   *
   * @param n How many waiters to wake: a non-negative integer.
   * @throws {ThreadStateError} when the caller does not hold the lock.
   * @throws {TypeError} / {RangeError} for a bad `n`.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   *
   * const cond = new Condition();
   * using _held = cond.lockSync();
   * cond.notify(); // nobody waits: nothing happens
   * ```
   */
  notify(n = 1): void {
    if (n !== Infinity) checkInteger(n, "notify condition", "n", 0);
    this.#checkOwned("notify");
    const cells = this.#cells;
    const count = Math.min(
      n,
      Atomics.load(cells, LIVE) - Atomics.load(cells, CREDITS),
    );
    if (count <= 0) return;
    Atomics.add(cells, CREDITS, count);
    Atomics.add(cells, GENERATION, 1);
    Atomics.store(cells, FRESH, 0);
    this.#wakeSleepers(count);
  }

  /**
   * Wakes every thread waiting on this condition. The caller must hold the
   * lock.
   *
   * @throws {ThreadStateError} when the caller does not hold the lock.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   *
   * const cond = new Condition();
   * using _held = cond.lockSync();
   * cond.notifyAll();
   * ```
   */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /**
   * A description like Python's repr: `<Condition(<lock>, waiters)>`.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * assert.match(String(new Condition()), /^<Condition\(<unlocked RLock .*>, 0\)>$/);
   * ```
   */
  toString(): string {
    const cells = this.#cells;
    const waiting = Atomics.load(cells, LIVE) - Atomics.load(cells, CREDITS);
    return `<Condition(${String(this.#lock)}, ${waiting})>`;
  }

  /**
   * Describes the condition for another thread: its memory and its lock's.
   *
   * @ignore
   */
  [toShared](): SharedState {
    return {
      tag: TAG,
      data: { cells: this.#cells.buffer, lock: this.#lock[toShared]() },
    };
  }

  async #waitAsync(
    generation: number,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const cells = this.#cells;
    const lock = this.#lock;
    for (;;) {
      const seq = Atomics.load(cells, ASYNC_SEQ);
      const saved = this.#releaseOrLeave(generation, ASYNC_SLEEPERS);
      const left = remaining(deadline);
      let aborted: { reason: unknown } | undefined;
      if (left > 0) {
        try {
          await waitAsync(cells, ASYNC_SEQ, seq, left, signal);
        } catch (reason) {
          aborted = { reason };
        }
      }
      try {
        await lock[acquireRestore](saved);
      } catch (error) {
        // OwnerDiedError: the lock's holder ended holding it.
        this.#leaveAborted(generation);
        throw error;
      }
      if (aborted !== undefined) {
        this.#leaveAborted(generation);
        throw aborted.reason;
      }
      if (this.#claim(generation)) {
        this.#leave(generation, ASYNC_SLEEPERS);
        return true;
      }
      if (remaining(deadline) <= 0) {
        this.#leave(generation, ASYNC_SLEEPERS);
        return false;
      }
    }
  }

  async #waitForAsync<T>(
    predicate: () => T,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    let result = predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left <= 0) break;
      await this.wait({ timeout: left, signal });
      result = predicate();
    }
    return result;
  }

  #checkOwned(action: string): void {
    if (!this.#lock[isOwned]()) {
      throw new ThreadStateError(
        `Cannot ${action} a condition whose lock is not held: acquire it first`,
      );
    }
  }

  /**
   * Releases the lock for a wait. Should that fail (another thread released
   * a `Lock` held here), the waiter leaves before the error propagates.
   */
  #releaseOrLeave(generation: number, sleepers: number): number {
    try {
      return this.#lock[releaseSave]();
    } catch (error) {
      this.#leave(generation, sleepers);
      throw error;
    }
  }

  /** Registers a waiter (lock held); returns the generation it must see change. */
  #register(sleepers: number): number {
    const cells = this.#cells;
    Atomics.add(cells, LIVE, 1);
    Atomics.add(cells, FRESH, 1);
    Atomics.add(cells, sleepers, 1);
    return Atomics.load(cells, GENERATION);
  }

  /** Takes a credit if this waiter may (lock held). */
  #claim(generation: number): boolean {
    const cells = this.#cells;
    if (
      Atomics.load(cells, GENERATION) === generation ||
      Atomics.load(cells, CREDITS) === 0
    ) {
      return false;
    }
    Atomics.sub(cells, CREDITS, 1);
    return true;
  }

  /** Unregisters a waiter (lock held). */
  #leave(generation: number, sleepers: number): void {
    const cells = this.#cells;
    Atomics.sub(cells, LIVE, 1);
    Atomics.sub(cells, sleepers, 1);
    if (Atomics.load(cells, GENERATION) === generation) {
      Atomics.sub(cells, FRESH, 1);
    }
  }

  /**
   * Unregisters an aborted (or failed) waiter without letting a notification die with
   * it: a credit it could have claimed goes to another waiter, woken for it.
   */
  #leaveAborted(generation: number, sleepers = ASYNC_SLEEPERS): void {
    const cells = this.#cells;
    const couldClaim = Atomics.load(cells, GENERATION) !== generation;
    this.#leave(generation, sleepers);
    const credits = Atomics.load(cells, CREDITS);
    const claimable = Atomics.load(cells, LIVE) - Atomics.load(cells, FRESH);
    if (credits > claimable) Atomics.store(cells, CREDITS, claimable);
    else if (couldClaim && credits > 0) this.#wakeSleepers(1);
  }

  #wakeSleepers(count: number): void {
    const cells = this.#cells;
    if (Atomics.load(cells, SYNC_SLEEPERS) > 0) {
      Atomics.add(cells, SYNC_SEQ, 1);
      wake(cells, SYNC_SEQ, count);
    }
    if (Atomics.load(cells, ASYNC_SLEEPERS) > 0) {
      Atomics.add(cells, ASYNC_SEQ, 1);
      wake(cells, ASYNC_SEQ, count);
    }
  }
}

registerShareable(TAG, (data) => {
  const { cells, lock } = (data ?? {}) as {
    cells: unknown;
    lock: SharedState;
  };
  const shared = {
    cells: checkedCells(cells, WORDS, TYPE_TAG, TAG, "a Condition"),
    lock: reviveShared(lock) as Lockable,
  };
  return adopting(TAG, shared, () => new Condition());
});
