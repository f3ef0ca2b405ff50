/**
 * How shared objects cross threads. A shared object (a lock, a queue, a map)
 * is a view over `SharedArrayBuffer`s: crossing a thread sends its buffers and
 * a type tag, and the receiving thread rebuilds a live view over the same
 * memory. Classes opt in with {@linkcode registerShareable}.
 *
 * @module
 */

/** The method a shareable instance implements to describe itself. */
export const toShared: unique symbol = Symbol.for(
  "@threading/threading.toShared",
);

/** What a shareable instance sends: its registered tag and cloneable data (buffers). */
export interface SharedState {
  /** The tag the class registered with {@linkcode registerShareable}. */
  tag: string;
  /** Structured-cloneable data, typically `SharedArrayBuffer`s and numbers. */
  data: unknown;
}

/** An object that can cross threads as a live view. */
export interface Shareable {
  /** Describes the object for the receiving thread. */
  [toShared](): SharedState;
}

const revivers = new Map<string, (data: unknown) => unknown>();

/**
 * Registers a shareable class: `revive` rebuilds an instance from the data its
 * `[toShared]()` returned. Every thread registers the same classes before it
 * revives any: a thread's worker loads them first (`load_shareables.ts`).
 */
export function registerShareable(
  tag: string,
  revive: (data: unknown) => unknown,
): void {
  revivers.set(tag, revive);
}

/** Tells whether `value` is a shareable object. */
export function isShareable(value: unknown): value is Shareable {
  return typeof value === "object" && value !== null && toShared in value;
}

/** Rebuilds a shared object from its state, in the receiving thread. */
export function reviveShared(state: SharedState): unknown {
  const revive = revivers.get(state.tag);
  if (revive === undefined) {
    throw new TypeError(
      `Cannot receive a shared object of type '${state.tag}': that class is not registered in this thread`,
    );
  }
  return revive(state.data);
}
