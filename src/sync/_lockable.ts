/**
 * The protocol that lets `Condition` work with any lock of this library
 * (`Lock` or `RLock`), like the private `_is_owned`, `_release_save` and
 * `_acquire_restore` methods of Python's locks, plus the helpers behind
 * `lock()`, `lockSync()` and `withLock()`.
 *
 * @module
 */
import { TimeoutError } from "../errors.ts";
import type { Shareable } from "../transfer/shareable.ts";
import type { WaitOptions, WaitSyncOptions } from "../wait_options.ts";
import { checkFunction } from "../validate.ts";
import type { AcquireOptions, AcquireSyncOptions } from "./acquire_options.ts";

/** Whether the calling thread may wait on / notify a condition over this lock. */
export const isOwned: unique symbol = Symbol("threading.isOwned");
/** Releases the lock completely; returns what {@linkcode acquireRestore} needs. */
export const releaseSave: unique symbol = Symbol("threading.releaseSave");
/** Blocks until the lock is held again as it was before {@linkcode releaseSave}. */
export const acquireRestoreSync: unique symbol = Symbol(
  "threading.acquireRestoreSync",
);
/** Waits (without blocking the loop) until the lock is held again as before. */
export const acquireRestore: unique symbol = Symbol(
  "threading.acquireRestore",
);

/** A lock that a `Condition` can use. */
export interface Lockable extends Shareable {
  /** Acquires the lock without blocking the event loop. */
  acquire(options?: AcquireOptions): Promise<boolean>;
  /** Acquires the lock, blocking the thread. */
  acquireSync(options?: AcquireSyncOptions): boolean;
  /** Acquires the lock if that needs no wait. */
  tryAcquire(): boolean;
  /** Releases the lock. */
  release(): void;
  /** Whether anybody holds the lock. */
  locked(): boolean;
  /** Acquires the lock; the result releases it when disposed. */
  lock(options?: WaitOptions): Promise<Disposable>;
  /** Acquires the lock, blocking; the result releases it when disposed. */
  lockSync(options?: WaitSyncOptions): Disposable;
  /** Runs `fn` holding the lock. */
  withLock<T>(fn: () => T | Promise<T>): Promise<T>;
  /** See {@linkcode isOwned}. */
  [isOwned](): boolean;
  /** See {@linkcode releaseSave}. */
  [releaseSave](): number;
  /** See {@linkcode acquireRestoreSync}. */
  [acquireRestoreSync](saved: number): void;
  /** See {@linkcode acquireRestore}. */
  [acquireRestore](saved: number): Promise<void>;
}

/** Tells whether `value` implements the {@linkcode Lockable} protocol. */
export function isLockable(value: unknown): value is Lockable {
  return typeof value === "object" && value !== null && isOwned in value &&
    releaseSave in value;
}

/** What `lock()`, `lockSync()` and `withLock()` need of a lock or semaphore. */
export interface Holdable {
  /** Acquires without blocking the event loop. */
  acquire(options?: WaitOptions): Promise<boolean>;
  /** Acquires, blocking the thread. */
  acquireSync(options?: WaitSyncOptions): boolean;
  /** Releases once. */
  release(): void;
}

/**
 * `lock()`: acquires `held` and returns a `Disposable` that releases it.
 *
 * @param what The held object in the timeout's message (`"the lock"`).
 * @throws {TimeoutError} when it was not acquired in time.
 */
export function holdAsync(
  held: Holdable,
  options: WaitOptions | undefined,
  what: string,
): Promise<Disposable> {
  return held.acquire(options).then((acquired) => {
    if (!acquired) throw lockTimeout(what, options);
    return releaser(held);
  });
}

/**
 * `lockSync()`: acquires `held`, blocking, and returns a `Disposable` that
 * releases it.
 *
 * @param what The held object in the timeout's message (`"the lock"`).
 * @throws {TimeoutError} when it was not acquired in time.
 */
export function holdSync(
  held: Holdable,
  options: WaitSyncOptions | undefined,
  what: string,
): Disposable {
  if (!held.acquireSync(options)) throw lockTimeout(what, options);
  return releaser(held);
}

/**
 * `withLock()`: runs `fn` while holding `held` and releases it afterwards,
 * also when `fn` throws.
 *
 * @param what The held object in the callback's message (`"the lock"`).
 * @throws {TypeError} at once when `fn` is not a function.
 */
export function runHolding<T>(
  held: Holdable,
  fn: () => T | Promise<T>,
  what: string,
): Promise<T> {
  checkCallback(fn, `run with ${what}`);
  return runAcquired(held, fn);
}

/** A `Disposable` that releases `held` once, however often it is disposed. */
function releaser(held: Holdable): Disposable {
  let done = false;
  return {
    [Symbol.dispose](): void {
      if (done) return;
      done = true;
      held.release();
    },
  };
}

/** The error `lock()`/`lockSync()` throw when the lock was not acquired in time. */
function lockTimeout(what: string, options: unknown): TimeoutError {
  const timeout = (options as { timeout?: number } | undefined)?.timeout;
  return new TimeoutError(
    timeout === undefined || timeout === null
      ? `Cannot lock ${what}: it is held elsewhere`
      : `Cannot lock ${what}: not acquired within ${timeout} ms`,
  );
}

/** Checks the callback of `withLock()`. */
export function checkCallback(fn: unknown, action: string): void {
  checkFunction(fn, action, "fn");
}

/** Acquires `held`, runs `fn` and releases it, awaiting `fn`'s result. */
async function runAcquired<T>(
  held: Holdable,
  fn: () => T | Promise<T>,
): Promise<T> {
  await held.acquire();
  try {
    return await fn();
  } finally {
    held.release();
  }
}
