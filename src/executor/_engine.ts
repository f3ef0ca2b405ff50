/**
 * The engine behind `ThreadPoolExecutor`: it encodes and queues tasks
 * (the task ring, with an overflow list behind it), starts, replaces and
 * stops the workers, reads their result rings, settles the futures, and
 * aborts tasks. The public class validates its arguments and calls the small
 * interface below; nothing outside reaches into the engine's state.
 *
 * @module
 */
import {
  BrokenExecutorError,
  QueueFull,
  ThreadExitError,
  ThreadStateError,
  TimeoutError,
} from "../errors.ts";
import { runtime } from "../runtime/detect.ts";
import type { WorkerHandle } from "../runtime/types.ts";
import { unreadableModule } from "../runtime/unreadable_module.ts";
import { holdEventLoop, notify, waitPlainAsync } from "../_shm/futex.ts";
import { globalsBuffer, nextIdent, setFate } from "../_shm/globals.ts";
import { ENDED, FAILED, TERMINATED } from "../_shm/fates.ts";
import { launchDirectory, linkForNewThread } from "../transfer/_directory.ts";
import { decode, encodeChecked, type Encoded } from "../transfer/codec.ts";
import {
  deserializeError,
  type SerializedError,
  serializeError,
} from "../transfer/error_codec.ts";
import {
  ARENA_BYTES,
  C_MAIN_WAITING,
  C_RESULTS,
  C_STOP,
  C_TAIL,
  CONTROL_INTS,
  DEAD,
  F_INT,
  F_NUMBER,
  F_OOB,
  type FromWorker,
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
  RETIRED,
  STARTING,
  type ToWorker,
  W_ABORT,
  W_STATE,
  W_TASK,
  WORKER_INTS,
} from "./_protocol.ts";
import type { FunctionSpec } from "../thread/target_spec.ts";
import { ChunkFailed } from "./_chunk_failed.ts";
import { FunctionRegistry } from "./_function_registry.ts";
import { ResultRing } from "./_result_ring.ts";
import { isInt32 } from "./_ring_layout.ts";
import { Stats } from "./_stats.ts";
import { type RingTask, TaskRing } from "./_task_ring.ts";
import { encodeForRing } from "./_ring_codec.ts";
import {
  bindFuture,
  Future,
  type FutureHooks,
  taskStarted,
  withdrawTask,
} from "./future.ts";
import type { ExecutorStats } from "./thread_pool_executor.ts";

const workerUrl = new URL(
  `../entries/pool_worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`,
  import.meta.url,
);
/** Larger arguments travel by message, so that one task cannot fill the arena. */
const MAX_PAYLOAD = ARENA_BYTES / 8;
const NO_BYTES: Uint8Array = new Uint8Array(0);

/** How the engine is configured (validated by the public class). */
export interface EngineOptions {
  maxWorkers: number;
  /** The prefix of the workers' names. */
  prefix: string;
  maxQueue: number;
  idleTimeout: number;
  /** Whether aborting a running task stops its worker. */
  terminateOnAbort: boolean;
  initializer: FunctionSpec | null;
  initargs: Encoded;
}

interface PoolWorker {
  index: number;
  name: string;
  handle: WorkerHandle;
  control: Int32Array;
  results: ResultRing;
  gone: boolean;
  ident: number;
}

/**
 * A task between `submit` and its outcome: the future that `submit` returns,
 * carrying the engine's bookkeeping (one object per task, not two).
 */
class Task extends Future<unknown> implements FutureHooks, RingTask {
  readonly pool: Engine;
  readonly id: number;
  readonly fnId: number;
  readonly flags: number;
  readonly number: number;
  /** A copy of the encoded arguments while the task waits in the overflow list. */
  payload: Uint8Array = NO_BYTES;
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
    number: number,
    oob: Encoded | undefined,
  ) {
    super();
    this.pool = pool;
    this.id = id;
    this.fnId = fnId;
    this.flags = flags;
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
export class Engine {
  readonly #options: EngineOptions;
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  readonly #ring = new TaskRing(this.#control);
  readonly #functions = new FunctionRegistry();
  readonly #stats = new Stats();

  readonly #tasks = new Map<number, Task>();
  #overflow: Task[] = [];
  #overflowHead = 0;
  #outstanding = 0;
  #nextId = 1;
  #workers: PoolWorker[] = [];
  #workerCount = 0;
  readonly #oobResults = new Map<
    number,
    { ok: true; value: unknown } | { ok: false; error: unknown }
  >();

  #pumping = false;
  #shut = false;
  #stopped = false;
  #broken: BrokenExecutorError | undefined;
  #idleWaiters: (() => void)[] = [];
  #roomWaiters: (() => void)[] = [];

  /** An engine; no worker starts before the first task. */
  constructor(options: EngineOptions) {
    this.#options = options;
  }

  /** The most workers this pool runs at once. */
  get maxWorkers(): number {
    return this.#options.maxWorkers;
  }

  /** Whether `shutdown()` was called. */
  get shut(): boolean {
    return this.#shut;
  }

  // Submission ---------------------------------------------------------------

  /** The id of a task function, defined in the workers when it is new. */
  functionId(fn: unknown, action: string): number {
    return this.#functions.idOf(fn, action, this.#defineInWorkers);
  }

  /** Tells the running workers of a function met for the first time. */
  readonly #defineInWorkers = (id: number, spec: FunctionSpec): void => {
    for (const w of this.#workers) {
      w.handle.postMessage({ t: "define", id, spec } satisfies ToWorker);
    }
  };

  /** Throws when the pool takes no more tasks (broken, or shut down). */
  checkOpen(action: string): void {
    if (this.#broken !== undefined) {
      throw new BrokenExecutorError(
        `Cannot ${action}: ${this.#broken.message}`,
        { cause: this.#broken.cause },
      );
    }
    if (this.#shut) {
      throw new ThreadStateError(
        `Cannot ${action}: cannot schedule new futures after shutdown()`,
      );
    }
  }

  /** Tasks waiting for a worker. */
  queued(): number {
    return this.#overflow.length - this.#overflowHead + this.#ring.waiting();
  }

  /** Throws `QueueFull` when `maxQueue` tasks already wait. */
  checkRoom(action: string): void {
    const maxQueue = this.#options.maxQueue;
    if (maxQueue !== Infinity && this.queued() >= maxQueue) {
      throw new QueueFull(
        `Cannot ${action}: ${maxQueue} tasks already wait for a worker (maxQueue); await pool.waitForRoom() first`,
      );
    }
  }

  /** Encodes and queues a task; throws before changing anything when it cannot. */
  enqueue(fnId: number, args: unknown[], flags: number): Future<unknown> {
    let number = 0;
    let oob: Encoded | undefined;
    let bytes = NO_BYTES;
    let length = 0;
    if (args.length === 1 && typeof args[0] === "number" && flags === 0) {
      number = args[0];
      flags = isInt32(number) ? F_INT : F_NUMBER;
    } else {
      const encoding = encodeForRing(args, MAX_PAYLOAD);
      if (encoding === undefined) {
        oob = encodeChecked(args, "args");
        flags |= F_OOB;
      } else {
        bytes = encoding.bytes;
        length = encoding.length;
      }
    }
    const task = new Task(this, this.#nextId++, fnId, flags, number, oob);
    if (this.#nextId > 0x7ffffff0) this.#nextId = 1;
    bindFuture(task.future, task);
    this.#tasks.set(task.id, task);
    this.#outstanding++;
    if (
      this.#overflowHead !== this.#overflow.length ||
      !this.#ring.publish(task, bytes, length)
    ) {
      // The encoding lives in a reused buffer: keep a copy.
      if (length !== 0) task.payload = bytes.slice(0, length);
      this.#overflow.push(task);
    }
    this.#pruneWorkers();
    if (
      this.#workers.length < this.#options.maxWorkers &&
      this.#outstanding > this.#workers.length
    ) {
      this.#spawn();
    }
    if (!this.#pumping) {
      this.#pumping = true;
      queueMicrotask(() => void this.#pump());
    }
    return task;
  }

  /**
   * Aborts `task` (a future from {@linkcode Engine.enqueue}) when `signal`
   * aborts or `timeout` ms pass, whichever comes first.
   */
  abortOn(
    future: Future<unknown>,
    signal: AbortSignal | undefined,
    timeout: number,
  ): void {
    const task = future as Task;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => this.#abort(task, signal!.reason);
    if (timeout !== Infinity) {
      timer = setTimeout(() =>
        this.#abort(
          task,
          new TimeoutError(`The task did not finish within ${timeout} ms`),
        ), timeout);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    task.cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
  }

  #pruneWorkers(): void {
    for (const w of this.#workers) {
      const state = Atomics.load(w.control, W_STATE);
      if (state === RETIRED || state === DEAD || state === INIT_FAILED) {
        this.#gone(w, undefined);
      }
    }
  }

  #flushOverflow(): void {
    const overflow = this.#overflow;
    while (this.#overflowHead < overflow.length) {
      const task = overflow[this.#overflowHead];
      if (
        !task.dropped &&
        !this.#ring.publish(task, task.payload, task.payload.length)
      ) break;
      task.payload = NO_BYTES;
      overflow[this.#overflowHead++] = undefined as unknown as Task;
    }
    if (this.#overflowHead === overflow.length) {
      this.#overflow = [];
      this.#overflowHead = 0;
    } else if (this.#overflowHead > 4096) {
      this.#overflow = overflow.slice(this.#overflowHead);
      this.#overflowHead = 0;
    }
  }

  /** Whether a worker has taken the task (for `Future.running()`). */
  started(task: Task): boolean {
    return task.seq >= 0 && this.#ring.claimed(task);
  }

  /** Withdraws a task that has not started; `false` when it has. */
  withdraw(task: Task, why: "cancelled" | "failed"): boolean {
    if (!this.#tasks.has(task.id)) return false;
    if (task.seq < 0) {
      task.dropped = true;
    } else if (!this.#ring.withdraw(task)) return false;
    if (why === "cancelled") this.#stats.cancelled();
    else this.#stats.failed();
    this.#finish(task);
    return true;
  }

  // Outcomes -----------------------------------------------------------------

  #finish(task: Task): void {
    this.#tasks.delete(task.id);
    this.#outstanding--;
    task.cleanup?.();
    if (this.#outstanding === 0) {
      // Wake the pump so that it notices it has nothing left to wait for.
      Atomics.add(this.#control, C_RESULTS, 1);
      notify(this.#control, C_RESULTS);
      this.#settleWaiters();
    }
  }

  #settleWaiters(): void {
    if (this.#outstanding === 0 && this.#idleWaiters.length > 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
    if (this.#roomWaiters.length > 0) {
      let room = this.#options.maxQueue - this.queued();
      while (room-- > 0 && this.#roomWaiters.length > 0) {
        this.#roomWaiters.shift()!();
      }
    }
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    const control = this.#control;
    // Pending tasks keep the process alive (as in Python); one hold for the
    // whole session instead of a timer per wait.
    const release = holdEventLoop();
    try {
      while (this.#outstanding > 0) {
        const seen = Atomics.load(control, C_RESULTS);
        this.#drain();
        this.#pruneWorkers();
        if (this.#overflowHead < this.#overflow.length) {
          this.#ring.reclaim();
          this.#flushOverflow();
        }
        this.#settleWaiters();
        if (this.#outstanding === 0) break;
        Atomics.store(control, C_MAIN_WAITING, 1);
        // A bare waitAsync: the hold above keeps the loop alive, and the
        // testing entry point should not count the pool's own wait as a
        // user's pending wait.
        const pending = waitPlainAsync(control, C_RESULTS, seen);
        if (typeof pending !== "string") await pending;
        Atomics.store(control, C_MAIN_WAITING, 0);
      }
    } finally {
      this.#pumping = false;
      release();
    }
    this.#settleWaiters();
  }

  #drain(): void {
    const now = performance.now();
    for (const w of this.#workers) w.results.drain(this.#onResult, now);
  }

  /** One record of a result ring. */
  readonly #onResult = (
    id: number,
    status: number,
    runTime: number,
    ring: ResultRing,
    now: number,
  ): void => {
    if (status === R_INT || status === R_NUMBER) {
      const task = this.#tasks.get(id);
      if (task !== undefined) {
        this.#complete(task, true, ring.payload(), runTime, now);
      }
    } else {
      this.#settle(id, status, ring, runTime, now);
    }
  };

  #settle(
    id: number,
    status: number,
    ring: ResultRing,
    runTime: number,
    now: number,
  ): void {
    const task = this.#tasks.get(id);
    if (task === undefined) {
      if (status === R_INIT_FAILED) {
        this.#breakPool(deserializeError(ring.payload() as SerializedError));
      }
      return;
    }
    if (status === R_OOB) {
      const outcome = this.#oobResults.get(id);
      if (outcome === undefined) {
        task.awaitingOob = runTime;
        return;
      }
      this.#oobResults.delete(id);
      this.#complete(
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
          value = ring.payload();
          break;
        case R_UNDEFINED:
          break;
        case R_ERROR:
          ok = false;
          value = deserializeError(ring.payload() as SerializedError);
          break;
        case R_CHUNK_ERROR: {
          const [values, error] = ring.payload() as [
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
    this.#complete(task, ok, value, runTime, now);
  }

  #complete(
    task: Task,
    ok: boolean,
    value: unknown,
    runTime: number,
    now: number,
  ): void {
    this.#stats.sample(runTime, Math.max(0, now - task.submitted - runTime));
    this.#finish(task);
    if (task.future.done()) return; // Aborted or timed out meanwhile.
    if (ok) {
      this.#stats.completed();
      task.future.setResult(value);
    } else {
      this.#stats.failed();
      task.future.setException(value);
    }
  }

  #onMessage(w: PoolWorker, message: FromWorker): void {
    switch (message.t) {
      case "fetch": {
        const args = this.#tasks.get(message.id)?.oob ?? { h: false, v: [] };
        w.handle.postMessage(
          { t: "payload", id: message.id, args } satisfies ToWorker,
        );
        break;
      }
      case "result": {
        const outcome = message.ok
          ? { ok: true as const, value: decode(message.value) }
          : { ok: false as const, error: deserializeError(message.error) };
        const task = this.#tasks.get(message.id);
        if (task !== undefined && task.awaitingOob >= 0) {
          this.#complete(
            task,
            outcome.ok,
            outcome.ok ? outcome.value : outcome.error,
            task.awaitingOob,
            performance.now(),
          );
        } else if (task !== undefined) {
          this.#oobResults.set(message.id, outcome);
        }
        break;
      }
    }
  }

  // Workers ------------------------------------------------------------------

  #spawn(): void {
    if (this.#stopped || this.#broken !== undefined) return;
    const unreadable = unreadableModule(workerUrl);
    if (unreadable !== undefined) {
      // The worker would never load: fail now instead of waiting forever.
      this.#failPool(
        new BrokenExecutorError(
          `The thread pool cannot start its workers: ${unreadable}`,
        ),
      );
      return;
    }
    const index = this.#workerCount++;
    const name = `${this.#options.prefix}_${index}`;
    const control = new Int32Array(new SharedArrayBuffer(WORKER_INTS * 4));
    const results = new ResultRing(control);
    const directory = linkForNewThread();
    const handle = runtime.spawn(workerUrl, { name, unrefable: true });
    const w: PoolWorker = {
      index,
      name,
      handle,
      control,
      results,
      gone: false,
      ident: nextIdent(),
    };
    this.#workers.push(w);
    handle.onMessage((message) => this.#onMessage(w, message as FromWorker));
    handle.onError((error) => this.#gone(w, error));
    handle.onExit((code) => this.#gone(w, undefined, code));
    // After the listeners: adding a message listener refs the worker again.
    handle.unref();
    handle.postMessage(
      {
        t: "init",
        globals: globalsBuffer(),
        control: this.#control.buffer as SharedArrayBuffer,
        slots: this.#ring.slots,
        arena: this.#ring.arena,
        worker: control.buffer as SharedArrayBuffer,
        results: results.buffer,
        index,
        ident: w.ident,
        name,
        idleTimeout: this.#options.idleTimeout,
        functions: this.#functions.list(),
        initializer: this.#options.initializer,
        initargs: this.#options.initargs,
        directory,
      } satisfies PoolInit,
      directory === undefined ? undefined : [directory.port],
    );
    launchDirectory();
  }

  /** A worker ended: collect what it wrote, fail its task, replace it. */
  #gone(w: PoolWorker, error: unknown, exitCode?: number): void {
    if (w.gone) return;
    w.gone = true;
    this.#workers = this.#workers.filter((other) => other !== w);
    const state = Atomics.load(w.control, W_STATE);
    w.results.drain(this.#onResult, performance.now());
    const id = Atomics.load(w.control, W_TASK);
    const task = id === 0 ? undefined : this.#tasks.get(id);
    // For lock waiters (the worker records it itself unless terminated).
    setFate(
      w.ident,
      task !== undefined || error !== undefined || (exitCode ?? 0) !== 0
        ? FAILED
        : ENDED,
    );
    if (task !== undefined && task.awaitingOob < 0) {
      this.#finish(task);
      if (!task.future.done()) {
        this.#stats.failed();
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
    this.#ring.releaseClaimedBy(w.index);
    if (state !== DEAD) w.handle.terminate();
    if (state === INIT_FAILED) return;
    if (state === STARTING && error !== undefined) {
      // The worker could not even start: do not respawn in a loop.
      this.#breakPool(error);
      return;
    }
    if (
      this.#outstanding > this.#workers.length &&
      this.#workers.length < this.#options.maxWorkers
    ) this.#spawn();
  }

  #breakPool(error: unknown): void {
    if (this.#broken !== undefined) return;
    const text = error instanceof Error
      ? (error.stack ?? `${error.name}: ${error.message}`)
      : String(error);
    runtime.writeStderr(`Exception in initializer:\n${text}\n`);
    this.#failPool(
      new BrokenExecutorError(
        `A thread initializer failed, the thread pool is not usable anymore: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      ),
    );
  }

  /** Marks the pool broken and fails every task that has not started. */
  #failPool(broken: BrokenExecutorError): void {
    this.#broken = broken;
    for (const task of [...this.#tasks.values()]) {
      if (this.withdraw(task, "failed")) task.future.setException(broken);
    }
  }

  #abort(task: Task, reason: unknown): void {
    if (!this.#tasks.has(task.id) || task.future.done()) return;
    if (this.withdraw(task, "failed")) {
      task.future.setException(reason);
      return;
    }
    // Running: fail the future now, tell the task, maybe stop its worker.
    this.#stats.failed();
    task.future.setException(reason);
    for (const w of this.#workers) {
      if (Atomics.load(w.control, W_TASK) !== task.id) continue;
      if (this.#options.terminateOnAbort) {
        // Before the worker stops: it may outlive terminate() (Deno), and
        // then ends at its next wait in a library primitive (_shm/stop.ts).
        setFate(w.ident, TERMINATED);
        this.#gone(w, reason);
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

  // Shutdown, waiting and stats ----------------------------------------------

  /**
   * Takes no more tasks; cancels the queued ones with `cancelFutures`.
   * Returns a promise that settles once the pending tasks are done and the
   * workers stopped.
   */
  shutdown(cancelFutures: boolean): Promise<void> {
    this.#shut = true;
    if (cancelFutures) {
      for (const task of [...this.#tasks.values()]) {
        if (!task.future.done()) task.future.cancel();
      }
    }
    return this.#whenIdle().then(() => this.#stop());
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    Atomics.store(this.#control, C_STOP, 1);
    notify(this.#control, C_TAIL);
    for (const w of this.#workers.slice()) {
      w.gone = true;
      // One still running a task may outlive terminate() (Deno).
      if (Atomics.load(w.control, W_TASK) !== 0) setFate(w.ident, TERMINATED);
      w.handle.terminate();
    }
    this.#workers = [];
  }

  #whenIdle(): Promise<void> {
    if (this.#outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Waits until fewer than `maxQueue` tasks wait (the caller has checked that
   * there is no room now and that `signal` has not aborted).
   */
  waitForRoom(
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const drop = () => {
        const i = this.#roomWaiters.indexOf(waiter);
        if (i >= 0) this.#roomWaiters.splice(i, 1);
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
      this.#roomWaiters.push(waiter);
    });
  }

  /** What `ThreadPoolExecutor.stats()` reports. */
  stats(): ExecutorStats {
    const queued = Math.max(0, this.queued());
    return this.#stats.report(
      queued,
      Math.max(0, this.#outstanding - queued),
      this.#workers.length,
    );
  }
}
