/**
 * The options of `acquire()`/`acquireSync()` on locks and semaphores, and their
 * validation.
 *
 * @module
 */
import {
  validateSignal,
  validateTimeout,
  type WaitOptions,
  type WaitSyncOptions,
} from "../wait_options.ts";
import { checkBoolean, checkOptions, describe } from "../validate.ts";

/**
 * Options for `acquire()` on a lock or semaphore.
 *
 * @example Usage
 * ```ts
 * import { type AcquireOptions, Lock } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * const options: AcquireOptions = { timeout: 100 };
 * assert.equal(await lock.acquire(options), true);
 * assert.equal(await lock.acquire(options), false); // still held: gives up after 100 ms
 * lock.release();
 * ```
 */
export interface AcquireOptions extends WaitOptions {
  /**
   * `false` tries once and never waits, like `timeout: 0` (Python's
   * `acquire(blocking=False)`). It cannot be combined with a `timeout`.
   *
   * @default {true}
   */
  blocking?: boolean;
}

/**
 * Options for `acquireSync()` on a lock or semaphore.
 *
 * @example Usage
 * ```ts
 * import { type AcquireSyncOptions, Lock } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * const tryOnce: AcquireSyncOptions = { blocking: false };
 * assert.equal(lock.acquireSync(tryOnce), true);
 * assert.equal(lock.acquireSync(tryOnce), false);
 * lock.release();
 * ```
 */
export interface AcquireSyncOptions extends WaitSyncOptions {
  /**
   * `false` tries once and never waits, like `timeout: 0` (Python's
   * `acquire(blocking=False)`). It cannot be combined with a `timeout`.
   *
   * @default {true}
   */
  blocking?: boolean;
}

/**
 * Checks acquire options and returns the timeout in ms (`Infinity` when
 * absent, `0` for `blocking: false`).
 *
 * @throws {TypeError} when `options` is not an object, `timeout` is not a
 * number or `blocking` is not a boolean.
 * @throws {RangeError} when `timeout` is negative or `NaN`, or is combined
 * with `blocking: false`.
 */
export function acquireTimeout(options: unknown, action: string): number {
  if (options === undefined) return Infinity;
  checkOptions(options, action);
  const { blocking, timeout } = options as AcquireOptions;
  const ms = validateTimeout(timeout, action);
  if (blocking === undefined || blocking === true) return ms;
  checkBoolean(blocking, action, "blocking");
  if (timeout !== undefined && timeout !== null) {
    throw new RangeError(
      `Cannot ${action} as 'timeout' cannot be combined with 'blocking: false': received ${
        describe(timeout)
      }`,
    );
  }
  return 0;
}

/** Checks the `signal` of acquire or wait options (already known to be an object or absent). */
export function optionsSignal(
  options: unknown,
  action: string,
): AbortSignal | undefined {
  if (options === undefined) return undefined;
  return validateSignal((options as WaitOptions).signal, action);
}

/**
 * Checks wait options (`{ timeout, signal }`) and returns the timeout in ms.
 *
 * @throws {TypeError} when `options` is not an object or `timeout` not a number.
 * @throws {RangeError} when `timeout` is negative or `NaN`.
 */
export function waitTimeout(options: unknown, action: string): number {
  if (options === undefined) return Infinity;
  checkOptions(options, action);
  return validateTimeout((options as WaitOptions).timeout, action);
}
