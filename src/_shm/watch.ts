/**
 * The hooks that the testing entry point (`testing.ts`) installs to see what a
 * test leaves behind: threads started, errors nobody joined, executors
 * created and async waits pending in this thread. Nothing is recorded, and
 * each hook costs one property read, until a watcher is installed.
 *
 * This module imports nothing, not even types: `futex.ts` loads it in every
 * thread that waits. `T` is the `Thread` class of `thread/thread.ts`, which
 * the testing entry point names.
 *
 * @module
 */

/** What the testing entry point is told. */
export interface Watcher<T = unknown> {
  /**
   * A thread was started; `settle()` collects its outcome if it has ended,
   * `isWaiting()` says whether it is blocked in a wait right now.
   */
  threadStarted(
    thread: T,
    settle: () => void,
    isWaiting: () => boolean,
  ): void;
  /** A thread ended with an error and nobody had called `join()`. */
  threadUnhandled(thread: T, error: unknown): void;
  /** An executor was created; `isShutDown()` says whether `shutdown()` was called. */
  executorCreated(name: string, isShutDown: () => boolean): void;
  /** An async wait (`Atomics.waitAsync`) began; call the result when it settles. */
  waitStarted(): () => void;
}

/** The installed watcher, if any (one per thread: module state is per thread). */
export const watch: { current: Watcher | undefined } = { current: undefined };
