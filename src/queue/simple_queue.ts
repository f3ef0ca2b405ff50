/**
 * `SimpleQueue`: Python's `queue.SimpleQueue` for threads, over shared memory.
 *
 * @module
 */
import {
  registerShareable,
  type SharedState,
  toShared,
} from "../transfer/shareable.ts";
import { encodeValueToScratch } from "../transfer/value_codec.ts";
import {
  blocking,
  type QueueWaitOptions,
  type QueueWaitSyncOptions,
} from "./_options.ts";
import { attachCore, createCore } from "./_cores.ts";
import { QUEUE_CORE, type QueueCore } from "./_queue_core.ts";
import { adopted, adopting } from "../_shm/adopt.ts";
import { FIFO } from "./_stores.ts";

const PUT = "put an item in the queue";
const ENCODE = { path: "item", action: PUT };

/**
 * An unbounded first-in, first-out queue that every thread sees, without task
 * tracking or shutdown: Python's `queue.SimpleQueue`. `put` never waits.
 * Items travel as in `Queue`: copied, except shared objects
 * (locks, queues, maps, `SharedArrayBuffer`s and views over them), which
 * arrive live.
 *
 * @typeParam T The type of the items.
 *
 * @example Usage
 * ```ts
 * import { SimpleQueue } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const q = new SimpleQueue<number>();
 * q.put(1);
 * q.putNowait(2);
 * assert.equal(q.qsize(), 2);
 * assert.equal(await q.get(), 1);
 * assert.equal(q.getSync({ timeout: 100 }), 2);
 * assert.equal(q.empty(), true);
 * ```
 */
export class SimpleQueue<T = unknown> {
  readonly #core: QueueCore;

  /** Creates an empty queue. */
  constructor() {
    this.#core = adopted<QueueCore>(QUEUE_CORE) ?? createCore(FIFO, 0);
  }

  /** The number of items in the queue now (other threads may change it at once). */
  qsize(): number {
    return this.#core.qsize();
  }

  /** Whether the queue holds no items now. */
  empty(): boolean {
    return this.#core.qsize() === 0;
  }

  /**
   * Puts an item in the queue. It never waits; the options are accepted for
   * compatibility with Python (which ignores them too).
   *
   * @param item The item (encoded at once: later changes do not reach it).
   * @param _options Ignored, as in Python, but validated.
   * @throws {TypeError} for an item that cannot be cloned (naming the part).
   */
  put(item: T, _options?: QueueWaitSyncOptions): void {
    blocking(_options, PUT);
    const { bytes, length } = encodeValueToScratch(item, ENCODE);
    this.#core.putSync(bytes, length, 0, false, 0);
  }

  /**
   * Puts an item in the queue; the same as `put(item)`.
   *
   * @param item The item.
   * @throws {TypeError} for an item that cannot be cloned.
   */
  putNowait(item: T): void {
    const { bytes, length } = encodeValueToScratch(item, ENCODE);
    this.#core.putSync(bytes, length, 0, false, 0);
  }

  /**
   * Puts an item in the queue; the same as `put(item)` (it never blocks).
   *
   * @param item The item.
   * @throws {TypeError} for an item that cannot be cloned.
   */
  putSync(item: T): void {
    this.putNowait(item);
  }

  /**
   * Removes and returns the next item, waiting for one without blocking the
   * event loop.
   *
   * @param options `block: false` or a `timeout` to give up; a `signal`.
   * @returns A promise of the item (a copy).
   * @throws {QueueEmpty} (rejects) when there is no item and `block` is false
   * or the timeout expired; `signal.reason` when aborted.
   */
  get(options?: QueueWaitOptions): Promise<T> {
    return this.#core.get(
      blocking(options, "get an item from the queue"),
    ) as Promise<T>;
  }

  /**
   * Removes and returns the next item, blocking the thread while the queue is
   * empty.
   *
   * @param options `block: false` or a `timeout` to give up.
   * @returns The item (a copy).
   * @throws {QueueEmpty} when there is no item and `block` is false or the
   * timeout expired.
   */
  getSync(options?: QueueWaitSyncOptions): T {
    const { block, timeout } = blocking(options, "get an item from the queue");
    return this.#core.getSync(block, timeout) as T;
  }

  /**
   * Removes and returns the next item if there is one now.
   *
   * @returns The item (a copy).
   * @throws {QueueEmpty} when the queue is empty.
   */
  getNowait(): T {
    return this.#core.getSync(false, 0) as T;
  }

  /**
   * Describes the queue for another thread: its tag and buffers.
   *
   * @ignore
   */
  [toShared](): SharedState {
    return { tag: "SimpleQueue", data: this.#core.state };
  }
}

registerShareable(
  "SimpleQueue",
  (data) =>
    adopting(
      QUEUE_CORE,
      attachCore(data, FIFO, "SimpleQueue"),
      () => new SimpleQueue(),
    ),
);
