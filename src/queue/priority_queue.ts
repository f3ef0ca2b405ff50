/**
 * `PriorityQueue`: Python's `queue.PriorityQueue` for threads, over shared
 * memory.
 *
 * @module
 */
import { registerShareable } from "../transfer/shareable.ts";
import { adopting } from "../_shm/adopt.ts";
import { QUEUE_CORE } from "./_queue_core.ts";
import { attachCore } from "./_cores.ts";
import { PRIORITY } from "./_stores.ts";
import { Queue, registerQueueKind } from "./queue.ts";

/**
 * An item of a {@linkcode PriorityQueue}: its priority (lowest first) and its value.
 *
 * @example Usage
 * ```ts
 * import { type PriorityItem, PriorityQueue } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const queue = new PriorityQueue<string>();
 * const item: PriorityItem<string> = [1, "urgent"];
 * queue.putNowait([5, "later"]);
 * queue.putNowait(item);
 * assert.deepEqual(queue.getNowait(), item);
 * ```
 */
export type PriorityItem<T> = [priority: number, value: T];

/**
 * A queue that every thread sees and that returns the item with the lowest
 * priority first, and items of equal priority in the order they were put:
 * Python's `queue.PriorityQueue` with `(priority, value)` entries. It has
 * every member of {@linkcode Queue}; `get` returns the whole
 * `[priority, value]` item.
 *
 * Only the priority orders items (the value is never compared), so values
 * need not be comparable.
 *
 * @typeParam T The type of the values.
 *
 * @example Usage
 * ```ts
 * import { PriorityQueue } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const jobs = new PriorityQueue<string>();
 * jobs.putSync([5, "later"]);
 * jobs.putSync([1, "urgent"]);
 * jobs.putSync([5, "latest"]);
 * assert.deepEqual(jobs.getSync(), [1, "urgent"]);
 * assert.deepEqual(jobs.getSync(), [5, "later"]);
 * assert.deepEqual(await jobs.get(), [5, "latest"]);
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<PriorityItem<T>> {
  /**
   * Creates an empty priority queue. `put` throws a `TypeError` for an item
   * that is not a `[priority, value]` pair with a number priority.
   *
   * @param maxsize The most items it holds before `put` waits; `0` (or any
   * value ≤ 0) means no limit but memory.
   * @throws {TypeError} when `maxsize` is not a number.
   * @throws {RangeError} when `maxsize` is not an integer.
   */
  constructor(maxsize: number = 0) {
    super(maxsize);
  }
}

registerQueueKind(PriorityQueue, PRIORITY);
registerShareable(
  "PriorityQueue",
  (data) =>
    adopting(
      QUEUE_CORE,
      attachCore(data, PRIORITY, "PriorityQueue"),
      () => new PriorityQueue(),
    ),
);
