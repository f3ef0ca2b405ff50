/**
 * The error classes that callers are expected to catch. Each sets `name`, so
 * that an error re-raised from another thread keeps it too.
 *
 * @module
 */

/**
 * An operation is not allowed in the object's current state: starting a thread
 * twice, joining one that was never started, releasing an unlocked `Lock`,
 * submitting to an executor that was shut down. Python raises `RuntimeError`
 * in these places.
 *
 * @example Usage
 * ```ts
 * import { Thread, ThreadStateError } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const thread = new Thread({ target: () => 1 });
 * assert.throws(() => thread.joinSync(), ThreadStateError);
 * ```
 */
export class ThreadStateError extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ThreadStateError";
  }
}

/**
 * A wait ran out of time: `join({ timeout })`, `Future.result({ timeout })`,
 * `asCompleted` and `map` with a timeout.
 *
 * @example Usage
 * ```ts
 * import { TimeoutError } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new TimeoutError("too slow").name, "TimeoutError");
 * ```
 */
export class TimeoutError extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/**
 * A `Barrier` was broken (reset, aborted, or a wait timed out) while a party
 * waited on it, or it was broken when the party arrived.
 *
 * @example Usage
 * ```ts
 * import { BrokenBarrierError } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new BrokenBarrierError().name, "BrokenBarrierError");
 * ```
 */
export class BrokenBarrierError extends Error {
  /** Creates the error. */
  constructor(message = "The barrier is broken", options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenBarrierError";
  }
}

/**
 * `getNowait()`, or a `get` whose timeout expired, found the queue empty.
 *
 * @example Usage
 * ```ts
 * import { QueueEmpty } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new QueueEmpty().name, "QueueEmpty");
 * ```
 */
export class QueueEmpty extends Error {
  /** Creates the error. */
  constructor(message = "The queue is empty", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueEmpty";
  }
}

/**
 * `putNowait()`, or a `put` whose timeout expired, found the queue full.
 *
 * @example Usage
 * ```ts
 * import { QueueFull } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new QueueFull().name, "QueueFull");
 * ```
 */
export class QueueFull extends Error {
  /** Creates the error. */
  constructor(message = "The queue is full", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueFull";
  }
}

/**
 * The queue was shut down: `put` after `shutdown()`, or `get` once a shut-down
 * queue is empty.
 *
 * @example Usage
 * ```ts
 * import { QueueShutDown } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new QueueShutDown().name, "QueueShutDown");
 * ```
 */
export class QueueShutDown extends Error {
  /** Creates the error. */
  constructor(message = "The queue was shut down", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueShutDown";
  }
}

/**
 * The future was cancelled before it ran.
 *
 * @example Usage
 * ```ts
 * import { CancelledError } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new CancelledError().name, "CancelledError");
 * ```
 */
export class CancelledError extends Error {
  /** Creates the error. */
  constructor(message = "The future was cancelled", options?: ErrorOptions) {
    super(message, options);
    this.name = "CancelledError";
  }
}

/**
 * A `SharedMap` changed size while this thread iterated over it (Python's
 * "dictionary changed size during iteration"). Hold a `Lock` around both.
 *
 * @example Usage
 * ```ts
 * import { ConcurrentModificationError } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ConcurrentModificationError().name, "ConcurrentModificationError");
 * ```
 */
export class ConcurrentModificationError extends Error {
  /** Creates the error. */
  constructor(
    message =
      "The map changed while it was iterated: hold a Lock around the iteration and the change",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConcurrentModificationError";
  }
}

/**
 * A thread ended without returning or throwing: its code called
 * `process.exit()`/`Deno.exit()`, or the worker under it died.
 *
 * @example Usage
 * ```ts
 * import { ThreadExitError } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ThreadExitError("gone", 3).exitCode, 3);
 * ```
 */
export class ThreadExitError extends Error {
  /** The exit code the thread ended with, when known. */
  readonly exitCode: number | undefined;
  /** Creates the error. */
  constructor(message: string, exitCode?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "ThreadExitError";
    this.exitCode = exitCode;
  }
}

/**
 * An operation found a `Future` in a state that does not allow it: setting the
 * result of a future that is already done (Python's `InvalidStateError`).
 *
 * @example Usage
 * ```ts
 * import { Future, InvalidStateError } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>();
 * future.setResult(1);
 * assert.throws(() => future.setResult(2), InvalidStateError);
 * ```
 */
export class InvalidStateError extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidStateError";
  }
}

/**
 * The executor can no longer run tasks: a worker's `initializer` failed
 * (Python's `BrokenExecutor`/`BrokenThreadPool`). Pending futures fail with
 * it, and so does every later `submit`. The initializer's error is the `cause`.
 *
 * @example Usage
 * ```ts
 * import { BrokenExecutorError } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new BrokenExecutorError().name, "BrokenExecutorError");
 * ```
 */
export class BrokenExecutorError extends Error {
  /** Creates the error. */
  constructor(
    message = "The executor is broken: a worker's initializer failed",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "BrokenExecutorError";
  }
}

/**
 * A lock's holder ended without releasing it, so waiting for it would wait
 * for ever: Python has no such error (its waiters hang); this is POSIX's
 * `EOWNERDEAD` of robust mutexes, as an exception. `acquire()`,
 * `acquireSync()`, `lock()`, `lockSync()`, `withLock()` and a `Condition`'s
 * wait (taking its lock back) throw it while they wait.
 *
 * - `Lock`: the holder thread failed — its target threw, it called
 *   `process.exit()`/`Deno.exit()`, crashed or was terminated. A holder whose
 *   target returned normally does not count: any thread may release a `Lock`,
 *   as in Python, so the waiters keep waiting for that release.
 * - `RLock`: the owner thread ended in any way: only it could have released it.
 *
 * The lock stays held: what it protects may be half-updated. Repair that
 * state and use a new lock (or `release()` a `Lock` from another thread once
 * that is safe). A waiter notices the death within about 100 ms; a `Barrier`
 * party, a `Semaphore` holder or a thread that should `notify()` a
 * `Condition` have no owner to watch: use a timeout for those.
 *
 * @example Usage
 * ```ts
 * import { Lock, OwnerDiedError, Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * const thread = new Thread({
 *   target: (lock: Lock) => {
 *     lock.acquireSync();
 *     throw new Error("failed while holding the lock");
 *   },
 *   args: [lock],
 * }).start();
 * await assert.rejects(thread.join(), /failed while holding/);
 * await assert.rejects(lock.acquire(), OwnerDiedError);
 * ```
 */
export class OwnerDiedError extends Error {
  /** The ident of the thread that ended while holding the lock. */
  readonly ownerIdent: number;
  /** Creates the error. */
  constructor(message?: string, ownerIdent = 0, options?: ErrorOptions) {
    super(message, options);
    this.name = "OwnerDiedError";
    this.ownerIdent = ownerIdent;
  }
}
