/**
 * The outcome a thread's worker reports when its target failed, or when its
 * return value cannot be sent: the error serialized with its name, message,
 * stack, cause and own properties, a `ReferenceError` explained when the
 * target read a variable it did not have. Loaded only on failure.
 *
 * @module
 */
import { cloneError } from "../transfer/codec.ts";
import { serializeError } from "../transfer/error_codec.ts";
import { explainMissingVariable } from "../transfer/function_source.ts";
import type { Outcome } from "./_protocol.ts";

/**
 * Builds the failed outcome: `error` is the target's error when `failed`,
 * else what sending `value` threw.
 */
export function failure(
  error: unknown,
  value: unknown,
  failed: boolean,
  threadName: string,
  source?: string,
): Outcome {
  const reported = failed
    ? explainMissingVariable(
      error,
      `The target of thread ${threadName}`,
      source,
    )
    : (error instanceof TypeError || error instanceof RangeError) &&
        /^Cannot send /.test(error.message)
    ? error // the codec's own explanation
    : cloneError(value, "the return value", error);
  return { ok: false, error: serializeError(reported) };
}
