/**
 * The layout of a thread's control block: an `Int32Array` over shared memory
 * that the thread's owner and the thread's worker both read and write.
 *
 * This module imports nothing, not even types: a thread's worker loads it
 * at every start (Bun resolves type-only imports too).
 *
 * @module
 */

/** Control block cell: the thread's state. */
export const STATE = 0;
/** Control block cell: the exit code, once the thread called exit. */
export const EXIT_CODE = 1;
/**
 * Control block cell: 1 once the thread's worker is about to end. A worker
 * outlives its target while non-daemon threads it started still run; its
 * parent must not end before it, or the runtime would stop them with it.
 */
export const WORKER_GONE = 2;
/**
 * Control block cell: how many waits (`futex.ts`) the thread is in right
 * now, for the testing entry point's report of a leaked thread.
 */
export const WAITING = 3;
/** The number of `Int32` cells in a control block. */
export const CONTROL_CELLS = 4;
/** State: the target is running (or the thread has not started yet). */
export const RUNNING = 0;
/** State: the target finished; its outcome waits on the result port. */
export const DONE = 1;
/** State: the thread ended without an outcome (it exited or crashed). */
export const DIED = 2;
