/**
 * Picks the engine of a queue: the two-lock ring for first-in first-out
 * queues, the one-lock store for the others.
 *
 * @module
 */
import { FifoQueueCore } from "./_fifo_core.ts";
import { LockedQueueCore } from "./_locked_core.ts";
import type { QueueCore } from "./_queue_core.ts";
import { FIFO } from "./_stores.ts";

/** A new empty queue of `kind`; `maxsize` ≤ 0 means unbounded. */
export function createCore(kind: number, maxsize: number): QueueCore {
  return kind === FIFO
    ? FifoQueueCore.create(maxsize)
    : LockedQueueCore.create(kind, maxsize);
}

/** A view over a queue of `kind` made in another thread. */
export function attachCore(
  data: unknown,
  kind: number,
  what: string,
): QueueCore {
  return kind === FIFO
    ? FifoQueueCore.attach(data, what)
    : LockedQueueCore.attach(data, kind, what);
}
