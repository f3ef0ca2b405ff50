/**
 * `LifoQueue`: Python's `queue.LifoQueue` for threads, over shared memory.
 *
 * @module
 */
import { registerShareable } from "../transfer/shareable.ts";
import { adopting } from "../_shm/adopt.ts";
import { QUEUE_CORE } from "./_queue_core.ts";
import { attachCore } from "./_cores.ts";
import { LIFO } from "./_stores.ts";
import { Queue, registerQueueKind } from "./queue.ts";

/**
 * A last-in, first-out queue (a stack) that every thread sees: Python's
 * `queue.LifoQueue`. It has every member of {@linkcode Queue}; only the order
 * differs: `get` returns the item put most recently.
 *
 * @typeParam T The type of the items.
 *
 * @example Usage
 * ```ts
 * import { LifoQueue } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const stack = new LifoQueue<string>();
 * stack.putSync("first");
 * stack.putSync("second");
 * assert.equal(stack.getSync(), "second");
 * assert.equal(await stack.get(), "first");
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  /**
   * Creates an empty stack.
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

registerQueueKind(LifoQueue, LIFO);
registerShareable(
  "LifoQueue",
  (data) =>
    adopting(
      QUEUE_CORE,
      attachCore(data, LIFO, "LifoQueue"),
      () => new LifoQueue(),
    ),
);
