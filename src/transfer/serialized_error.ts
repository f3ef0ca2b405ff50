/**
 * The shape in which a thrown value crosses threads, and its core: an error's
 * name, message and stack (Python's view of an error), or a thrown non-error
 * value, cloned or described. `error_codec.ts` adds the cause chain, the
 * sub-errors and the own properties, and rebuilds errors. This module imports
 * nothing, so that a thread's worker entry can report an error without
 * loading the codec.
 *
 * @module
 */

/** An error flattened for `postMessage`. */
export interface SerializedError {
  /** `true` for an `Error`; `false` for any other thrown value. */
  error: boolean;
  /** The error's `name`. */
  name?: string;
  /** The error's `message`. */
  message?: string;
  /** The error's `stack`. */
  stack?: string;
  /** The serialized `cause`, when there was one. */
  cause?: SerializedError;
  /** Sub-errors of an `AggregateError`. */
  errors?: SerializedError[];
  /** Own enumerable properties that could be cloned. */
  props?: Record<string, unknown>;
  /** A thrown non-error value, cloned or described. */
  value?: unknown;
}

/**
 * A thrown value flattened to its core: an error's name, message and stack,
 * or the value itself, cloned (or, when it cannot be, described).
 */
export function briefError(thrown: unknown): SerializedError {
  if (thrown instanceof Error) {
    const { name, message, stack } = thrown;
    return { error: true, name, message, stack };
  }
  return { error: false, value: cloneOrDescribe(thrown) };
}

/** A structured clone of `value`, or its string when it cannot be cloned. */
export function cloneOrDescribe(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}
