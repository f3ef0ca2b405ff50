/**
 * Errors cross threads with their class name, message, stack, `cause` chain
 * and own enumerable properties (such as `code`): the one error serializer,
 * built on the core in `serialized_error.ts`.
 *
 * @module
 */
import {
  BrokenBarrierError,
  BrokenExecutorError,
  CancelledError,
  ConcurrentModificationError,
  InvalidStateError,
  OwnerDiedError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  ThreadExitError,
  ThreadStateError,
  TimeoutError,
} from "../errors.ts";
import {
  briefError,
  cloneOrDescribe,
  type SerializedError,
} from "./serialized_error.ts";
import { defineHidden } from "./_assign.ts";

export type { SerializedError } from "./serialized_error.ts";

/** The error classes rebuilt by name when an error crosses threads. */
export const knownErrors: Record<string, new (message?: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
  ThreadStateError,
  TimeoutError,
  BrokenBarrierError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  CancelledError,
  ConcurrentModificationError,
  InvalidStateError,
  BrokenExecutorError,
  OwnerDiedError,
};

/** Flattens a thrown value so that it survives `postMessage`. */
export function serializeError(thrown: unknown, depth = 0): SerializedError {
  const out = briefError(thrown);
  if (!(thrown instanceof Error)) return out;
  if ("cause" in thrown && depth < 16) {
    out.cause = serializeError(thrown.cause, depth + 1);
  }
  if (thrown instanceof AggregateError && depth < 16) {
    out.errors = thrown.errors.map((e) => serializeError(e, depth + 1));
  }
  const props: Record<string, unknown> = {};
  let any = false;
  for (const key of Object.keys(thrown)) {
    if (
      key === "cause" || key === "stack" || key === "message" || key === "name"
    ) continue;
    props[key] = cloneOrDescribe(
      (thrown as unknown as Record<string, unknown>)[key],
    );
    any = true;
  }
  if (any) out.props = props;
  return out;
}

/** Rebuilds a thrown value flattened by {@linkcode serializeError}. */
export function deserializeError(data: SerializedError): unknown {
  if (!data.error) return data.value;
  let error: Error;
  if (data.errors !== undefined) {
    error = new AggregateError(data.errors.map(deserializeError), data.message);
  } else if (data.name === "ThreadExitError") {
    error = new ThreadExitError(data.message ?? "");
  } else {
    const Ctor = knownErrors[data.name ?? "Error"] ?? Error;
    error = new Ctor(data.message);
  }
  if (error.name !== data.name) {
    defineHidden(error, "name", data.name);
  }
  if (data.stack !== undefined) {
    defineHidden(error, "stack", data.stack);
  }
  if (data.cause !== undefined) {
    defineHidden(error, "cause", deserializeError(data.cause));
  }
  if (data.props !== undefined) Object.assign(error, data.props);
  return error;
}
