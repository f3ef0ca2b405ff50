/**
 * `RLock`: Python's `threading.RLock` over shared memory.
 *
 * @module
 */
import { ThreadStateError } from "../errors.ts";
import { getIdent } from "../_shm/ident.ts";
import {
  registerShareable,
  type SharedState,
  toShared,
} from "../transfer/shareable.ts";
import type { WaitOptions, WaitSyncOptions } from "../wait_options.ts";
import {
  type AcquireOptions,
  type AcquireSyncOptions,
  acquireTimeout,
  optionsSignal,
} from "./acquire_options.ts";
import { formatId } from "../_shm/object_id.ts";
import {
  adoptedCells,
  adopting,
  checkedPrimitiveCells,
} from "../_shm/adopt.ts";
import {
  acquireRestore,
  acquireRestoreSync,
  holdAsync,
  holdSync,
  isOwned,
  releaseSave,
  runHolding,
} from "./_lockable.ts";
import {
  HOLDER,
  isLocked,
  lockAsyncSlow,
  lockSyncSlow,
  MUTEX_WORDS,
  tryLock,
  unlock,
} from "./_mutex.ts";

// OWNER and COUNT change only in the owning thread, between taking and
// releasing the mutex, whose atomic operations order them for the next
// owner: plain reads and writes suffice (aligned 32-bit accesses never tear).
/** The ident of the owning thread, 0 when free: the mutex's holder. */
const OWNER = HOLDER;
/** How many times the owner acquired it. */
const COUNT = MUTEX_WORDS;
/** The object id (the type tag follows: see `_shm/adopt.ts`). */
const ID = MUTEX_WORDS + 1;
const TAG = "threading.RLock";
const MAX_COUNT = 0x7fffffff;

/**
 * A re-entrant lock that every thread sees: Python's `threading.RLock`. The
 * thread that holds it may acquire it again; it is free once that thread has
 * released it as many times as it acquired it. Only the owning thread may
 * release it.
 *
 * Ownership belongs to a thread (its ident, see `getIdent()`), as in Python:
 * async functions running in the same thread share it, so an `RLock` does not
 * keep two async tasks of one thread apart — use a {@linkcode Lock} for that.
 *
 * When its owner thread ends while holding it (in any way: only the owner
 * can release it), its waiters throw {@linkcode OwnerDiedError} (within about
 * 100 ms) instead of waiting for ever.
 *
 * @example Usage
 * ```ts
 * import { RLock } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const lock = new RLock();
 * function outer(): number {
 *   using _held = lock.lockSync();
 *   return inner() + 1;
 * }
 * function inner(): number {
 *   using _held = lock.lockSync(); // the same thread: no deadlock
 *   return 41;
 * }
 * assert.equal(outer(), 42);
 * assert.equal(lock.locked(), false);
 * ```
 */
export class RLock {
  #cells: Int32Array;

  /** Creates an unlocked re-entrant lock. */
  constructor() {
    this.#cells = adoptedCells(TAG, ID);
  }

  /**
   * Acquires the lock, waiting without blocking the event loop while another
   * thread holds it. The owning thread acquires it again at once.
   *
   * @param options `timeout` in ms (`0` tries once), `signal` to give up,
   * `blocking: false` to try once.
   * @returns `true` once acquired; `false` when the timeout passed first.
   * @throws {TypeError} / {RangeError} at once for bad options.
   * @throws The signal's reason when it aborts (the lock is then not held).
   * @throws {OwnerDiedError} while waiting, when the thread that holds it
   * ended while holding the lock.
   *
   * @example Usage
   * ```ts
   * import { RLock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new RLock();
   * assert.equal(await lock.acquire(), true);
   * assert.equal(await lock.acquire(), true);
   * lock.release();
   * lock.release();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    const timeout = acquireTimeout(options, "acquire rlock");
    const signal = optionsSignal(options, "acquire rlock");
    if (signal?.aborted) return Promise.reject(signal.reason);
    const cells = this.#cells;
    const me = getIdent();
    if (cells[OWNER] === me) return Promise.resolve(this.#reenter(cells));
    if (tryLock(cells)) {
      this.#own(cells, me, 1);
      return Promise.resolve(true);
    }
    if (timeout === 0) return Promise.resolve(false);
    return lockAsyncSlow(
      cells,
      timeout,
      signal,
      "RLock",
      () => this.#own(cells, me, 1),
    );
  }

  /**
   * Acquires the lock, blocking the calling thread while another thread holds
   * it. The owning thread acquires it again at once.
   *
   * @param options `timeout` in ms (`0` tries once), or `blocking: false`.
   * @returns `true` once acquired; `false` when the timeout passed first.
   * @throws {TypeError} / {RangeError} for bad options.
   * @throws {OwnerDiedError} while waiting, when the thread that holds it
   * ended while holding the lock.
   *
   * @example Usage
   * ```ts
   * import { RLock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new RLock();
   * assert.equal(lock.acquireSync(), true);
   * assert.equal(lock.acquireSync({ timeout: 0 }), true);
   * lock.release();
   * lock.release();
   * ```
   */
  acquireSync(options?: AcquireSyncOptions): boolean {
    const timeout = options === undefined
      ? Infinity
      : acquireTimeout(options, "acquire rlock");
    const cells = this.#cells;
    const me = getIdent();
    if (cells[OWNER] === me) return this.#reenter(cells);
    if (
      !tryLock(cells) &&
      (timeout === 0 || !lockSyncSlow(cells, timeout, "RLock"))
    ) {
      return false;
    }
    this.#own(cells, me, 1);
    return true;
  }

  /**
   * Acquires the lock if that needs no wait: it is free, or this thread owns it.
   *
   * @returns Whether the lock was acquired.
   *
   * @example Usage
   * ```ts
   * import { RLock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new RLock();
   * assert.equal(lock.tryAcquire(), true);
   * assert.equal(lock.tryAcquire(), true);
   * ```
   */
  tryAcquire(): boolean {
    const cells = this.#cells;
    const me = getIdent();
    if (cells[OWNER] === me) return this.#reenter(cells);
    if (!tryLock(cells)) return false;
    this.#own(cells, me, 1);
    return true;
  }

  /**
   * Releases one level of the lock; the last release frees it for other
   * threads.
   *
   * @throws {ThreadStateError} when the calling thread does not hold the lock.
   *
   * @example Usage
   * ```ts
   * import { RLock, ThreadStateError } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new RLock();
   * lock.acquireSync();
   * lock.release();
   * assert.throws(() => lock.release(), ThreadStateError);
   * ```
   */
  release(): void {
    const cells = this.#cells;
    if (cells[OWNER] !== getIdent()) this.#notOwner(cells, "release");
    const count = cells[COUNT] - 1;
    cells[COUNT] = count;
    if (count === 0) {
      cells[OWNER] = 0;
      unlock(cells);
    }
  }

  /**
   * Whether some thread holds the lock.
   *
   * @example Usage
   * ```ts
   * import { RLock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new RLock();
   * lock.acquireSync();
   * assert.equal(lock.locked(), true);
   * lock.release();
   * assert.equal(lock.locked(), false);
   * ```
   */
  locked(): boolean {
    return isLocked(this.#cells);
  }

  /**
   * Acquires the lock and returns a `Disposable` that releases one level:
   * `using _ = await lock.lock();`.
   *
   * @throws {TimeoutError} when the timeout passed before the lock was acquired.
   * @throws {TypeError} / {RangeError} at once for bad options.
   * @throws {OwnerDiedError} while waiting, when the thread that holds it
   * ended while holding the lock.
   *
   * @example Usage
   * ```ts
   * import { RLock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new RLock();
   * {
   *   using _held = await lock.lock();
   *   assert.equal(lock.locked(), true);
   * }
   * assert.equal(lock.locked(), false);
   * ```
   */
  lock(options?: WaitOptions): Promise<Disposable> {
    return holdAsync(this, options, "the rlock");
  }

  /**
   * Acquires the lock, blocking the thread, and returns a `Disposable` that
   * releases one level: `using _ = lock.lockSync();`.
   *
   * @throws {TimeoutError} when the timeout passed before the lock was acquired.
   * @throws {TypeError} / {RangeError} for bad options.
   * @throws {OwnerDiedError} while waiting, when the thread that holds it
   * ended while holding the lock.
   *
   * @example Usage
   * ```ts
   * import { RLock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new RLock();
   * {
   *   using _held = lock.lockSync();
   *   assert.equal(lock.locked(), true);
   * }
   * assert.equal(lock.locked(), false);
   * ```
   */
  lockSync(options?: WaitSyncOptions): Disposable {
    return holdSync(this, options, "the rlock");
  }

  /**
   * Runs `fn` while holding the lock and releases it afterwards, also when
   * `fn` throws.
   *
   * @returns What `fn` returned, awaited.
   * @throws {TypeError} at once when `fn` is not a function.
   *
   * @example Usage
   * ```ts
   * import { RLock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new RLock();
   * assert.equal(await lock.withLock(() => lock.withLock(() => 42)), 42);
   * ```
   */
  withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    return runHolding(this, fn, "the rlock");
  }

  /**
   * A description like Python's repr:
   * `<locked RLock object owner=1 count=2 at 0x…>`.
   *
   * @example Usage
   * ```ts
   * import { RLock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * assert.match(String(new RLock()), /^<unlocked RLock object owner=0 count=0 at 0x/);
   * ```
   */
  toString(): string {
    const cells = this.#cells;
    const owner = Atomics.load(cells, OWNER);
    const count = Atomics.load(cells, COUNT);
    return `<${
      this.locked() ? "locked" : "unlocked"
    } RLock object owner=${owner} count=${count} at ${formatId(cells[ID])}>`;
  }

  /**
   * Describes the lock for another thread: its shared memory.
   *
   * @ignore
   */
  [toShared](): SharedState {
    return { tag: TAG, data: this.#cells.buffer };
  }

  /**
   * For `Condition`: whether the calling thread owns the lock.
   *
   * @ignore
   */
  [isOwned](): boolean {
    return this.#cells[OWNER] === getIdent();
  }

  /**
   * For `Condition`: releases every level before a wait; returns the count.
   *
   * @ignore
   */
  [releaseSave](): number {
    const cells = this.#cells;
    if (cells[OWNER] !== getIdent()) this.#notOwner(cells, "release");
    const count = cells[COUNT];
    cells[COUNT] = 0;
    cells[OWNER] = 0;
    unlock(cells);
    return count;
  }

  /**
   * For `Condition`: takes the lock back with its count, blocking.
   *
   * @ignore
   */
  [acquireRestoreSync](saved: number): void {
    const cells = this.#cells;
    if (!tryLock(cells)) lockSyncSlow(cells, Infinity, "RLock");
    this.#own(cells, getIdent(), saved);
  }

  /**
   * For `Condition`: takes the lock back with its count.
   *
   * @ignore
   */
  async [acquireRestore](saved: number): Promise<void> {
    const cells = this.#cells;
    const me = getIdent();
    if (tryLock(cells)) this.#own(cells, me, saved);
    else {
      await lockAsyncSlow(
        cells,
        Infinity,
        undefined,
        "RLock",
        () => this.#own(cells, me, saved),
      );
    }
  }

  #own(cells: Int32Array, me: number, count: number): void {
    cells[OWNER] = me;
    cells[COUNT] = count;
  }

  #reenter(cells: Int32Array): boolean {
    const count = cells[COUNT];
    if (count === MAX_COUNT) {
      throw new RangeError(
        `Cannot acquire rlock as it is already held ${MAX_COUNT} times by this thread`,
      );
    }
    cells[COUNT] = count + 1;
    return true;
  }

  #notOwner(cells: Int32Array, action: string): never {
    const owner = Atomics.load(cells, OWNER);
    throw new ThreadStateError(
      owner === 0
        ? `Cannot ${action} an unlocked rlock: acquire it first`
        : `Cannot ${action} an rlock held by another thread (ident ${owner}): only the thread that acquired it can release it`,
    );
  }
}

registerShareable(
  TAG,
  (data) =>
    adopting(
      TAG,
      checkedPrimitiveCells(data, TAG, ID, "an RLock"),
      () => new RLock(),
    ),
);
