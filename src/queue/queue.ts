/**
 * `Queue`: Python's `queue.Queue` for threads, over shared memory.
 *
 * @module
 */
import { QueueShutDown } from "../errors.ts";
import {
  registerShareable,
  type SharedState,
  toShared,
} from "../transfer/shareable.ts";
import {
  encodeValueToScratch,
  type ScratchEncoding,
} from "../transfer/value_codec.ts";
import { checkBoolean, checkOptions, invalid } from "../validate.ts";
import {
  validateSignal,
  validateTimeout,
  type WaitOptions,
  type WaitSyncOptions,
} from "../wait_options.ts";
import {
  blocking,
  NOWAIT,
  type QueueWaitOptions,
  type QueueWaitSyncOptions,
  validateMaxsize,
} from "./_options.ts";
import { attachCore, createCore } from "./_cores.ts";
import { QUEUE_CORE, type QueueCore } from "./_queue_core.ts";
import { adopted, adopting } from "../_shm/adopt.ts";
import { FIFO, LIFO, PRIORITY } from "./_stores.ts";

export type { QueueWaitOptions, QueueWaitSyncOptions };

/**
 * Options of {@linkcode Queue.shutdown}.
 *
 * @example Usage
 * ```ts
 * import { Queue, type QueueShutdownOptions } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number>();
 * queue.putNowait(1);
 * const options: QueueShutdownOptions = { immediate: true };
 * queue.shutdown(options); // drops the queued item
 * assert.equal(queue.qsize(), 0);
 * ```
 */
export interface QueueShutdownOptions {
  /**
   * Drop the queued items at once (and their unfinished tasks, which
   * releases `join()`), instead of letting getters drain them.
   *
   * @default {false}
   */
  immediate?: boolean;
}

// Which order each queue class keeps; subclasses register theirs.
const kinds = new WeakMap<object, number>();
const tags: Record<number, string> = {
  [FIFO]: "Queue",
  [LIFO]: "LifoQueue",
  [PRIORITY]: "PriorityQueue",
};

/** Records the order a queue class keeps (called by the subclass modules). */
export function registerQueueKind(ctor: object, kind: number): void {
  kinds.set(ctor, kind);
}

function kindOf(ctor: object): number {
  for (let c: object | null = ctor; c !== null; c = Object.getPrototypeOf(c)) {
    const kind = kinds.get(c);
    if (kind !== undefined) return kind;
  }
  return FIFO;
}

const PUT = "put an item in the queue";
const ENCODE_ITEM = { path: "item", action: PUT };
const ENCODE_PRIORITY_ITEM = { path: "item[1]", action: PUT };
/** Where `#encode` leaves the encoding (no tuple to allocate per item). */
const scratch: { encoding: ScratchEncoding } = {
  encoding: { bytes: new Uint8Array(0), length: 0 },
};

const PRIORITY_SHAPE =
  "a [priority, value] pair whose priority is a number (not NaN)";

/**
 * A first-in, first-out queue that every thread sees: Python's `queue.Queue`.
 * Items are copied in (encoded once by `put`) and copied out (decoded by
 * `get`), so anything structured-cloneable can travel. Shared objects travel
 * live, anywhere in an item or as the item itself: a `Lock` (any lock,
 * condition, semaphore, event or barrier), a queue, a `SharedMap`, a
 * `SharedArrayBuffer` or a typed array or `DataView` over one arrives in the
 * getting thread as an object over the same memory, even while every other
 * thread is blocked. (The process keeps each `SharedArrayBuffer` that went
 * through a queue or map until it exits: send long-lived shared objects, not
 * a fresh one per item.) Functions, symbols, ports and other things that
 * cannot be cloned throw a `TypeError` and leave the queue unchanged.
 *
 * Every blocking method has an async form that never blocks the event loop
 * and a `*Sync` form that blocks the thread, as Python's does. Pass the queue
 * to threads in their `args`; it arrives there as a live view of the same
 * memory.
 *
 * @typeParam T The type of the items.
 *
 * @example Usage
 * ```ts
 * import { Queue, Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const results = new Queue<number>();
 * const thread = new Thread({
 *   target: (q: Queue<number>, n: number) => q.putSync(n * n),
 *   args: [results, 7],
 * });
 * thread.start();
 * assert.equal(await results.get(), 49);
 * await thread.join();
 * ```
 *
 * @example Shared objects inside items
 * ```ts
 * import { Lock, Queue, Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * type Job = { lock: Lock; counter: Int32Array };
 * const jobs = new Queue<Job>();
 * const worker = new Thread({
 *   target: (q: Queue<Job>) => {
 *     const { lock, counter } = q.getSync(); // live, not copies
 *     lock.acquireSync();
 *     counter[0] += 1;
 *     lock.release();
 *   },
 *   args: [jobs],
 * }).start();
 * const counter = new Int32Array(new SharedArrayBuffer(4));
 * jobs.putSync({ lock: new Lock(), counter });
 * await worker.join();
 * assert.equal(counter[0], 1);
 * ```
 */
export class Queue<T = unknown> implements AsyncIterable<T> {
  readonly #core: QueueCore;
  readonly #kind: number;

  /**
   * Creates an empty queue.
   *
   * @param maxsize The most items the queue holds before `put` waits; `0`
   * (or any value ≤ 0, or `Infinity`) means no limit but memory.
   * @throws {TypeError} when `maxsize` is not a number.
   * @throws {RangeError} when `maxsize` is not an integer or above 2 ** 31 - 1.
   */
  constructor(maxsize: number = 0) {
    const revived = adopted<QueueCore>(QUEUE_CORE);
    this.#kind = kindOf(new.target);
    if (revived !== undefined) {
      this.#core = revived;
      return;
    }
    this.#core = createCore(
      this.#kind,
      validateMaxsize(maxsize, "create queue"),
    );
  }

  /**
   * The most items the queue holds (`0`: no limit). Setting it, as Python
   * allows, takes effect at once in every thread.
   *
   * @throws {TypeError} when set to a non-number.
   * @throws {RangeError} when set to a non-integer.
   */
  get maxsize(): number {
    return this.#core.maxsize;
  }

  set maxsize(value: number) {
    this.#core.maxsize = validateMaxsize(value, "set the queue's maxsize");
  }

  /** Whether `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#core.isShutdown;
  }

  /** Items put and not yet marked done with `taskDone()`. */
  get unfinishedTasks(): number {
    return this.#core.unfinishedTasks;
  }

  /** The number of items in the queue now (other threads may change it at once). */
  qsize(): number {
    return this.#core.qsize();
  }

  /** Whether the queue holds no items now. */
  empty(): boolean {
    return this.#core.qsize() === 0;
  }

  /** Whether the queue holds `maxsize` items now (never for an unbounded queue). */
  full(): boolean {
    return this.#core.full();
  }

  /**
   * Encodes an item into the codec's reused buffer; returns its priority (0
   * unless this is a priority queue).
   */
  #encode(item: T, scratch: { encoding: ScratchEncoding }): number {
    if (this.#kind !== PRIORITY) {
      scratch.encoding = encodeValueToScratch(item, ENCODE_ITEM);
      return 0;
    }
    if (
      !Array.isArray(item) || item.length !== 2 ||
      typeof item[0] !== "number" || Number.isNaN(item[0])
    ) {
      throw invalid(PUT, "item", PRIORITY_SHAPE, item);
    }
    scratch.encoding = encodeValueToScratch(item[1], ENCODE_PRIORITY_ITEM);
    return item[0];
  }

  /**
   * Puts an item in the queue, waiting for room without blocking the event
   * loop.
   *
   * @param item The item (encoded before the call returns: later changes to
   * it do not reach the queue).
   * @param options `block: false` or a `timeout` to give up; a `signal`.
   * @returns A promise that resolves once the item is in the queue.
   * @throws {TypeError} at once for an item that cannot be cloned (naming the
   * part) or bad options; {@linkcode RangeError} for a negative timeout.
   * @throws {QueueFull} (rejects) when there is no room and `block` is false
   * or the timeout expired; {@linkcode QueueShutDown} after `shutdown()`;
   * `signal.reason` when aborted.
   */
  put(item: T, options?: QueueWaitOptions): Promise<void> {
    const how = blocking(options, PUT);
    const priority = this.#encode(item, scratch);
    const { bytes, length } = scratch.encoding;
    return this.#core.put(bytes, length, priority, how);
  }

  /**
   * Puts an item in the queue, blocking the thread while it is full.
   *
   * @param item The item.
   * @param options `block: false` or a `timeout` to give up.
   * @throws {QueueFull} when there is no room and `block` is false or the
   * timeout expired; {@linkcode QueueShutDown} after `shutdown()`.
   * @throws {TypeError} for an item that cannot be cloned or bad options.
   */
  putSync(item: T, options?: QueueWaitSyncOptions): void {
    const { block, timeout } = blocking(options, PUT);
    const priority = this.#encode(item, scratch);
    const { bytes, length } = scratch.encoding;
    this.#core.putSync(bytes, length, priority, block, timeout);
  }

  /**
   * Puts an item only if there is room now: `put(item, { block: false })`.
   *
   * @param item The item.
   * @throws {QueueFull} when the queue is full; {@linkcode QueueShutDown}
   * after `shutdown()`; `TypeError` for an item that cannot be cloned.
   */
  putNowait(item: T): void {
    const priority = this.#encode(item, scratch);
    const { bytes, length } = scratch.encoding;
    this.#core.putSync(bytes, length, priority, false, 0);
  }

  /**
   * Removes and returns the next item, waiting for one without blocking the
   * event loop.
   *
   * @param options `block: false` or a `timeout` to give up; a `signal`.
   * @returns A promise of the item (a copy).
   * @throws {QueueEmpty} (rejects) when there is no item and `block` is false
   * or the timeout expired; {@linkcode QueueShutDown} once the queue is shut
   * down and empty; `signal.reason` when aborted.
   * @throws {TypeError} at once for bad options; `RangeError` for a negative
   * timeout.
   */
  get(options?: QueueWaitOptions): Promise<T> {
    const how = blocking(options, "get an item from the queue");
    return this.#core.get(how) as Promise<T>;
  }

  /**
   * Removes and returns the next item, blocking the thread while the queue is
   * empty.
   *
   * @param options `block: false` or a `timeout` to give up.
   * @returns The item (a copy).
   * @throws {QueueEmpty} when there is no item and `block` is false or the
   * timeout expired; {@linkcode QueueShutDown} once the queue is shut down and
   * empty.
   */
  getSync(options?: QueueWaitSyncOptions): T {
    const { block, timeout } = blocking(options, "get an item from the queue");
    return this.#core.getSync(block, timeout) as T;
  }

  /**
   * Removes and returns the next item if there is one now:
   * `getSync({ block: false })`.
   *
   * @returns The item (a copy).
   * @throws {QueueEmpty} when the queue is empty; {@linkcode QueueShutDown}
   * once it is shut down and empty.
   */
  getNowait(): T {
    return this.#core.getSync(NOWAIT.block, NOWAIT.timeout) as T;
  }

  /**
   * Marks one task taken with `get` as finished; when every item put has
   * been marked, `join()` returns.
   *
   * @throws {RangeError} when called more times than items were put (Python
   * raises `ValueError`).
   */
  taskDone(): void {
    if (!this.#core.taskDone()) {
      throw new RangeError(
        "Cannot mark a task done: taskDone() was called more times than items were put in the queue",
      );
    }
  }

  /**
   * Waits, without blocking the event loop, until every item put has been
   * marked done with `taskDone()`.
   *
   * @param options A `timeout` or `signal` to give up (Python has none).
   * @throws {TimeoutError} (rejects) when the timeout expires;
   * `signal.reason` when aborted.
   */
  join(options: WaitOptions = {}): Promise<void> {
    const timeout = validateTimeout(options.timeout, "join the queue");
    const signal = validateSignal(options.signal, "join the queue");
    return this.#core.join(timeout, signal);
  }

  /**
   * Blocks the thread until every item put has been marked done with
   * `taskDone()`.
   *
   * @param options A `timeout` to give up.
   * @throws {TimeoutError} when the timeout expires.
   */
  joinSync(options: WaitSyncOptions = {}): void {
    this.#core.joinSync(validateTimeout(options.timeout, "join the queue"));
  }

  /**
   * Shuts the queue down (Python 3.13): `put` throws {@linkcode QueueShutDown}
   * from now on, and `get` does once the queue is empty; blocked putters and
   * getters wake up to find out. With `immediate: true` the queued items are
   * dropped and `join()` is released. Calling it again is harmless.
   *
   * @param options `immediate` drops the queued items.
   * @throws {TypeError} when `options` is not an object or `immediate` is
   * not a boolean.
   */
  shutdown(options: QueueShutdownOptions = {}): void {
    const action = "shut down the queue";
    checkOptions(options, action, "{ immediate: true }");
    const immediate = options.immediate ?? false;
    checkBoolean(immediate, action, "immediate");
    this.#core.shutdown(immediate);
  }

  /**
   * Yields items as `get()` does, until the queue is shut down and drained.
   * Call `taskDone()` for each as usual when you `join()`.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (error) {
        if (error instanceof QueueShutDown) return;
        throw error;
      }
      yield item;
    }
  }

  /**
   * Describes the queue for another thread: its tag and buffers.
   *
   * @ignore
   */
  [toShared](): SharedState {
    return { tag: tags[this.#kind], data: this.#core.state };
  }
}

registerQueueKind(Queue, FIFO);
registerShareable(
  "Queue",
  (data) =>
    adopting(QUEUE_CORE, attachCore(data, FIFO, "Queue"), () => new Queue()),
);
