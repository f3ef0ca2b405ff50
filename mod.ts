/**
 * Real threads for TypeScript, with the threading model Python programmers
 * know: `Thread` with `start`/`join` and return values, daemon threads, locks
 * and the other primitives on shared memory, cross-thread queues, a shared map
 * and a thread-pool executor, on Deno, Bun and Node alike.
 *
 * Supported runtimes: Deno 2.9 and later, Bun 1.4 and later, Node 20, 22, 24
 * and 26 (every change is tested on Deno 2.9.6, Bun 1.4.5 and Node 20.20.2,
 * 22.23.5, 24.22.3 and 26.12.1).
 *
 * @example Usage
 * ```ts
 * import { Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const thread = new Thread({ target: (a: number, b: number) => a * b, args: [6, 7] });
 * thread.start();
 * assert.equal(await thread.join(), 42);
 * ```
 *
 * @module
 */
export {
  BrokenBarrierError,
  BrokenExecutorError,
  CancelledError,
  ConcurrentModificationError,
  InvalidStateError,
  OwnerDiedError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  ThreadExitError,
  ThreadStateError,
  TimeoutError,
} from "./src/errors.ts";
export type { WaitOptions, WaitSyncOptions } from "./src/wait_options.ts";
export {
  type ArgsRequired,
  type ExceptHookArgs,
  Thread,
  type ThreadOptionFields,
  type ThreadOptions,
  type ThreadResult,
  type ThreadTarget,
} from "./src/thread/thread.ts";
export type {
  ClassInstancesWithMethodsCannotTravelToThreads,
  FunctionsCannotTravelToThreads,
  NoParameterForThisArgument,
  Sendable,
  SharedObject,
  SymbolsCannotTravelToThreads,
  TargetArgs,
} from "./src/transfer/sendable.ts";
export { Timer } from "./src/thread/timer.ts";
export {
  Queue,
  type QueueShutdownOptions,
  type QueueWaitOptions,
  type QueueWaitSyncOptions,
} from "./src/queue/queue.ts";
export { LifoQueue } from "./src/queue/lifo_queue.ts";
export {
  type PriorityItem,
  PriorityQueue,
} from "./src/queue/priority_queue.ts";
export { SimpleQueue } from "./src/queue/simple_queue.ts";
export { SharedMap } from "./src/collections/shared_map.ts";
export {
  ModuleFunction,
  moduleFunction,
} from "./src/thread/module_function.ts";
export {
  activeCount,
  currentThread,
  enumerate,
  getIdent,
  isMainThread,
  mainThread,
} from "./src/thread/registry.ts";
export type {
  AcquireOptions,
  AcquireSyncOptions,
} from "./src/sync/acquire_options.ts";
export { Lock } from "./src/sync/lock.ts";
export { RLock } from "./src/sync/rlock.ts";
export { Semaphore } from "./src/sync/semaphore.ts";
export { BoundedSemaphore } from "./src/sync/bounded_semaphore.ts";
export { Event } from "./src/sync/event.ts";
export { Condition } from "./src/sync/condition.ts";
export { Barrier, type BarrierOptions } from "./src/sync/barrier.ts";
export {
  type ExecutorStats,
  type MapOptions,
  type Percentiles,
  type ShutdownOptions,
  type TaskFunction,
  type TaskOptions,
  ThreadPoolExecutor,
  type ThreadPoolExecutorOptions,
} from "./src/executor/thread_pool_executor.ts";
export { Future } from "./src/executor/future.ts";
export {
  asCompleted,
  type AsCompletedOptions,
  type CompletedFuture,
} from "./src/executor/as_completed.ts";
export {
  ALL_COMPLETED,
  type DoneAndNotDone,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type FuturesWaitOptions,
  type ReturnWhen,
  wait,
} from "./src/executor/wait.ts";
export { taskSignal } from "./src/executor/task_signal.ts";
