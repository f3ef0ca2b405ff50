import {
  BrokenExecutorError,
  QueueFull,
  ThreadExitError,
  ThreadStateError,
  TimeoutError,
} from "../errors.ts";
import { runtime } from "../runtime/detect.ts";
import { unreadableModule } from "../runtime/unreadable_module.ts";
import type { WorkerHandle } from "../runtime/types.ts";
import { holdEventLoop } from "../sync/futex.ts";
import { watch } from "../_watch.ts";
import { globalsBuffer, nextIdent, setFate } from "../thread/_globals.ts";
import { ENDED, FAILED, TERMINATED } from "../thread/_protocol.ts";
import { launchDirectory, linkForNewThread } from "../transfer/_directory.ts";
import { ModuleFunction } from "../thread/module_function.ts";
import { decode, encodeChecked, type Encoded } from "../transfer/codec.ts";
import {
  deserializeError,
  type SerializedError,
  serializeError,
} from "../transfer/error_codec.ts";
import { checkArity, functionToSource } from "../transfer/function_source.ts";
import {
  describe,
  validateSignal,
  validateTimeout,
  type WaitOptions,
} from "../wait_options.ts";
import {
  ARENA_BYTES,
  C_HEAD,
  C_MAIN_WAITING,
  C_RESULTS,
  C_SLEEPERS,
  C_STOP,
  C_TAIL,
  C_WAKE,
  CANCELLED,
  CLAIMED_BASE,
  CONTROL_INTS,
  DEAD,
  F_CHUNK,
  F_INT,
  F_NUMBER,
  F_OOB,
  FREE,
  type FromWorker,
  type FunctionSpec,
  INIT_FAILED,
  type PoolInit,
  R_CHUNK_ERROR,
  R_ERROR,
  R_INIT_FAILED,
  R_INT,
  R_NUMBER,
  R_OK,
  R_OOB,
  R_UNDEFINED,
  R_WRAP,
  READY,
  RECORD_INTS,
  RESULT_BYTES,
  RETIRED,
  S_FLAGS,
  S_FN,
  S_ID,
  S_LENGTH,
  S_NUMBER,
  S_OFFSET,
  S_STATE,
  SLOT_INTS,
  SLOTS,
  STARTING,
  type ToWorker,
  W_ABORT,
  W_READ,
  W_STATE,
  W_TASK,
  W_WRITER_WAITING,
  W_WRITTEN,
  WORKER_INTS,
} from "./_protocol.ts";
import type { Sendable } from "../transfer/sendable.ts";
import { builtinPath } from "./_builtin_path.ts";
import { fromText, readText, toText, writeText } from "./_text_codec.ts";
import {
  bindFuture,
  Future,
  type FutureHooks,
  taskStarted,
  withdrawTask,
} from "./future.ts";

const workerUrl = new URL(
  `./pool_worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`,
  import.meta.url,
);
const MAX_TEXT = ARENA_BYTES / 8;
const SAMPLES = 1024;
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

interface PoolWorker {
  index: number;
  name: string;
  handle: WorkerHandle;
  control: Int32Array;
  ring32: Int32Array;
  ring8: Uint8Array;
  ring64: Float64Array;
  read: number;
  gone: boolean;
  ident: number;
}

/** The result of a chunk that failed at an item: the values before it. */
class ChunkFailed {
  readonly values: unknown[];
  readonly error: unknown;
  constructor(values: unknown[], error: unknown) {
    this.values = values;
    this.error = error;
  }
}

/**
 * A task between `submit` and its outcome: the future that `submit` returns,
 * carrying the executor's bookkeeping (one object per task, not two).
 */
class Task extends Future<unknown> implements FutureHooks {
  readonly pool: Engine;
  readonly id: number;
  readonly fnId: number;
  readonly flags: number;
  text: string;
  readonly number: number;
  readonly oob: Encoded | undefined;
  readonly submitted: number;
  seq = -1;
  dropped = false;
  awaitingOob = -1;
  cleanup: (() => void) | undefined;

  constructor(
    pool: Engine,
    id: number,
    fnId: number,
    flags: number,
    text: string,
    number: number,
    oob: Encoded | undefined,
  ) {
    super();
    this.pool = pool;
    this.id = id;
    this.fnId = fnId;
    this.flags = flags;
    this.text = text;
    this.number = number;
    this.oob = oob;
    this.submitted = performance.now();
  }

  get future(): Future<unknown> {
    return this;
  }

  [withdrawTask](): boolean {
    return this.pool.withdraw(this, "cancelled");
  }

  [taskStarted](): boolean {
    return this.pool.started(this);
  }
}

/** The engine behind the public class: rings, workers and bookkeeping. */
class Engine {
  readonly maxWorkers: number;
  readonly prefix: string;
  readonly maxQueue: number;
  readonly idleTimeout: number;
  readonly terminateOnAbort: boolean;
  readonly initializer: FunctionSpec | null;
  readonly initargs: Encoded;

  readonly control = new Int32Array(
    new SharedArrayBuffer(CONTROL_INTS * 4),
  );
  readonly slots = new Int32Array(
    new SharedArrayBuffer(SLOTS * SLOT_INTS * 4),
  );
  readonly slots64 = new Float64Array(this.slots.buffer);
  readonly arena = new Uint8Array(new SharedArrayBuffer(ARENA_BYTES));
  tail = 0;
  reclaimed = 0;
  arenaHead = 0;
  arenaTail = 0;

  readonly tasks = new Map<number, Task>();
  overflow: Task[] = [];
  overflowHead = 0;
  outstanding = 0;
  nextId = 1;
  workers: PoolWorker[] = [];
  workerCount = 0;

  readonly fnIds = new WeakMap<object, number>();
  readonly fnByKey = new Map<string, number>();
  readonly specs: [number, FunctionSpec][] = [];
  readonly oobResults = new Map<
    number,
    { ok: true; value: unknown } | { ok: false; error: unknown }
  >();

  pumping = false;
  shut = false;
  stopped = false;
  broken: BrokenExecutorError | undefined;
  idleWaiters: (() => void)[] = [];
  roomWaiters: (() => void)[] = [];

  completed = 0;
  failed = 0;
  cancelledCount = 0;
  readonly runTimes = new Float64Array(SAMPLES);
  readonly waitTimes = new Float64Array(SAMPLES);
  samples = 0;

  constructor(
    maxWorkers: number,
    prefix: string,
    maxQueue: number,
    idleTimeout: number,
    terminateOnAbort: boolean,
    initializer: FunctionSpec | null,
    initargs: Encoded,
  ) {
    this.maxWorkers = maxWorkers;
    this.prefix = prefix;
    this.maxQueue = maxQueue;
    this.idleTimeout = idleTimeout;
    this.terminateOnAbort = terminateOnAbort;
    this.initializer = initializer;
    this.initargs = initargs;
  }

  // Submission ---------------------------------------------------------------

  functionId(fn: unknown, action: string): number {
    if (typeof fn === "function" || fn instanceof ModuleFunction) {
      const known = this.fnIds.get(fn);
      if (known !== undefined) return known;
    }
    let spec: FunctionSpec;
    if (fn instanceof ModuleFunction) {
      spec = { kind: "module", url: fn.url, exportName: fn.exportName };
    } else if (typeof fn === "function") {
      const path = builtinPath(fn);
      spec = path !== undefined
        ? { kind: "builtin", path }
        : { kind: "function", source: functionToSource(fn, "the task") };
    } else {
      throw new TypeError(
        `Cannot ${action} as 'fn' must be a function or a moduleFunction(): received ${
          describe(fn)
        }`,
      );
    }
    const key = spec.kind === "function"
      ? `f:${spec.source}`
      : spec.kind === "builtin"
      ? `b:${spec.path}`
      : `m:${spec.url}#${spec.exportName}`;
    let id = this.fnByKey.get(key);
    if (id === undefined) {
      id = this.specs.length + 1;
      this.fnByKey.set(key, id);
      this.specs.push([id, spec]);
      for (const w of this.workers) {
        w.handle.postMessage({ t: "define", id, spec } satisfies ToWorker);
      }
    }
    this.fnIds.set(fn as object, id);
    return id;
  }

  checkOpen(action: string): void {
    if (this.broken !== undefined) {
      throw new BrokenExecutorError(
        `Cannot ${action}: ${this.broken.message}`,
        { cause: this.broken.cause },
      );
    }
    if (this.shut) {
      throw new ThreadStateError(
        `Cannot ${action}: cannot schedule new futures after shutdown()`,
      );
    }
  }

  queued(): number {
    return this.overflow.length - this.overflowHead +
      ((this.tail - Atomics.load(this.control, C_HEAD)) | 0);
  }

  checkRoom(action: string): void {
    if (this.maxQueue !== Infinity && this.queued() >= this.maxQueue) {
      throw new QueueFull(
        `Cannot ${action}: ${this.maxQueue} tasks already wait for a worker (maxQueue); await pool.waitForRoom() first`,
      );
    }
  }

  /** Encodes and queues a task; throws before changing anything when it cannot. */
  enqueue(fnId: number, args: unknown[], flags: number): Task {
    let text: string | undefined = "";
    let number = 0;
    let oob: Encoded | undefined;
    if (args.length === 1 && typeof args[0] === "number" && flags === 0) {
      number = args[0];
      flags = (number | 0) === number && (number !== 0 || 1 / number > 0)
        ? F_INT
        : F_NUMBER;
    } else {
      text = toText(args);
      if (text === undefined || text.length > MAX_TEXT) {
        oob = encodeChecked(args, "args");
        text = "";
        flags |= F_OOB;
      }
    }
    const task = new Task(this, this.nextId++, fnId, flags, text, number, oob);
    if (this.nextId > 0x7ffffff0) this.nextId = 1;
    bindFuture(task.future, task);
    this.tasks.set(task.id, task);
    this.outstanding++;
    if (this.overflowHead === this.overflow.length) {
      if (!this.publish(task)) this.overflow.push(task);
    } else {
      this.overflow.push(task);
    }
    this.pruneWorkers();
    if (
      this.workers.length < this.maxWorkers &&
      this.outstanding > this.workers.length
    ) {
      this.spawn();
    }
    if (!this.pumping) {
      this.pumping = true;
      queueMicrotask(() => void this.pump());
    }
    return task;
  }

  pruneWorkers(): void {
    for (const w of this.workers) {
      const state = Atomics.load(w.control, W_STATE);
      if (state === RETIRED || state === DEAD || state === INIT_FAILED) {
        this.gone(w, undefined);
      }
    }
  }

  // Task ring ----------------------------------------------------------------

  publish(task: Task): boolean {
    const tail = this.tail;
    if (((tail - this.reclaimed) | 0) >= SLOTS) {
      this.reclaim();
      if (((tail - this.reclaimed) | 0) >= SLOTS) return false;
    }
    let offset = this.arenaHead;
    let length = 0;
    if ((task.flags & (F_OOB | F_NUMBER | F_INT)) === 0) {
      offset = this.alloc(task.text.length * 3);
      if (offset < 0) {
        this.reclaim();
        offset = this.alloc(task.text.length * 3);
        if (offset < 0) return false;
      }
      length = writeText(this.arena, offset, task.text);
      this.arenaHead = offset + length;
      task.text = "";
    }
    const base = (tail & (SLOTS - 1)) * SLOT_INTS;
    const slots = this.slots;
    slots[base + S_ID] = task.id;
    slots[base + S_OFFSET] = offset;
    slots[base + S_LENGTH] = length;
    slots[base + S_FN] = task.fnId;
    slots[base + S_FLAGS] = task.flags;
    if ((task.flags & F_INT) !== 0) {
      slots[base + S_NUMBER] = task.number;
    } else if ((task.flags & F_NUMBER) !== 0) {
      this.slots64[(base + S_NUMBER) >> 1] = task.number;
    }
    Atomics.store(slots, base + S_STATE, READY);
    task.seq = tail;
    this.tail = (tail + 1) | 0;
    Atomics.store(this.control, C_TAIL, this.tail);
    // One wake-up call per idle spell of the workers (see C_WAKE).
    if (
      Atomics.load(this.control, C_SLEEPERS) !== 0 &&
      Atomics.exchange(this.control, C_WAKE, 1) === 0
    ) {
      Atomics.notify(this.control, C_TAIL);
    }
    return true;
  }

  alloc(bytes: number): number {
    if (this.reclaimed === this.tail) {
      this.arenaHead = this.arenaTail = 0;
      return bytes <= ARENA_BYTES ? 0 : -1;
    }
    const head = this.arenaHead;
    const tail = this.arenaTail;
    if (head >= tail) {
      if (head + bytes <= ARENA_BYTES) return head;
      return bytes < tail ? 0 : -1;
    }
    return head + bytes < tail ? head : -1;
  }

  reclaim(): void {
    const control = this.control;
    const slots = this.slots;
    // Drop withdrawn tasks at the head so that workers need not.
    for (;;) {
      const head = Atomics.load(control, C_HEAD);
      if (head === this.tail) break;
      const base = (head & (SLOTS - 1)) * SLOT_INTS;
      if (Atomics.load(slots, base + S_STATE) !== CANCELLED) break;
      if (
        Atomics.compareExchange(control, C_HEAD, head, (head + 1) | 0) === head
      ) {
        Atomics.store(slots, base + S_STATE, FREE);
      }
    }
    while (this.reclaimed !== this.tail) {
      const base = (this.reclaimed & (SLOTS - 1)) * SLOT_INTS;
      if (Atomics.load(slots, base + S_STATE) !== FREE) break;
      this.reclaimed = (this.reclaimed + 1) | 0;
    }
    this.arenaTail = this.reclaimed === this.tail
      ? this.arenaHead
      : slots[(this.reclaimed & (SLOTS - 1)) * SLOT_INTS + S_OFFSET];
  }

  flushOverflow(): void {
    const overflow = this.overflow;
    while (this.overflowHead < overflow.length) {
      const task = overflow[this.overflowHead];
      if (!task.dropped && !this.publish(task)) break;
      overflow[this.overflowHead++] = undefined as unknown as Task;
    }
    if (this.overflowHead === overflow.length) {
      this.overflow = [];
      this.overflowHead = 0;
    } else if (this.overflowHead > 4096) {
      this.overflow = overflow.slice(this.overflowHead);
      this.overflowHead = 0;
    }
  }

  started(task: Task): boolean {
    if (task.seq < 0) return false;
    const base = (task.seq & (SLOTS - 1)) * SLOT_INTS;
    if (this.slots[base + S_ID] !== task.id) return true;
    const state = Atomics.load(this.slots, base + S_STATE);
    return state >= CLAIMED_BASE || state === FREE;
  }

  /** Withdraws a task that has not started; `false` when it has. */
  withdraw(task: Task, why: "cancelled" | "failed"): boolean {
    if (!this.tasks.has(task.id)) return false;
    if (task.seq < 0) {
      task.dropped = true;
    } else {
      const base = (task.seq & (SLOTS - 1)) * SLOT_INTS;
      if (
        this.slots[base + S_ID] !== task.id ||
        Atomics.compareExchange(
            this.slots,
            base + S_STATE,
            READY,
            CANCELLED,
          ) !==
          READY
      ) return false;
    }
    if (why === "cancelled") this.cancelledCount++;
    else this.failed++;
    this.finish(task);
    return true;
  }

  // Outcomes -----------------------------------------------------------------

  finish(task: Task): void {
    this.tasks.delete(task.id);
    this.outstanding--;
    task.cleanup?.();
    if (this.outstanding === 0) {
      // Wake the pump so that it notices it has nothing left to wait for.
      Atomics.add(this.control, C_RESULTS, 1);
      Atomics.notify(this.control, C_RESULTS);
      this.settleWaiters();
    }
  }

  settleWaiters(): void {
    if (this.outstanding === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    if (this.roomWaiters.length > 0) {
      let room = this.maxQueue - this.queued();
      while (room-- > 0 && this.roomWaiters.length > 0) {
        this.roomWaiters.shift()!();
      }
    }
  }

  async pump(): Promise<void> {
    this.pumping = true;
    const control = this.control;
    // Pending tasks keep the process alive (as in Python); one hold for the
    // whole session instead of a timer per wait.
    const release = holdEventLoop();
    try {
      while (this.outstanding > 0) {
        const seen = Atomics.load(control, C_RESULTS);
        this.drain();
        this.pruneWorkers();
        if (this.overflowHead < this.overflow.length) {
          this.reclaim();
          this.flushOverflow();
        }
        this.settleWaiters();
        if (this.outstanding === 0) break;
        Atomics.store(control, C_MAIN_WAITING, 1);
        // A bare waitAsync: the hold above keeps the loop alive, and the
        // testing entry point should not count the pool's own wait as a
        // user's pending wait.
        const pending = Atomics.waitAsync(control, C_RESULTS, seen);
        if (pending.async) await pending.value;
        Atomics.store(control, C_MAIN_WAITING, 0);
      }
    } finally {
      this.pumping = false;
      release();
    }
    this.settleWaiters();
  }

  drain(): void {
    const now = performance.now();
    for (const w of this.workers) this.drainWorker(w, now);
  }

  drainWorker(w: PoolWorker, now: number): void {
    const end = Atomics.load(w.control, W_WRITTEN);
    let read = w.read;
    if (read === end) return;
    const ring32 = w.ring32;
    while (read !== end) {
      const pos = read & (RESULT_BYTES - 1);
      const at = pos >> 2;
      const status = ring32[at + 1];
      if (status === R_WRAP) {
        read = (read + RESULT_BYTES - pos) | 0;
        continue;
      }
      const id = ring32[at];
      const runTime = ring32[at + 2] / 1000;
      const length = ring32[at + 3];
      if (status === R_INT || status === R_NUMBER) {
        const task = this.tasks.get(id);
        if (task !== undefined) {
          this.complete(
            task,
            true,
            status === R_INT
              ? ring32[at + RECORD_INTS]
              : w.ring64[(pos >> 3) + RECORD_INTS / 2],
            runTime,
            now,
          );
        }
      } else {
        const text = length > 0
          ? readText(w.ring8, pos + RECORD_INTS * 4, length)
          : "";
        this.settle(id, status, text, runTime, now);
      }
      read = (read + RECORD_INTS * 4 + ((length + 7) & ~7)) | 0;
    }
    w.read = read;
    Atomics.store(w.control, W_READ, read);
    if (Atomics.load(w.control, W_WRITER_WAITING) !== 0) {
      Atomics.notify(w.control, W_READ);
    }
  }

  settle(
    id: number,
    status: number,
    text: string,
    runTime: number,
    now: number,
  ): void {
    const task = this.tasks.get(id);
    if (task === undefined) {
      if (status === R_INIT_FAILED) {
        this.breakPool(deserializeError(fromText(text) as SerializedError));
      }
      return;
    }
    if (status === R_OOB) {
      const outcome = this.oobResults.get(id);
      if (outcome === undefined) {
        task.awaitingOob = runTime;
        return;
      }
      this.oobResults.delete(id);
      this.complete(
        task,
        outcome.ok,
        outcome.ok ? outcome.value : outcome.error,
        runTime,
        now,
      );
      return;
    }
    let ok = true;
    let value: unknown;
    try {
      switch (status) {
        case R_OK:
          value = fromText(text);
          break;
        case R_UNDEFINED:
          break;
        case R_ERROR:
          ok = false;
          value = deserializeError(fromText(text) as SerializedError);
          break;
        case R_CHUNK_ERROR: {
          const [values, error] = fromText(text) as [
            unknown[],
            SerializedError,
          ];
          value = new ChunkFailed(values, deserializeError(error));
          break;
        }
      }
    } catch (error) {
      ok = false;
      value = error;
    }
    this.complete(task, ok, value, runTime, now);
  }

  complete(
    task: Task,
    ok: boolean,
    value: unknown,
    runTime: number,
    now: number,
  ): void {
    const slot = this.samples++ & (SAMPLES - 1);
    this.runTimes[slot] = runTime;
    this.waitTimes[slot] = Math.max(0, now - task.submitted - runTime);
    this.finish(task);
    if (task.future.done()) return; // Aborted or timed out meanwhile.
    if (ok) {
      this.completed++;
      task.future.setResult(value);
    } else {
      this.failed++;
      task.future.setException(value);
    }
  }

  onMessage(w: PoolWorker, message: FromWorker): void {
    switch (message.t) {
      case "fetch": {
        const args = this.tasks.get(message.id)?.oob ?? { h: false, v: [] };
        w.handle.postMessage(
          { t: "payload", id: message.id, args } satisfies ToWorker,
        );
        break;
      }
      case "result": {
        const outcome = message.ok
          ? { ok: true as const, value: decode(message.value) }
          : { ok: false as const, error: deserializeError(message.error) };
        const task = this.tasks.get(message.id);
        if (task !== undefined && task.awaitingOob >= 0) {
          this.complete(
            task,
            outcome.ok,
            outcome.ok ? outcome.value : outcome.error,
            task.awaitingOob,
            performance.now(),
          );
        } else if (task !== undefined) {
          this.oobResults.set(message.id, outcome);
        }
        break;
      }
    }
  }

  // Workers ------------------------------------------------------------------

  spawn(): void {
    if (this.stopped || this.broken !== undefined) return;
    const unreadable = unreadableModule(workerUrl);
    if (unreadable !== undefined) {
      // The worker would never load: fail now instead of waiting forever.
      this.failPool(
        new BrokenExecutorError(
          `The thread pool cannot start its workers: ${unreadable}`,
        ),
      );
      return;
    }
    const index = this.workerCount++;
    const name = `${this.prefix}_${index}`;
    const workerBuffer = new SharedArrayBuffer(WORKER_INTS * 4);
    const results = new SharedArrayBuffer(RESULT_BYTES);
    const directory = linkForNewThread();
    const handle = runtime.spawn(workerUrl, { name, unrefable: true });
    const w: PoolWorker = {
      index,
      name,
      handle,
      control: new Int32Array(workerBuffer),
      ring32: new Int32Array(results),
      ring8: new Uint8Array(results),
      ring64: new Float64Array(results),
      read: 0,
      gone: false,
      ident: nextIdent(),
    };
    this.workers.push(w);
    handle.onMessage((message) => this.onMessage(w, message as FromWorker));
    handle.onError((error) => this.gone(w, error));
    handle.onExit((code) => this.gone(w, undefined, code));
    // After the listeners: adding a message listener refs the worker again.
    handle.unref();
    handle.postMessage(
      {
        t: "init",
        globals: globalsBuffer(),
        control: this.control.buffer as SharedArrayBuffer,
        slots: this.slots.buffer as SharedArrayBuffer,
        arena: this.arena.buffer as SharedArrayBuffer,
        worker: workerBuffer,
        results,
        index,
        ident: w.ident,
        name,
        idleTimeout: this.idleTimeout,
        functions: this.specs.slice(),
        initializer: this.initializer,
        initargs: this.initargs,
        directory,
      } satisfies PoolInit,
      directory === undefined ? undefined : [directory.port],
    );
    launchDirectory();
  }

  /** A worker ended: collect what it wrote, fail its task, replace it. */
  gone(w: PoolWorker, error: unknown, exitCode?: number): void {
    if (w.gone) return;
    w.gone = true;
    this.workers = this.workers.filter((other) => other !== w);
    const state = Atomics.load(w.control, W_STATE);
    this.drainWorker(w, performance.now());
    const id = Atomics.load(w.control, W_TASK);
    const task = id === 0 ? undefined : this.tasks.get(id);
    // For lock waiters (the worker records it itself unless terminated).
    setFate(
      w.ident,
      task !== undefined || error !== undefined || (exitCode ?? 0) !== 0
        ? FAILED
        : ENDED,
    );
    if (task !== undefined && task.awaitingOob < 0) {
      this.finish(task);
      if (!task.future.done()) {
        this.failed++;
        task.future.setException(
          error instanceof Error ? error : new ThreadExitError(
            `The worker ${w.name} ended while it ran the task${
              exitCode !== undefined ? ` (exit code ${exitCode})` : ""
            }: the task called exit or the worker crashed`,
            exitCode,
          ),
        );
      }
    }
    // Release slots it claimed but did not consume.
    for (let seq = this.reclaimed; seq !== this.tail; seq = (seq + 1) | 0) {
      const base = (seq & (SLOTS - 1)) * SLOT_INTS;
      if (Atomics.load(this.slots, base + S_STATE) === CLAIMED_BASE + w.index) {
        Atomics.store(this.slots, base + S_STATE, FREE);
      }
    }
    if (state !== DEAD) w.handle.terminate();
    if (state === INIT_FAILED) return;
    if (state === STARTING && error !== undefined) {
      // The worker could not even start: do not respawn in a loop.
      this.breakPool(error);
      return;
    }
    if (
      this.outstanding > this.workers.length &&
      this.workers.length < this.maxWorkers
    ) this.spawn();
  }

  breakPool(error: unknown): void {
    if (this.broken !== undefined) return;
    const text = error instanceof Error
      ? (error.stack ?? `${error.name}: ${error.message}`)
      : String(error);
    runtime.writeStderr(`Exception in initializer:\n${text}\n`);
    this.failPool(
      new BrokenExecutorError(
        `A thread initializer failed, the thread pool is not usable anymore: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      ),
    );
  }

  /** Marks the pool broken and fails every task that has not started. */
  failPool(broken: BrokenExecutorError): void {
    this.broken = broken;
    for (const task of [...this.tasks.values()]) {
      if (this.withdraw(task, "failed")) task.future.setException(broken);
    }
  }

  abort(task: Task, reason: unknown): void {
    if (!this.tasks.has(task.id) || task.future.done()) return;
    if (this.withdraw(task, "failed")) {
      task.future.setException(reason);
      return;
    }
    // Running: fail the future now, tell the task, maybe stop its worker.
    this.failed++;
    task.future.setException(reason);
    for (const w of this.workers) {
      if (Atomics.load(w.control, W_TASK) !== task.id) continue;
      if (this.terminateOnAbort) {
        // Before the worker stops: it may outlive terminate() (Deno), and
        // then ends at its next wait in a library primitive (thread/_stop.ts).
        setFate(w.ident, TERMINATED);
        this.gone(w, reason);
      } else {
        Atomics.store(w.control, W_ABORT, task.id);
        let serialized: SerializedError;
        try {
          serialized = serializeError(reason);
          structuredClone(serialized);
        } catch {
          serialized = serializeError(new Error(String(reason)));
        }
        w.handle.postMessage(
          { t: "abort", id: task.id, reason: serialized } satisfies ToWorker,
        );
      }
    }
  }

  cancelQueued(): void {
    for (const task of [...this.tasks.values()]) {
      if (!task.future.done()) task.future.cancel();
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.control, C_STOP, 1);
    Atomics.notify(this.control, C_TAIL);
    for (const w of this.workers.slice()) {
      w.gone = true;
      // One still running a task may outlive terminate() (Deno).
      if (Atomics.load(w.control, W_TASK) !== 0) setFate(w.ident, TERMINATED);
      w.handle.terminate();
    }
    this.workers = [];
  }

  whenIdle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  percentiles(samples: Float64Array): Percentiles {
    const n = Math.min(this.samples, SAMPLES);
    if (n === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
    const sorted = samples.slice(0, n).sort();
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))];
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1] };
  }
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
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Cannot ${action} as 'options' must be an object: received ${
          describe(options)
        }`,
      );
    }
    const maxWorkers = options.maxWorkers ?? runtime.hardwareConcurrency;
    if (typeof maxWorkers !== "number") {
      throw new TypeError(
        `Cannot ${action} as 'maxWorkers' must be an integer greater than 0: received ${
          describe(maxWorkers)
        }`,
      );
    }
    if (!Number.isInteger(maxWorkers) || maxWorkers < 1) {
      throw new RangeError(
        `Cannot ${action} as 'maxWorkers' must be an integer greater than 0: received ${
          describe(maxWorkers)
        }`,
      );
    }
    const prefix = options.threadNamePrefix;
    if (prefix !== undefined && typeof prefix !== "string") {
      throw new TypeError(
        `Cannot ${action} as 'threadNamePrefix' must be a string: received ${
          describe(prefix)
        }`,
      );
    }
    const maxQueue = options.maxQueue ?? Infinity;
    if (typeof maxQueue !== "number") {
      throw new TypeError(
        `Cannot ${action} as 'maxQueue' must be a positive integer or Infinity: received ${
          describe(maxQueue)
        }`,
      );
    }
    if (
      maxQueue !== Infinity && (!Number.isInteger(maxQueue) || maxQueue < 1)
    ) {
      throw new RangeError(
        `Cannot ${action} as 'maxQueue' must be a positive integer or Infinity: received ${
          describe(maxQueue)
        }`,
      );
    }
    const idleTimeout = options.idleTimeout === undefined
      ? Infinity
      : validateTimeout(options.idleTimeout, action, "idleTimeout");
    const abortRunning = options.abortRunning ?? "signal";
    if (abortRunning !== "signal" && abortRunning !== "terminate") {
      throw new TypeError(
        `Cannot ${action} as 'abortRunning' must be "signal" or "terminate": received ${
          describe(abortRunning)
        }`,
      );
    }
    let initializer: FunctionSpec | null = null;
    if (options.initializer !== undefined && options.initializer !== null) {
      const init = options.initializer;
      if (init instanceof ModuleFunction) {
        initializer = {
          kind: "module",
          url: init.url,
          exportName: init.exportName,
        };
      } else if (typeof init === "function") {
        initializer = {
          kind: "function",
          source: functionToSource(init, "the initializer"),
        };
      } else {
        throw new TypeError(
          `Cannot ${action} as 'initializer' must be a function or a moduleFunction(): received ${
            describe(init)
          }`,
        );
      }
    }
    const initargs = options.initargs ?? [];
    if (!Array.isArray(initargs)) {
      throw new TypeError(
        `Cannot ${action} as 'initargs' must be an array: received ${
          describe(initargs)
        }`,
      );
    }
    const name = prefix ?? `ThreadPoolExecutor-${executorCounter++}`;
    this.#engine = new Engine(
      maxWorkers,
      name,
      maxQueue,
      idleTimeout,
      abortRunning === "terminate",
      initializer,
      encodeChecked(initargs, "initargs"),
    );
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
    return engine.enqueue(fnId, args, 0).future as Future<Awaited<R>>;
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
    if (!Array.isArray(args)) {
      throw new TypeError(
        `Cannot ${action} as 'args' must be an array: received ${
          describe(args)
        }`,
      );
    }
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
    const task = engine.enqueue(fnId, args, 0);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => engine.abort(task, signal!.reason);
    if (timeout !== Infinity) {
      timer = setTimeout(() =>
        engine.abort(
          task,
          new TimeoutError(`The task did not finish within ${timeout} ms`),
        ), timeout);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    task.cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    return task.future as Future<Awaited<R>>;
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
      throw new TypeError(
        `Cannot map as 'iterable' must be iterable: received undefined`,
      );
    }
    const iterators = rest.map((it, i) => {
      if (
        it === null || it === undefined ||
        typeof (it as Iterable<unknown>)[Symbol.iterator] !== "function"
      ) {
        throw new TypeError(
          `Cannot map as '${
            i === 0 ? "iterable" : `iterables[${i}]`
          }' must be iterable: received ${describe(it)}`,
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
    if (typeof chunksize !== "number") {
      throw new TypeError(
        `Cannot map as 'chunksize' must be a positive integer: received ${
          describe(chunksize)
        }`,
      );
    }
    if (!Number.isInteger(chunksize) || chunksize < 1) {
      throw new RangeError(
        `Cannot map as 'chunksize' must be a positive integer: received ${
          describe(chunksize)
        }`,
      );
    }
    const buffersize = options.buffersize ??
      Math.max(64, 16 * engine.maxWorkers);
    if (
      typeof buffersize !== "number" || !Number.isInteger(buffersize) ||
      buffersize < 1
    ) {
      throw new RangeError(
        `Cannot map as 'buffersize' must be a positive integer: received ${
          describe(buffersize)
        }`,
      );
    }
    return new MapIterator<Awaited<R>>(
      engine,
      fnId,
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
      performance.now() + timeout,
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
    if (engine.maxQueue === Infinity || engine.queued() < engine.maxQueue) {
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const drop = () => {
        const i = engine.roomWaiters.indexOf(waiter);
        if (i >= 0) engine.roomWaiters.splice(i, 1);
      };
      const onAbort = () => {
        clearTimeout(timer);
        drop();
        reject(signal!.reason);
      };
      if (timeout !== Infinity) {
        timer = setTimeout(() => {
          drop();
          signal?.removeEventListener("abort", onAbort);
          reject(
            new TimeoutError(`The queue had no room within ${timeout} ms`),
          );
        }, timeout);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      engine.roomWaiters.push(waiter);
    });
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
    if (typeof wait !== "boolean") {
      throw new TypeError(
        `Cannot shut down executor as 'wait' must be a boolean: received ${
          describe(wait)
        }`,
      );
    }
    if (typeof cancelFutures !== "boolean") {
      throw new TypeError(
        `Cannot shut down executor as 'cancelFutures' must be a boolean: received ${
          describe(cancelFutures)
        }`,
      );
    }
    const engine = this.#engine;
    engine.shut = true;
    if (cancelFutures) engine.cancelQueued();
    const stopped = engine.whenIdle().then(() => engine.stop());
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
    const engine = this.#engine;
    const queued = Math.max(0, engine.queued());
    return {
      completed: engine.completed,
      failed: engine.failed,
      cancelled: engine.cancelledCount,
      queued,
      active: Math.max(0, engine.outstanding - queued),
      workers: engine.workers.length,
      runTime: engine.percentiles(engine.runTimes),
      waitTime: engine.percentiles(engine.waitTimes),
    };
  }
}

/** The iterator `map()` returns: a window of futures, read in order. */
class MapIterator<R> implements AsyncIterableIterator<R> {
  #engine: Engine;
  #fnId: number;
  #nextArgs: () => unknown[] | undefined;
  #chunksize: number;
  #buffersize: number;
  #deadline: number;
  #closeInput: () => void;
  #window: { future: Future<unknown>; chunk: boolean }[] = [];
  #ready: unknown[] = [];
  #pendingError: { error: unknown } | undefined;
  #exhausted = false;
  #closed = false;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    engine: Engine,
    fnId: number,
    nextArgs: () => unknown[] | undefined,
    chunksize: number,
    buffersize: number,
    deadline: number,
    closeInput: () => void,
  ) {
    this.#engine = engine;
    this.#fnId = fnId;
    this.#nextArgs = nextArgs;
    this.#chunksize = chunksize;
    this.#buffersize = buffersize;
    this.#deadline = deadline;
    this.#closeInput = closeInput;
    this.#fill();
  }

  #fill(): void {
    while (
      !this.#exhausted && this.#window.length < this.#buffersize &&
      this.#pendingError === undefined
    ) {
      try {
        if (this.#chunksize === 1) {
          const args = this.#nextArgs();
          if (args === undefined) {
            this.#exhausted = true;
            break;
          }
          this.#engine.checkOpen("map");
          const task = this.#engine.enqueue(this.#fnId, args, 0);
          this.#window.push({ future: task.future, chunk: false });
        } else {
          const chunk: unknown[][] = [];
          while (chunk.length < this.#chunksize) {
            const args = this.#nextArgs();
            if (args === undefined) {
              this.#exhausted = true;
              break;
            }
            chunk.push(args);
          }
          if (chunk.length === 0) break;
          this.#engine.checkOpen("map");
          const task = this.#engine.enqueue(this.#fnId, [chunk], F_CHUNK);
          // A chunk's args are `[chunk]`: the worker spreads each entry.
          this.#window.push({ future: task.future, chunk: true });
        }
      } catch (error) {
        this.#pendingError = { error };
        this.#exhausted = true;
      }
    }
  }

  next(): Promise<IteratorResult<R>> {
    const step = this.#chain.then(() => this.#step());
    this.#chain = step.catch(() => {});
    return step;
  }

  async #step(): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#closed) return { done: true, value: undefined };
      if (this.#ready.length > 0) {
        return { done: false, value: this.#ready.shift() as R };
      }
      const head = this.#window[0];
      if (head === undefined) {
        if (this.#pendingError !== undefined) {
          const { error } = this.#pendingError;
          this.#close();
          throw error;
        }
        this.#close();
        return { done: true, value: undefined };
      }
      let value: unknown;
      try {
        const left = Math.max(0, this.#deadline - performance.now());
        value = await head.future.result({ timeout: left });
      } catch (error) {
        this.#close();
        if (error instanceof TimeoutError) {
          throw new TimeoutError(
            `map() did not produce its next result within the timeout`,
            { cause: error },
          );
        }
        throw error;
      }
      this.#window.shift();
      if (head.chunk) {
        if (value instanceof ChunkFailed) {
          this.#ready.push(...value.values);
          this.#pendingError = { error: value.error };
          // Items after the failure are not reported.
          this.#cancelWindow();
          this.#window.length = 0;
          if (this.#ready.length === 0) {
            const { error } = this.#pendingError;
            this.#close();
            throw error;
          }
          continue;
        }
        this.#ready.push(...(value as unknown[]));
      } else {
        this.#ready.push(value);
      }
      this.#fill();
    }
  }

  #cancelWindow(): void {
    for (const { future } of this.#window) future.cancel();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelWindow();
    this.#window.length = 0;
    this.#ready.length = 0;
    if (!this.#exhausted) this.#closeInput();
  }

  return(): Promise<IteratorResult<R>> {
    this.#close();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this;
  }
}
