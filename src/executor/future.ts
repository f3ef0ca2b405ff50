import { CancelledError, InvalidStateError, TimeoutError } from "../errors.ts";
import { runtime } from "../runtime/detect.ts";
import { checkFunction } from "../validate.ts";
import {
  validateSignal,
  validateTimeout,
  type WaitOptions,
} from "../wait_options.ts";

type State = "pending" | "running" | "cancelled" | "finished";

/** Hook: withdraws the queued task; `false` when a worker already took it. */
export const withdrawTask: unique symbol = Symbol("withdrawTask");
/** Hook: whether a worker already took the task. */
export const taskStarted: unique symbol = Symbol("taskStarted");

/** What an executor lets its futures ask it (internal). */
export interface FutureHooks {
  /** Withdraws the queued task; `false` when a worker already took it. */
  [withdrawTask](): boolean;
  /** Whether a worker already took the task. */
  [taskStarted](): boolean;
}

let attachHooks: (future: Future<unknown>, hooks: FutureHooks) => void;
let listen: (future: Future<unknown>, listener: () => void) => () => void;
let peekFailed: (future: Future<unknown>) => boolean;

/** Whether a done future finished with an error (internal, for `wait`). */
export function futureFailed(future: Future<unknown>): boolean {
  return peekFailed(future);
}

/**
 * Connects a future to the executor that runs its task (internal).
 *
 * @param future The future the executor returned.
 * @param hooks How the future cancels its task and learns that it started.
 */
export function bindFuture(future: Future<unknown>, hooks: FutureHooks): void {
  attachHooks(future, hooks);
}

/**
 * Calls `listener` once when `future` is done, after its done callbacks
 * (internal, for `wait` and `asCompleted`).
 *
 * @returns A function that removes the listener.
 */
export function onFutureDone(
  future: Future<unknown>,
  listener: () => void,
): () => void {
  return listen(future, listener);
}

/**
 * The eventual result of a task, as in Python's `concurrent.futures.Future`:
 * `ThreadPoolExecutor.submit()` returns one. It is thenable, so `await future`
 * gives the task's result (or throws its error).
 *
 * `result()` and `exception()` return Promises and accept `{ timeout }`;
 * `cancel()` withdraws a task that has not started yet. Executors and tests
 * may create a future themselves and complete it with `setResult()` or
 * `setException()`.
 *
 * @typeParam R The task's result (awaited).
 *
 * @example Usage
 * ```ts
 * import { ThreadPoolExecutor } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const future = pool.submit((a: number, b: number) => a * b, 6, 7);
 * assert.equal(await future.result(), 42);
 * assert.equal(future.done(), true);
 * assert.equal(await future.exception(), undefined);
 * ```
 */
export class Future<R = unknown> implements PromiseLike<R> {
  #state: State = "pending";
  #value: R | undefined;
  #error: unknown;
  #failed = false;
  // Typed without R so that Future<number> is a Future<unknown> (covariance).
  #callbacks: ((future: Future<unknown>) => void)[] | undefined;
  #listeners: (() => void)[] | undefined;
  #hooks: FutureHooks | undefined;
  #promise: Promise<R> | undefined;
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  static {
    peekFailed = (future) => future.#failed;
    attachHooks = (future, hooks) => {
      future.#hooks = hooks;
    };
    listen = (future, listener) => {
      if (future.done()) {
        listener();
        return () => {};
      }
      (future.#listeners ??= []).push(listener);
      return () => {
        const i = future.#listeners?.indexOf(listener) ?? -1;
        if (i >= 0) future.#listeners!.splice(i, 1);
      };
    };
  }

  /**
   * Attempts to cancel the task. A task that has not started is withdrawn and
   * the future becomes cancelled.
   *
   * @returns `true` when the future is (now or already) cancelled; `false`
   * when its task is running or done.
   */
  cancel(): boolean {
    if (this.#state === "cancelled") return true;
    if (this.#state !== "pending") return false;
    if (this.#hooks !== undefined && !this.#hooks[withdrawTask]()) {
      this.#state = "running";
      return false;
    }
    this.#state = "cancelled";
    this.#complete();
    return true;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this.#state === "cancelled";
  }

  /** Whether the task is running now (started, not done, not cancelled). */
  running(): boolean {
    if (
      this.#state === "pending" && this.#hooks !== undefined &&
      this.#hooks[taskStarted]()
    ) {
      this.#state = "running";
    }
    return this.#state === "running";
  }

  /** Whether the future is cancelled or finished (with a result or an error). */
  done(): boolean {
    return this.#state === "cancelled" || this.#state === "finished";
  }

  /**
   * Waits for the task's result.
   *
   * @returns The task's (awaited) return value.
   * @throws {TimeoutError} when `timeout` ms pass first (the task goes on).
   * @throws {CancelledError} when the future was cancelled.
   * @throws The task's own error (same class name, message, stack, cause).
   */
  result(options: WaitOptions = {}): Promise<R> {
    const timeout = validateTimeout(
      options?.timeout,
      "get the future's result",
    );
    const signal = validateSignal(options?.signal, "get the future's result");
    return this.#waitDone(timeout, signal).then(() => this.#outcome());
  }

  /**
   * Waits for the task and returns its error.
   *
   * @returns The error the task failed with, or `undefined` when it succeeded.
   * @throws {TimeoutError} when `timeout` ms pass first.
   * @throws {CancelledError} when the future was cancelled.
   */
  exception(options: WaitOptions = {}): Promise<unknown> {
    const timeout = validateTimeout(
      options?.timeout,
      "get the future's exception",
    );
    const signal = validateSignal(
      options?.signal,
      "get the future's exception",
    );
    return this.#waitDone(timeout, signal).then(() => {
      if (this.#state === "cancelled") throw new CancelledError();
      return this.#failed ? this.#error : undefined;
    });
  }

  /**
   * Calls `fn(future)` when the future is done (finished or cancelled), or at
   * once when it already is. Callbacks run in the order added; one that
   * throws is reported on stderr and the others still run.
   *
   * @throws {TypeError} when `fn` is not a function.
   */
  addDoneCallback(fn: (future: Future<R>) => void): void {
    checkFunction(fn, "add done callback", "fn");
    if (this.done()) this.#invoke(fn as (future: Future<unknown>) => void);
    else {
      (this.#callbacks ??= []).push(fn as (future: Future<unknown>) => void);
    }
  }

  /**
   * Marks the future running, or reports that it was cancelled (Python's
   * `set_running_or_notify_cancel`), for executor implementations and tests.
   *
   * @returns `false` when the future was cancelled; `true` once it runs.
   * @throws {InvalidStateError} when it is already running or finished.
   */
  setRunningOrNotifyCancel(): boolean {
    if (this.#state === "cancelled") return false;
    if (this.#state !== "pending") {
      throw new InvalidStateError(
        `Cannot mark the future running: it is ${this.#state}: ${this}`,
      );
    }
    this.#state = "running";
    return true;
  }

  /**
   * Completes the future with a value, for executor implementations and tests.
   *
   * @throws {InvalidStateError} when the future is already done.
   */
  setResult(value: R): void {
    this.#checkSettable("set the result");
    this.#value = value;
    this.#state = "finished";
    this.#complete();
  }

  /**
   * Completes the future with an error, for executor implementations and tests.
   *
   * @throws {InvalidStateError} when the future is already done.
   */
  setException(error: unknown): void {
    this.#checkSettable("set the exception");
    this.#error = error;
    this.#failed = true;
    this.#state = "finished";
    this.#complete();
  }

  /**
   * Makes the future awaitable: `await future` gives the result or throws the
   * task's error (`CancelledError` when cancelled).
   *
   * @typeParam T1 What the fulfilment handler returns.
   * @typeParam T2 What the rejection handler returns.
   */
  then<T1 = R, T2 = never>(
    onFulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onRejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.#asPromise().then(onFulfilled, onRejected);
  }

  /**
   * Handles the task's error, like `Promise.prototype.catch`.
   *
   * @typeParam T What the handler returns.
   */
  catch<T = never>(
    onRejected?: ((reason: unknown) => T | PromiseLike<T>) | null,
  ): Promise<R | T> {
    return this.#asPromise().catch(onRejected);
  }

  /** Runs `onFinally` once the future is done, like `Promise.prototype.finally`. */
  finally(onFinally?: (() => void) | null): Promise<R> {
    return this.#asPromise().finally(onFinally);
  }

  /** A readable description, like Python's `<Future state=finished returned int>`. */
  toString(): string {
    if (this.#state !== "finished") return `<Future state=${this.#state}>`;
    return this.#failed
      ? `<Future state=finished raised ${
        (this.#error as Error)?.name ?? typeof this.#error
      }>`
      : `<Future state=finished returned ${
        this.#value === null ? "null" : typeof this.#value
      }>`;
  }

  #checkSettable(action: string): void {
    if (this.done()) {
      throw new InvalidStateError(
        `Cannot ${action} of a future that is ${this.#state.toUpperCase()}: ${this}`,
      );
    }
  }

  #outcome(): R {
    if (this.#state === "cancelled") throw new CancelledError();
    if (this.#failed) throw this.#error;
    return this.#value as R;
  }

  #asPromise(): Promise<R> {
    if (this.#promise === undefined) {
      if (this.done()) {
        try {
          this.#promise = Promise.resolve(this.#outcome());
        } catch (error) {
          this.#promise = Promise.reject(error);
        }
      } else {
        this.#promise = new Promise<R>((resolve, reject) => {
          this.#resolve = resolve as (value: unknown) => void;
          this.#reject = reject;
        });
      }
    }
    return this.#promise;
  }

  #waitDone(timeout: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.done()) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (timeout === 0) return Promise.reject(this.#timeoutError(timeout));
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        unlisten();
      };
      const onAbort = () => {
        finish();
        reject(signal!.reason);
      };
      const unlisten = listen(this as Future<unknown>, () => {
        finish();
        resolve();
      });
      if (timeout !== Infinity) {
        timer = setTimeout(() => {
          finish();
          reject(this.#timeoutError(timeout));
        }, timeout);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #timeoutError(timeout: number): TimeoutError {
    return new TimeoutError(`The future did not finish within ${timeout} ms`);
  }

  #complete(): void {
    if (this.#promise !== undefined) {
      if (this.#state === "cancelled") this.#reject!(new CancelledError());
      else if (this.#failed) this.#reject!(this.#error);
      else this.#resolve!(this.#value as R);
      this.#resolve = this.#reject = undefined;
    }
    const callbacks = this.#callbacks;
    if (callbacks !== undefined) {
      this.#callbacks = undefined;
      for (const fn of callbacks) this.#invoke(fn);
    }
    const listeners = this.#listeners;
    if (listeners !== undefined) {
      this.#listeners = undefined;
      for (const fn of listeners) fn();
    }
  }

  #invoke(fn: (future: Future<unknown>) => void): void {
    try {
      fn(this as Future<unknown>);
    } catch (error) {
      const text = error instanceof Error
        ? (error.stack ?? `${error.name}: ${error.message}`)
        : String(error);
      runtime.writeStderr(`exception calling callback for ${this}\n${text}\n`);
    }
  }
}
