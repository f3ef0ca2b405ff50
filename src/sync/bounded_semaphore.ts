/**
 * `BoundedSemaphore`: Python's `threading.BoundedSemaphore` over shared memory.
 *
 * @module
 */
import { registerShareable } from "../transfer/shareable.ts";
import {
  BOUNDED_TAG,
  markNextBounded,
  reviveSemaphore,
  Semaphore,
} from "./semaphore.ts";

/**
 * A {@linkcode Semaphore} that refuses to grow above its initial value:
 * releasing a permit that was never acquired throws a `RangeError` (Python
 * raises `ValueError`), which catches a release too many early.
 *
 * @example Usage
 * ```ts
 * import { BoundedSemaphore } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const sem = new BoundedSemaphore(1);
 * assert.throws(() => sem.release(), RangeError);
 * sem.acquireSync();
 * sem.release();
 * assert.equal(sem.value, 1);
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /**
   * Creates a bounded semaphore holding `value` permits, which is also the
   * most it may ever hold.
   *
   * @throws {TypeError} when `value` is not a number.
   * @throws {RangeError} when `value` is negative or not an integer.
   */
  constructor(value = 1) {
    markNextBounded();
    super(value);
  }
}

registerShareable(
  BOUNDED_TAG,
  (data) =>
    reviveSemaphore(data, "a BoundedSemaphore", () => new BoundedSemaphore()),
);
