/**
 * The options of blocking queue operations, their validation, and how a queue
 * object is rebuilt over shared memory in another thread.
 *
 * @module
 */
import { checkBoolean, checkOptions, invalid } from "../validate.ts";
import { validateSignal, validateTimeout } from "../wait_options.ts";
import { type Blocking, MAX_MAXSIZE } from "./_queue_core.ts";

/**
 * Options of `put()`/`get()`: Python's `block` and `timeout`, plus a signal.
 *
 * @example Usage
 * ```ts
 * import { Queue, QueueEmpty, type QueueWaitOptions } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number>();
 * const options: QueueWaitOptions = { timeout: 10 };
 * await assert.rejects(queue.get(options), QueueEmpty);
 * ```
 */
export interface QueueWaitOptions {
  /**
   * `false` never waits: the call behaves as `putNowait()`/`getNowait()` and
   * `timeout` is ignored.
   *
   * @default {true}
   */
  block?: boolean;
  /**
   * The longest time to wait, in milliseconds; when it expires the call
   * fails with `QueueFull`/`QueueEmpty`. `0` tries once.
   *
   * @default {Infinity}
   */
  timeout?: number;
  /** Gives up the wait when aborted; the call then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Options of `putSync()`/`getSync()`: Python's `block` and `timeout`.
 *
 * @example Usage
 * ```ts
 * import { Queue, type QueueWaitSyncOptions } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number>(1);
 * const options: QueueWaitSyncOptions = { block: false };
 * queue.putSync(1, options);
 * assert.equal(queue.getSync(options), 1);
 * ```
 */
export interface QueueWaitSyncOptions {
  /**
   * `false` never waits: the call behaves as `putNowait()`/`getNowait()` and
   * `timeout` is ignored.
   *
   * @default {true}
   */
  block?: boolean;
  /**
   * The longest time to wait, in milliseconds; when it expires the call
   * throws `QueueFull`/`QueueEmpty`. `0` tries once.
   *
   * @default {Infinity}
   */
  timeout?: number;
}

const WAIT_FOR_EVER: Blocking = {
  block: true,
  timeout: Infinity,
  signal: undefined,
};
/** The options of the `*Nowait()` methods. */
export const NOWAIT: Blocking = {
  block: false,
  timeout: 0,
  signal: undefined,
};

/**
 * Validates blocking options.
 *
 * @throws {TypeError} for a non-object, a non-boolean `block`, a non-number
 * `timeout` or a non-signal `signal`.
 * @throws {RangeError} for a negative or `NaN` timeout.
 */
export function blocking(
  options: QueueWaitOptions | undefined,
  action: string,
): Blocking {
  if (options === undefined) return WAIT_FOR_EVER;
  checkOptions(options, action, "{ block, timeout }");
  const { block = true, timeout, signal } = options;
  checkBoolean(block, action, "block");
  return {
    block,
    timeout: validateTimeout(timeout, action),
    signal: validateSignal(signal, action),
  };
}

const MAXSIZE_INTEGER = "an integer (0 or less for no limit)";

/**
 * Validates a `maxsize` and returns it (anything ≤ 0 means unbounded, as does
 * `Infinity`).
 *
 * @throws {TypeError} when it is not a number.
 * @throws {RangeError} when it is `NaN`, not an integer, or above
 * `MAX_MAXSIZE` (2 ** 31 - 1).
 */
export function validateMaxsize(maxsize: unknown, action: string): number {
  if (typeof maxsize !== "number") {
    throw invalid(action, "maxsize", MAXSIZE_INTEGER, maxsize);
  }
  if (maxsize === Infinity) return 0;
  if (!Number.isInteger(maxsize)) {
    throw invalid(action, "maxsize", MAXSIZE_INTEGER, maxsize, RangeError);
  }
  if (maxsize > MAX_MAXSIZE) {
    throw invalid(
      action,
      "maxsize",
      `at most ${MAX_MAXSIZE} (0, a negative number or Infinity for no limit)`,
      maxsize,
      RangeError,
    );
  }
  return maxsize;
}
