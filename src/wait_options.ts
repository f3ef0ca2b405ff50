/**
 * The options every blocking operation takes, and their validation.
 *
 * @module
 */
import { invalid } from "./validate.ts";

/**
 * Options for a wait: how long, and a signal that gives up early.
 *
 * @example Usage
 * ```ts
 * import { Thread, type WaitOptions } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const options: WaitOptions = { timeout: 10_000, signal: new AbortController().signal };
 * assert.equal(await new Thread({ target: () => 1 }).start().join(options), 1);
 * ```
 */
export interface WaitOptions {
  /**
   * The longest time to wait, in milliseconds. `0` tries once; `Infinity`
   * waits for ever.
   *
   * @default {Infinity}
   */
  timeout?: number;
  /** Gives up the wait when aborted; the wait then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Options for a blocking wait (no signal: nothing can abort a blocked thread).
 *
 * @example Usage
 * ```ts
 * import { Thread, type WaitSyncOptions } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const options: WaitSyncOptions = { timeout: 10_000 };
 * assert.equal(new Thread({ target: () => 1 }).start().joinSync(options), 1);
 * ```
 */
export interface WaitSyncOptions {
  /**
   * The longest time to wait, in milliseconds. `0` tries once; `Infinity`
   * waits for ever.
   *
   * @default {Infinity}
   */
  timeout?: number;
}

/**
 * Checks a timeout and returns it in milliseconds (`Infinity` when absent).
 *
 * @throws {TypeError} when it is not a number.
 * @throws {RangeError} when it is negative or `NaN`.
 */
export function validateTimeout(
  timeout: unknown,
  action: string,
  name = "timeout",
): number {
  if (timeout === undefined || timeout === null) return Infinity;
  if (typeof timeout === "number" && timeout >= 0) return timeout;
  throw invalid(
    action,
    name,
    "a non-negative number of milliseconds",
    timeout,
    typeof timeout === "number" ? RangeError : TypeError,
  );
}

/**
 * Checks that `signal` is an `AbortSignal` (or absent).
 *
 * @throws {TypeError} otherwise.
 */
export function validateSignal(
  signal: unknown,
  action: string,
): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw invalid(action, "signal", "an AbortSignal", signal);
  }
  return signal;
}
