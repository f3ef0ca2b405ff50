/**
 * `Semaphore`: Python's `threading.Semaphore` over shared memory.
 *
 * @module
 */
import {
  registerShareable,
  type SharedState,
  toShared,
} from "../transfer/shareable.ts";
import type { WaitOptions, WaitSyncOptions } from "../wait_options.ts";
import { checkInteger, invalid } from "../validate.ts";
import {
  type AcquireOptions,
  type AcquireSyncOptions,
  acquireTimeout,
  optionsSignal,
} from "./acquire_options.ts";
import { deadlineOf } from "../_shm/deadline.ts";
import { sleepOn, waitLoopAsync, waitLoopSync } from "../_shm/wait_loop.ts";
import { formatId } from "../_shm/object_id.ts";
import {
  adopted,
  adopting,
  checkedPrimitiveCells,
  primitiveCells,
} from "../_shm/adopt.ts";
import { notify } from "../_shm/futex.ts";
import { holdAsync, holdSync, runHolding } from "./_lockable.ts";

// Permits live in VALUE; blocking acquirers sleep on it while it is 0 and
// async ones on SEQ (see `_mutex.ts` for why the two kinds are kept apart).
const VALUE = 0;
const SYNC_WAITERS = 1;
const SEQ = 2;
const ASYNC_WAITERS = 3;
/** The highest value `release()` may reach. */
const BOUND = 4;
/** 1 for a `BoundedSemaphore`. */
const KIND = 5;
/** The object id (the type tag follows: see `_shm/adopt.ts`). */
const ID = 6;
const TAG = "threading.Semaphore";
/** The tag a `BoundedSemaphore` crosses threads with (revived by its own module). */
export const BOUNDED_TAG = "threading.BoundedSemaphore";
const MAX_VALUE = 0x7fffffff;

let nextBounded = false;

/** Makes the next `Semaphore` constructed a bounded one (for `BoundedSemaphore`). */
export function markNextBounded(): void {
  nextBounded = true;
}

/**
 * Builds a semaphore with `make` (a constructor call) over memory that
 * arrived from another thread, once it is checked to be a semaphore's.
 *
 * @throws {TypeError} when it is not.
 */
export function reviveSemaphore<S>(
  data: unknown,
  what: string,
  make: () => S,
): S {
  return adopting(
    TAG,
    checkedPrimitiveCells(data, TAG, ID, what),
    make,
  );
}

/**
 * A counter of permits that every thread sees: Python's
 * `threading.Semaphore`. `acquire()` takes a permit, waiting while there is
 * none; `release(n)` gives `n` back and wakes as many waiters. Use it to let
 * at most `value` threads into a section at once.
 *
 * @example Usage
 * ```ts
 * import { Semaphore } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(2);
 * assert.equal(slots.tryAcquire(), true);
 * assert.equal(slots.tryAcquire(), true);
 * assert.equal(slots.tryAcquire(), false);
 * slots.release();
 * assert.equal(slots.value, 1);
 * ```
 */
export class Semaphore {
  #cells: Int32Array;

  /**
   * Creates a semaphore holding `value` permits.
   *
   * @throws {TypeError} when `value` is not a number.
   * @throws {RangeError} when `value` is negative or not an integer.
   */
  constructor(value = 1) {
    const bounded = nextBounded;
    nextBounded = false;
    const shared = adopted<Int32Array>(TAG);
    if (shared !== undefined) {
      this.#cells = shared;
      return;
    }
    const what = bounded ? "bounded semaphore" : "semaphore";
    checkInteger(value, `create ${what}`, "value", 0);
    if (value > MAX_VALUE) {
      throw invalid(
        `create ${what}`,
        "value",
        "a non-negative integer",
        value,
        RangeError,
      );
    }
    const cells = primitiveCells(TAG, ID);
    cells[VALUE] = value;
    cells[BOUND] = bounded ? value : MAX_VALUE;
    cells[KIND] = bounded ? 1 : 0;
    this.#cells = cells;
  }

  /**
   * The number of permits available now.
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Semaphore(3).value, 3);
   * ```
   */
  get value(): number {
    return Atomics.load(this.#cells, VALUE);
  }

  /**
   * Takes a permit, waiting without blocking the event loop while there is
   * none.
   *
   * @param options `timeout` in ms (`0` tries once), `signal` to give up,
   * `blocking: false` to try once.
   * @returns `true` once a permit is taken; `false` when the timeout passed.
   * @throws {TypeError} / {RangeError} at once for bad options.
   * @throws The signal's reason when it aborts (no permit is then taken).
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(1);
   * assert.equal(await sem.acquire(), true);
   * assert.equal(await sem.acquire({ timeout: 10 }), false);
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    const what = this.#what();
    const timeout = acquireTimeout(options, `acquire ${what}`);
    const signal = optionsSignal(options, `acquire ${what}`);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (take(this.#cells)) return Promise.resolve(true);
    if (timeout === 0) return Promise.resolve(false);
    return this.#acquireAsync(timeout, signal);
  }

  /**
   * Takes a permit, blocking the thread while there is none (Python's
   * `acquire()`).
   *
   * @param options `timeout` in ms (`0` tries once), or `blocking: false`.
   * @returns `true` once a permit is taken; `false` when the timeout passed.
   * @throws {TypeError} / {RangeError} for bad options.
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(1);
   * assert.equal(sem.acquireSync(), true);
   * assert.equal(sem.acquireSync({ blocking: false }), false);
   * ```
   */
  acquireSync(options?: AcquireSyncOptions): boolean {
    const timeout = options === undefined
      ? Infinity
      : acquireTimeout(options, `acquire ${this.#what()}`);
    const cells = this.#cells;
    if (take(cells)) return true;
    if (timeout === 0) return false;
    const deadline = deadlineOf(timeout);
    Atomics.add(cells, SYNC_WAITERS, 1);
    try {
      return waitLoopSync(deadline, (left) => {
        if (take(cells)) return true;
        if (left <= 0) return false;
        return sleepOn(cells, VALUE, 0);
      });
    } finally {
      Atomics.sub(cells, SYNC_WAITERS, 1);
    }
  }

  /**
   * Takes a permit if one is available, without waiting.
   *
   * @returns Whether a permit was taken.
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Semaphore(0).tryAcquire(), false);
   * ```
   */
  tryAcquire(): boolean {
    return take(this.#cells);
  }

  /**
   * Gives back `n` permits and wakes up to `n` waiters.
   *
   * @param n How many permits: a positive integer.
   * @throws {TypeError} when `n` is not a number.
   * @throws {RangeError} when `n` is not a positive integer, or (for a
   * `BoundedSemaphore`) the value would go above the initial value.
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(0);
   * sem.release(3);
   * assert.equal(sem.value, 3);
   * ```
   */
  release(n = 1): void {
    const cells = this.#cells;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
      throw invalid(
        `release ${this.#what()}`,
        "n",
        "a positive integer",
        n,
        typeof n === "number" ? RangeError : TypeError,
      );
    }
    const bound = cells[BOUND];
    let value = Atomics.load(cells, VALUE);
    for (;;) {
      if (value > bound - n) {
        throw new RangeError(
          cells[KIND] === 1
            ? `Cannot release bounded semaphore as it would hold ${
              value + n
            } permits, more than its initial value ${bound}: release only what was acquired`
            : `Cannot release semaphore as it would hold more than ${bound} permits`,
        );
      }
      const seen = Atomics.compareExchange(cells, VALUE, value, value + n);
      if (seen === value) break;
      value = seen;
    }
    if (Atomics.load(cells, SYNC_WAITERS) !== 0) notify(cells, VALUE, n);
    if (Atomics.load(cells, ASYNC_WAITERS) !== 0) {
      Atomics.add(cells, SEQ, 1);
      notify(cells, SEQ, n);
    }
  }

  /**
   * Takes a permit and returns a `Disposable` that gives it back:
   * `using _ = await sem.lock();` (Python's `with sem:`).
   *
   * @throws {TimeoutError} when the timeout passed before a permit was taken.
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(1);
   * {
   *   using _permit = await sem.lock();
   *   assert.equal(sem.value, 0);
   * }
   * assert.equal(sem.value, 1);
   * ```
   */
  lock(options?: WaitOptions): Promise<Disposable> {
    return holdAsync(this, options, `the ${this.#what()}`);
  }

  /**
   * Takes a permit, blocking the thread, and returns a `Disposable` that
   * gives it back: `using _ = sem.lockSync();`.
   *
   * @throws {TimeoutError} when the timeout passed before a permit was taken.
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(1);
   * {
   *   using _permit = sem.lockSync();
   *   assert.equal(sem.value, 0);
   * }
   * assert.equal(sem.value, 1);
   * ```
   */
  lockSync(options?: WaitSyncOptions): Disposable {
    return holdSync(this, options, `the ${this.#what()}`);
  }

  /**
   * Runs `fn` holding a permit and gives it back afterwards, also when `fn`
   * throws.
   *
   * @returns What `fn` returned, awaited.
   * @throws {TypeError} at once when `fn` is not a function.
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(1);
   * assert.equal(await sem.withLock(() => sem.value), 0);
   * ```
   */
  withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    return runHolding(this, fn, `the ${this.#what()}`);
  }

  /**
   * A description like Python's repr: `<threading.Semaphore at 0x…: value=3>`,
   * or `value=2/3` for a bounded semaphore.
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * assert.match(String(new Semaphore(3)), /^<threading\.Semaphore at 0x[0-9a-f]+: value=3>$/);
   * ```
   */
  toString(): string {
    const cells = this.#cells;
    const bounded = cells[KIND] === 1;
    return `<threading.${bounded ? "BoundedSemaphore" : "Semaphore"} at ${
      formatId(cells[ID])
    }: value=${this.value}${bounded ? `/${cells[BOUND]}` : ""}>`;
  }

  /**
   * Describes the semaphore for another thread: its shared memory.
   *
   * @ignore
   */
  [toShared](): SharedState {
    return {
      tag: this.#cells[KIND] === 1 ? BOUNDED_TAG : TAG,
      data: this.#cells.buffer,
    };
  }

  #what(): string {
    return this.#cells[KIND] === 1 ? "bounded semaphore" : "semaphore";
  }

  async #acquireAsync(
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const cells = this.#cells;
    const deadline = deadlineOf(timeout);
    Atomics.add(cells, ASYNC_WAITERS, 1);
    try {
      return await waitLoopAsync(deadline, (left) => {
        const seq = Atomics.load(cells, SEQ);
        if (take(cells)) return true;
        if (left <= 0) return false;
        return sleepOn(cells, SEQ, seq);
      }, signal);
    } finally {
      Atomics.sub(cells, ASYNC_WAITERS, 1);
    }
  }
}

/** Takes a permit if there is one. */
function take(cells: Int32Array): boolean {
  let value = Atomics.load(cells, VALUE);
  while (value > 0) {
    const seen = Atomics.compareExchange(cells, VALUE, value, value - 1);
    if (seen === value) return true;
    value = seen;
  }
  return false;
}

registerShareable(
  TAG,
  (data) => reviveSemaphore(data, "a Semaphore", () => new Semaphore()),
);
