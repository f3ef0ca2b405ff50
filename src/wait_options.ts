/**
 * The options every blocking operation takes, and their validation.
 *
 * @module
 */

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
  if (typeof timeout !== "number") {
    throw new TypeError(
      `Cannot ${action} as '${name}' must be a non-negative number of milliseconds: received ${
        describe(timeout)
      }`,
    );
  }
  if (!(timeout >= 0)) {
    throw new RangeError(
      `Cannot ${action} as '${name}' must be a non-negative number of milliseconds: received ${
        describe(timeout)
      }`,
    );
  }
  return timeout;
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
    throw new TypeError(
      `Cannot ${action} as 'signal' must be an AbortSignal: received ${
        describe(signal)
      }`,
    );
  }
  return signal;
}

/** Renders a bad value with its type, for error messages: `-1 (number)`. */
export function describe(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  if (shown.length > 60) shown = shown.slice(0, 57) + "...";
  const type = value === null
    ? "null"
    : Array.isArray(value)
    ? "array"
    : typeof value;
  return `${shown} (${type})`;
}
