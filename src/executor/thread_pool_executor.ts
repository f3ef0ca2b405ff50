import { runtime } from "../runtime/detect.ts";
import { deadlineOf } from "../_shm/deadline.ts";
import { watch } from "../_shm/watch.ts";
import {
  checkFunctionOrModule,
  type ModuleFunction,
} from "../thread/module_function.ts";
import { encodeChecked } from "../transfer/codec.ts";
import { checkArity } from "../transfer/function_source.ts";
import type { Sendable } from "../transfer/sendable.ts";
import {
  checkArray,
  checkBoolean,
  checkInteger,
  checkOptions,
  invalid,
} from "../validate.ts";
import {
  validateSignal,
  validateTimeout,
  type WaitOptions,
} from "../wait_options.ts";
import { F_CHUNK } from "./_protocol.ts";
import { type FunctionSpec, specOf } from "../thread/target_spec.ts";
import { Engine } from "./_engine.ts";
import { MapIterator } from "./_map_iterator.ts";
import { Future } from "./future.ts";

let executorCounter = 0;

/**
 * What an executor runs: a self-contained function, or a module's export.
 *
 * @example Usage
 * ```ts
 * import { type TaskFunction, ThreadPoolExecutor } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const square: TaskFunction<[number], number> = (x: number) => x * x;
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * assert.equal(await pool.submit(square, 7), 49);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type TaskFunction<A extends unknown[] = any[], R = unknown> =
  | ((...args: A) => R)
  | ModuleFunction<A, R>;

/**
 * Options for {@linkcode ThreadPoolExecutor}.
 *
 * @example Usage
 * ```ts
 * import { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const options: ThreadPoolExecutorOptions = { maxWorkers: 2, threadNamePrefix: "worker" };
 * await using pool = new ThreadPoolExecutor(options);
 * assert.equal(pool.maxWorkers, 2);
 * ```
 */
export interface ThreadPoolExecutorOptions {
  /**
   * The most workers (threads) the pool runs at once. Workers start lazily,
   * when a task finds none idle, and are reused.
   *
   * @default {the number of logical cores}
   */
  maxWorkers?: number;
  /**
   * The prefix of the workers' thread names: `prefix_0`, `prefix_1`...
   * (what `currentThread().name` says inside a task).
   *
   * @default {"ThreadPoolExecutor-N"}
   */
  threadNamePrefix?: string;
  /**
   * Runs once in each worker before its first task (sent as source text, or
   * a `moduleFunction`). When it fails, the executor is broken: pending and
   * later tasks fail with `BrokenExecutorError`.
   */
  initializer?: TaskFunction;
  /**
   * Arguments for the initializer.
   *
   * @default {[]}
   */
  initargs?: unknown[];
  /**
   * The most tasks that may wait for a worker. `submit` beyond it throws
   * `QueueFull`; `await pool.waitForRoom()` waits until there is room.
   *
   * @default {Infinity}
   */
  maxQueue?: number;
  /**
   * Milliseconds a worker may stay idle before it stops (a later task starts
   * a new one). Idle workers never keep the process alive either way.
   *
   * @default {Infinity}
   */
  idleTimeout?: number;
  /**
   * What aborting a running task does (its `signal`, or its `timeout`):
   * `"signal"` aborts the signal that `taskSignal()` returns inside the task;
   * `"terminate"` also stops the worker at once and starts a new one. In both
   * cases the future fails at once with the abort reason.
   *
   * @default {"signal"}
   */
  abortRunning?: "signal" | "terminate";
}

/**
 * Options for one task ({@linkcode ThreadPoolExecutor.submitWith}).
 *
 * @example Usage
 * ```ts
 * import { type TaskOptions, ThreadPoolExecutor } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const options: TaskOptions = { timeout: 10_000, signal: new AbortController().signal };
 * assert.equal(await pool.submitWith((x: number) => x + 1, [1], options), 2);
 * ```
 */
export interface TaskOptions {
  /**
   * Aborts the task: a queued task is dropped; a running one is told through
   * `taskSignal()` (and stopped when the executor's `abortRunning` is
   * `"terminate"`). The future fails with `signal.reason`.
   */
  signal?: AbortSignal;
  /**
   * Milliseconds from `submit` until the task must have finished; then it is
   * aborted as by `signal`, and the future fails with `TimeoutError`.
   *
   * @default {Infinity}
   */
  timeout?: number;
}

/**
 * Options for {@linkcode ThreadPoolExecutor.map}.
 *
 * @example Usage
 * ```ts
 * import { type MapOptions, ThreadPoolExecutor } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const options: MapOptions = { chunksize: 2, timeout: 10_000 };
 * const doubled: number[] = [];
 * for await (const n of pool.map((x: number) => 2 * x, [1, 2, 3], options)) doubled.push(n);
 * assert.deepEqual(doubled, [2, 4, 6]);
 * ```
 */
export interface MapOptions {
  /**
   * Items sent to a worker together, as one task: larger chunks cut the
   * per-task cost of many small items.
   *
   * @default {1}
   */
  chunksize?: number;
  /**
   * Milliseconds from the `map()` call; when they pass before the next
   * result is ready, the iteration throws `TimeoutError`.
   *
   * @default {Infinity}
   */
  timeout?: number;
  /**
   * The most chunks submitted ahead of the one the iteration waits for: the
   * input is read lazily, never all at once.
   *
   * @default {max(64, 16 * maxWorkers)}
   */
  buffersize?: number;
}

/**
 * Options for {@linkcode ThreadPoolExecutor.shutdown}.
 *
 * @example Usage
 * ```ts
 * import { type ShutdownOptions, ThreadPoolExecutor } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const future = pool.submit((x: number) => x, 1);
 * const options: ShutdownOptions = { wait: true, cancelFutures: false };
 * await pool.shutdown(options);
 * assert.equal(await future, 1);
 * ```
 */
export interface ShutdownOptions {
  /**
   * Whether the returned promise waits until pending tasks are done and the
   * workers stopped.
   *
   * @default {true}
   */
  wait?: boolean;
  /**
   * Whether tasks that have not started are cancelled.
   *
   * @default {false}
   */
  cancelFutures?: boolean;
}

/**
 * Run-time or wait-time percentiles over recent tasks, in milliseconds.
 *
 * @example Usage
 * ```ts
 * import { type Percentiles, ThreadPoolExecutor } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * await pool.submit((x: number) => x + 1, 1);
 * const runTime: Percentiles = pool.stats().runTime;
 * assert.ok(runTime.p50 <= runTime.max);
 * ```
 */
export interface Percentiles {
  /** The median. */
  p50: number;
  /** The 90th percentile. */
  p90: number;
  /** The 99th percentile. */
  p99: number;
  /** The largest. */
  max: number;
}

/**
 * What {@linkcode ThreadPoolExecutor.stats} reports.
 *
 * @example Usage
 * ```ts
 * import { type ExecutorStats, ThreadPoolExecutor } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * await pool.submit((x: number) => x + 1, 1);
 * const stats: ExecutorStats = pool.stats();
 * assert.equal(stats.completed, 1);
 * ```
 */
export interface ExecutorStats {
  /** Tasks that returned a value. */
  completed: number;
  /** Tasks that failed (threw, were aborted, timed out or lost their worker). */
  failed: number;
  /** Tasks cancelled before they started. */
  cancelled: number;
  /** Tasks waiting for a worker. */
  queued: number;
  /** Tasks running now. */
  active: number;
  /** Live workers. */
  workers: number;
  /** How long recent tasks ran (the last 1024). */
  runTime: Percentiles;
  /** How long recent tasks waited before they ran (the last 1024). */
  waitTime: Percentiles;
}

/**
 * A pool of worker threads that runs tasks, like Python's
 * `concurrent.futures.ThreadPoolExecutor`: `submit(fn, ...args)` returns a
 * {@linkcode Future}; `map(fn, iterable)` yields results in input order.
 * Functions travel as source text (self-contained, like `Thread` targets) and
 * are compiled once per worker; `moduleFunction()` targets work too. Shared
 * objects in args arrive live.
 *
 * Workers start lazily (up to `maxWorkers`) and are reused. Idle workers never
 * keep the process alive; pending tasks do, so a script that submits work and
 * ends still finishes it, as in Python. Small tasks travel in batches through
 * shared memory, not one message each.
 *
 * @example Usage
 * ```ts
 * import { ThreadPoolExecutor } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const future = pool.submit((a: number, b: number) => a ** b, 2, 8);
 * assert.equal(await future, 256);
 * const squares: number[] = [];
 * for await (const square of pool.map((x: number) => x * x, [1, 2, 3])) {
 *   squares.push(square);
 * }
 * assert.deepEqual(squares, [1, 4, 9]);
 * ```
 */
export class ThreadPoolExecutor {
  #engine: Engine;
  #maxQueue: number;

  /**
   * Creates the pool; no worker starts before the first task.
   *
   * @throws {TypeError} when an option has the wrong type, the initializer is
   * not a function, or an initarg cannot be cloned.
   * @throws {RangeError} when `maxWorkers` is not an integer greater than 0,
   * or another numeric option is out of range.
   */
  constructor(options: ThreadPoolExecutorOptions = {}) {
    const action = "create executor";
    checkOptions(options, action);
    const maxWorkers = options.maxWorkers ?? runtime.hardwareConcurrency;
    checkInteger(
      maxWorkers,
      action,
      "maxWorkers",
      1,
      "an integer greater than 0",
    );
    const prefix = options.threadNamePrefix;
    if (prefix !== undefined && typeof prefix !== "string") {
      throw invalid(action, "threadNamePrefix", "a string", prefix);
    }
    const maxQueue = options.maxQueue ?? Infinity;
    if (maxQueue !== Infinity) {
      checkInteger(
        maxQueue,
        action,
        "maxQueue",
        1,
        "a positive integer or Infinity",
      );
    }
    const idleTimeout = options.idleTimeout === undefined
      ? Infinity
      : validateTimeout(options.idleTimeout, action, "idleTimeout");
    const abortRunning = options.abortRunning ?? "signal";
    if (abortRunning !== "signal" && abortRunning !== "terminate") {
      throw invalid(
        action,
        "abortRunning",
        '"signal" or "terminate"',
        abortRunning,
      );
    }
    let initializer: FunctionSpec | null = null;
    if (options.initializer !== undefined && options.initializer !== null) {
      const init = options.initializer;
      checkFunctionOrModule(init, action, "initializer");
      initializer = specOf(init, "the initializer");
    }
    const initargs = options.initargs ?? [];
    checkArray(initargs, action, "initargs");
    const name = prefix ?? `ThreadPoolExecutor-${executorCounter++}`;
    this.#maxQueue = maxQueue;
    this.#engine = new Engine({
      maxWorkers,
      prefix: name,
      maxQueue,
      idleTimeout,
      terminateOnAbort: abortRunning === "terminate",
      initializer,
      initargs: encodeChecked(initargs, "initargs"),
    });
    const engine = this.#engine;
    watch.current?.executorCreated(name, () => engine.shut);
  }

  /** The most workers this pool runs at once. */
  get maxWorkers(): number {
    return this.#engine.maxWorkers;
  }

  /**
   * Schedules `fn(...args)` on a worker.
   *
   * @typeParam A The function's parameters.
   * @typeParam R What it returns.
   * @returns A future for the result.
   * @throws {ThreadStateError} after `shutdown()`.
   * @throws {BrokenExecutorError} when an initializer failed.
   * @throws {QueueFull} when `maxQueue` tasks already wait.
   * @throws {TypeError} when `fn` is not a function or an argument cannot be
   * cloned (the message names its position).
   */
  submit<A extends unknown[], R>(
    fn: TaskFunction<A, R>,
    ...args: NoInfer<A & Sendable<A>>
  ): Future<Awaited<R>> {
    const engine = this.#engine;
    engine.checkOpen("submit task");
    const fnId = engine.functionId(fn, "submit task");
    if (typeof fn === "function") {
      checkArity(fn, args.length, "submit task", "the task function");
    }
    engine.checkRoom("submit task");
    return engine.enqueue(fnId, args, 0) as Future<Awaited<R>>;
  }

  /**
   * Schedules `fn(...args)` with per-task options: an abort `signal` and a
   * `timeout`.
   *
   * @typeParam A The function's parameters.
   * @typeParam R What it returns.
   * @returns A future for the result; it fails with `signal.reason` or
   * `TimeoutError` when the task is aborted.
   * @throws As {@linkcode ThreadPoolExecutor.submit}, and {@linkcode TypeError}
   * or {@linkcode RangeError} for bad options.
   */
  submitWith<A extends unknown[], R>(
    fn: TaskFunction<A, R>,
    args: NoInfer<A & Sendable<A>>,
    options: TaskOptions = {},
  ): Future<Awaited<R>> {
    const engine = this.#engine;
    const action = "submit task";
    engine.checkOpen(action);
    const fnId = engine.functionId(fn, action);
    checkArray(args, action, "args");
    if (typeof fn === "function") {
      checkArity(fn, args.length, action, "the task function");
    }
    const signal = validateSignal(options?.signal, action);
    const timeout = validateTimeout(options?.timeout, action);
    engine.checkRoom(action);
    if (signal?.aborted) {
      const future = new Future<Awaited<R>>();
      future.setException(signal.reason);
      return future;
    }
    const future = engine.enqueue(fnId, args, 0);
    engine.abortOn(future, signal, timeout);
    return future as Future<Awaited<R>>;
  }

  /**
   * Runs `fn` over the items of `iterable` (or, like Python, over several
   * iterables zipped: `map(pow, bases, exponents)`), yielding results in
   * input order. The input is read lazily with a bounded look-ahead; the
   * first `buffersize` chunks are submitted at once.
   *
   * An item's error is thrown when the iteration reaches it; the tasks not
   * yet started are then cancelled, as when the loop ends early.
   *
   * @typeParam T The items.
   * @typeParam R What `fn` returns.
   * @returns An async iterable of the results.
   * @throws {ThreadStateError} after `shutdown()`.
   * @throws {TypeError} when `fn` is not a function or an input is not
   * iterable.
   * @throws {RangeError} when `chunksize` is not a positive integer.
   * @throws {TimeoutError} from the iteration when `timeout` passes.
   */
  map<T, R>(
    fn: TaskFunction<[T], R>,
    iterable: Iterable<T>,
    options?: MapOptions,
  ): AsyncIterableIterator<Awaited<R>>;
  /**
   * Runs `fn` over several iterables zipped (stops at the shortest), like
   * Python's `map(fn, *iterables)`; options may follow the last iterable.
   *
   * @typeParam R What `fn` returns.
   * @returns An async iterable of the results, in input order.
   */
  map<R>(
    // deno-lint-ignore no-explicit-any
    fn: TaskFunction<any[], R>,
    ...iterables: (Iterable<unknown> | MapOptions | undefined)[]
  ): AsyncIterableIterator<Awaited<R>>;
  map<R>(
    // deno-lint-ignore no-explicit-any
    fn: TaskFunction<any[], R>,
    ...rest: (Iterable<unknown> | MapOptions | undefined)[]
  ): AsyncIterableIterator<Awaited<R>> {
    const engine = this.#engine;
    const action = "map";
    engine.checkOpen(action);
    const fnId = engine.functionId(fn, action);
    let options: MapOptions = {};
    const last = rest[rest.length - 1];
    if (
      rest.length > 1 &&
      (last === undefined ||
        (typeof last === "object" && last !== null &&
          typeof (last as Iterable<unknown>)[Symbol.iterator] !== "function"))
    ) {
      options = (rest.pop() ?? {}) as MapOptions;
    }
    if (rest.length === 0) {
      // Not invalid(): its message says "undefined (undefined)".
      throw new TypeError(
        `Cannot map as 'iterable' must be iterable: received undefined`,
      );
    }
    const iterators = rest.map((it, i) => {
      if (
        it === null || it === undefined ||
        typeof (it as Iterable<unknown>)[Symbol.iterator] !== "function"
      ) {
        throw invalid(
          action,
          i === 0 ? "iterable" : `iterables[${i}]`,
          "iterable",
          it,
        );
      }
      return (it as Iterable<unknown>)[Symbol.iterator]();
    });
    if (typeof fn === "function") {
      checkArity(
        fn,
        iterators.length,
        action,
        "the function",
        "by map() (one per iterable)",
      );
    }
    const timeout = validateTimeout(options.timeout, action);
    const chunksize = options.chunksize ?? 1;
    checkInteger(chunksize, action, "chunksize", 1);
    const buffersize = options.buffersize ??
      Math.max(64, 16 * engine.maxWorkers);
    if (
      typeof buffersize !== "number" || !Number.isInteger(buffersize) ||
      buffersize < 1
    ) {
      // A RangeError whatever the type, unlike chunksize.
      throw invalid(
        action,
        "buffersize",
        "a positive integer",
        buffersize,
        RangeError,
      );
    }
    return new MapIterator<Awaited<R>>(
      (args, chunk) => {
        engine.checkOpen(action);
        return engine.enqueue(fnId, args, chunk ? F_CHUNK : 0);
      },
      () => {
        const args: unknown[] = [];
        for (const it of iterators) {
          const step = it.next();
          if (step.done) return undefined;
          args.push(step.value);
        }
        return args;
      },
      chunksize,
      buffersize,
      deadlineOf(timeout),
      () => {
        for (const it of iterators) it.return?.();
      },
    );
  }

  /**
   * Waits until fewer than `maxQueue` tasks wait for a worker, so that the
   * next `submit` does not throw `QueueFull`.
   *
   * @throws {TimeoutError} when `timeout` ms pass first.
   */
  waitForRoom(options: WaitOptions = {}): Promise<void> {
    const timeout = validateTimeout(options?.timeout, "wait for room");
    const signal = validateSignal(options?.signal, "wait for room");
    const engine = this.#engine;
    if (this.#maxQueue === Infinity || engine.queued() < this.#maxQueue) {
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return engine.waitForRoom(timeout, signal);
  }

  /**
   * Stops accepting tasks and, once the pending ones are done, stops the
   * workers. May be called more than once.
   *
   * @returns A promise that settles when the pool has stopped (at once with
   * `wait: false`; the tasks still run to their end).
   * @throws {TypeError} when an option has the wrong type.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    const wait = options?.wait ?? true;
    const cancelFutures = options?.cancelFutures ?? false;
    checkBoolean(wait, "shut down executor", "wait");
    checkBoolean(cancelFutures, "shut down executor", "cancelFutures");
    const stopped = this.#engine.shutdown(cancelFutures);
    return wait ? stopped : Promise.resolve();
  }

  /** Shuts the pool down and waits, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /**
   * Counters and timings: completed, failed, cancelled, queued and active
   * tasks, live workers, and run-time and wait-time percentiles (ms) over the
   * last 1024 tasks.
   */
  stats(): ExecutorStats {
    return this.#engine.stats();
  }
}
