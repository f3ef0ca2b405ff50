/**
 * `Lock`: Python's `threading.Lock` over shared memory.
 *
 * @module
 */
import { ThreadStateError } from "../errors.ts";
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
import { getIdent } from "../_shm/ident.ts";
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
  CONTENDED_BIT,
  isLocked,
  lockAsyncSlow,
  lockSyncSlow,
  lockWordOf,
  MUTEX_WORDS,
  STATE,
  tryLock,
  unlocked,
} from "./_mutex.ts";

/** The object id, after the mutex (the type tag follows: see `_shm/adopt.ts`). */
const ID = MUTEX_WORDS;
const TAG = "threading.Lock";

/**
 * A mutual-exclusion lock that every thread sees: Python's `threading.Lock`.
 * It lives in shared memory, so passing it to a thread (in `args`, nested
 * anywhere, or as a field of a `Thread` subclass) gives that thread the same
 * lock, not a copy.
 *
 * It is not re-entrant: acquiring it twice from one thread waits for ever
 * (use {@linkcode RLock} for that). Any thread may release it, as in Python.
 * `acquire()` waits without blocking the event loop; `acquireSync()` blocks
 * the thread. `using _ = lock.lockSync()` and `using _ = await lock.lock()`
 * hold it until the end of the block, like Python's `with lock:`.
 *
 * When the thread holding it fails — its target throws, it calls
 * `process.exit()`/`Deno.exit()`, crashes or is terminated — the lock stays
 * held, and its waiters throw {@linkcode OwnerDiedError} (within about
 * 100 ms) instead of waiting for ever. A holder whose target returned
 * normally does not count: any thread may still release the lock.
 *
 * @example Usage
 * ```ts
 * import { Lock, Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * const counter = new Int32Array(new SharedArrayBuffer(4));
 * const threads = [1, 2].map(() =>
 *   new Thread({
 *     target: (lock: Lock, counter: Int32Array) => {
 *       for (let i = 0; i < 1000; i++) {
 *         lock.acquireSync();
 *         counter[0] = counter[0] + 1;
 *         lock.release();
 *       }
 *     },
 *     args: [lock, counter],
 *   }).start()
 * );
 * for (const thread of threads) await thread.join();
 * assert.equal(counter[0], 2000);
 * ```
 */
export class Lock {
  #cells: Int32Array;

  /** Creates an unlocked lock. */
  constructor() {
    this.#cells = adoptedCells(TAG, ID);
  }

  /**
   * Acquires the lock, waiting without blocking the event loop while another
   * holder has it.
   *
   * @param options `timeout` in ms (`0` tries once), `signal` to give up,
   * `blocking: false` to try once.
   * @returns `true` once acquired; `false` when the timeout passed first.
   * @throws {TypeError} at once for options of the wrong type.
   * @throws {RangeError} at once for a negative or `NaN` timeout.
   * @throws The signal's reason when it aborts (the lock is then not held).
   * @throws {OwnerDiedError} while waiting, when the thread that holds it
   * failed (its target threw, it exited, crashed or was
   * terminated) while holding the lock.
   *
   * @example Usage
   * ```ts
   * import { Lock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * assert.equal(await lock.acquire(), true);
   * assert.equal(await lock.acquire({ timeout: 10 }), false);
   * lock.release();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    const timeout = acquireTimeout(options, "acquire lock");
    const signal = optionsSignal(options, "acquire lock");
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (tryLock(this.#cells)) return Promise.resolve(true);
    if (timeout === 0) return Promise.resolve(false);
    return lockAsyncSlow(this.#cells, timeout, signal, "Lock");
  }

  /**
   * Acquires the lock, blocking the calling thread while another holder has
   * it (Python's `acquire()`).
   *
   * @param options `timeout` in ms (`0` tries once), or `blocking: false`.
   * @returns `true` once acquired; `false` when the timeout passed first.
   * @throws {TypeError} for options of the wrong type.
   * @throws {RangeError} for a negative or `NaN` timeout.
   * @throws {OwnerDiedError} while waiting, when the thread that holds it
   * failed (its target threw, it exited, crashed or was
   * terminated) while holding the lock.
   *
   * @example Usage
   * ```ts
   * import { Lock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * assert.equal(lock.acquireSync(), true);
   * assert.equal(lock.acquireSync({ timeout: 0 }), false);
   * lock.release();
   * ```
   */
  acquireSync(options?: AcquireSyncOptions): boolean {
    const cells = this.#cells;
    if (options === undefined) {
      // The fast path, written out: one compare-and-swap.
      if (
        Atomics.compareExchange(cells, STATE, 0, lockWordOf(getIdent())) !== 0
      ) {
        return lockSyncSlow(cells, Infinity, "Lock");
      }
      return true;
    }
    const timeout = acquireTimeout(options, "acquire lock");
    if (tryLock(cells)) return true;
    return timeout !== 0 && lockSyncSlow(cells, timeout, "Lock");
  }

  /**
   * Acquires the lock if it is free, without waiting.
   *
   * @returns Whether the lock was acquired.
   *
   * @example Usage
   * ```ts
   * import { Lock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * assert.equal(lock.tryAcquire(), true);
   * assert.equal(lock.tryAcquire(), false);
   * ```
   */
  tryAcquire(): boolean {
    return tryLock(this.#cells);
  }

  /**
   * Releases the lock. Any thread may release it, not only the one that
   * acquired it; one waiting acquirer then gets it.
   *
   * @throws {ThreadStateError} when the lock is not locked.
   *
   * @example Usage
   * ```ts
   * import { Lock, ThreadStateError } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * lock.acquireSync();
   * lock.release();
   * assert.throws(() => lock.release(), ThreadStateError);
   * ```
   */
  release(): void {
    // The fast path, written out: one exchange that finds the holder's
    // ident without the contended bit (nobody waits; see _mutex.ts).
    const cells = this.#cells;
    const previous = Atomics.exchange(cells, STATE, 0);
    if ((previous & CONTENDED_BIT) !== 0) unlocked(cells, previous);
    else if (previous === 0) {
      throw new ThreadStateError(
        "Cannot release an unlocked lock: acquire it first",
      );
    }
  }

  /**
   * Whether some thread holds the lock.
   *
   * @example Usage
   * ```ts
   * import { Lock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * assert.equal(lock.locked(), false);
   * lock.acquireSync();
   * assert.equal(lock.locked(), true);
   * ```
   */
  locked(): boolean {
    return isLocked(this.#cells);
  }

  /**
   * Acquires the lock and returns a `Disposable` that releases it: with
   * `using _ = await lock.lock();` the lock is held until the end of the block.
   *
   * @throws {TimeoutError} when the timeout passed before the lock was acquired.
   * @throws {TypeError} / {RangeError} at once for bad options.
   * @throws {OwnerDiedError} while waiting, when the thread that holds it
   * failed (its target threw, it exited, crashed or was
   * terminated) while holding the lock.
   *
   * @example Usage
   * ```ts
   * import { Lock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * {
   *   using _held = await lock.lock();
   *   assert.equal(lock.locked(), true);
   * }
   * assert.equal(lock.locked(), false);
   * ```
   */
  lock(options?: WaitOptions): Promise<Disposable> {
    return holdAsync(this, options, "the lock");
  }

  /**
   * Acquires the lock, blocking the thread, and returns a `Disposable` that
   * releases it: `using _ = lock.lockSync();` is Python's `with lock:`.
   *
   * @throws {TimeoutError} when the timeout passed before the lock was acquired.
   * @throws {TypeError} / {RangeError} for bad options.
   * @throws {OwnerDiedError} while waiting, when the thread that holds it
   * failed (its target threw, it exited, crashed or was
   * terminated) while holding the lock.
   *
   * @example Usage
   * ```ts
   * import { Lock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * {
   *   using _held = lock.lockSync();
   *   assert.equal(lock.locked(), true);
   * }
   * assert.equal(lock.locked(), false);
   * ```
   */
  lockSync(options?: WaitSyncOptions): Disposable {
    return holdSync(this, options, "the lock");
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
   * import { Lock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * assert.equal(await lock.withLock(() => 42), 42);
   * assert.equal(lock.locked(), false);
   * ```
   */
  withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    return runHolding(this, fn, "the lock");
  }

  /**
   * A description like Python's repr: `<locked Lock object at 0x…>`.
   *
   * @example Usage
   * ```ts
   * import { Lock } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * assert.match(String(new Lock()), /^<unlocked Lock object at 0x[0-9a-f]+>$/);
   * ```
   */
  toString(): string {
    return `<${this.locked() ? "locked" : "unlocked"} Lock object at ${
      formatId(this.#cells[ID])
    }>`;
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
   * For `Condition`: a `Lock` counts as owned while anybody holds it, as in Python.
   *
   * @ignore
   */
  [isOwned](): boolean {
    return isLocked(this.#cells);
  }

  /**
   * For `Condition`: releases the lock before a wait.
   *
   * @ignore
   */
  [releaseSave](): number {
    this.release();
    return 1;
  }

  /**
   * For `Condition`: takes the lock back after a wait, blocking.
   *
   * @ignore
   */
  [acquireRestoreSync](_saved: number): void {
    if (!tryLock(this.#cells)) lockSyncSlow(this.#cells, Infinity, "Lock");
  }

  /**
   * For `Condition`: takes the lock back after a wait.
   *
   * @ignore
   */
  async [acquireRestore](_saved: number): Promise<void> {
    if (!tryLock(this.#cells)) {
      await lockAsyncSlow(this.#cells, Infinity, undefined, "Lock");
    }
  }
}

registerShareable(
  TAG,
  (data) =>
    adopting(
      TAG,
      checkedPrimitiveCells(data, TAG, ID, "a Lock"),
      () => new Lock(),
    ),
);
