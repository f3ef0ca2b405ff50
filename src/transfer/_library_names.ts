/**
 * The names `mod.ts` exports as values: inside a target, each is in scope as
 * if the target's module had imported it (a test keeps this list in step
 * with `mod.ts`).
 *
 * @module
 */

/** The library's value exports, by name. */
export const LIBRARY_NAMES: ReadonlySet<string> = new Set([
  "ALL_COMPLETED",
  "Barrier",
  "BoundedSemaphore",
  "BrokenBarrierError",
  "BrokenExecutorError",
  "CancelledError",
  "ConcurrentModificationError",
  "Condition",
  "Event",
  "FIRST_COMPLETED",
  "FIRST_EXCEPTION",
  "Future",
  "InvalidStateError",
  "LifoQueue",
  "Lock",
  "ModuleFunction",
  "OwnerDiedError",
  "PriorityQueue",
  "Queue",
  "QueueEmpty",
  "QueueFull",
  "QueueShutDown",
  "RLock",
  "Semaphore",
  "SharedMap",
  "SimpleQueue",
  "Thread",
  "ThreadExitError",
  "ThreadPoolExecutor",
  "ThreadStateError",
  "TimeoutError",
  "Timer",
  "activeCount",
  "asCompleted",
  "currentThread",
  "enumerate",
  "getIdent",
  "isMainThread",
  "mainThread",
  "moduleFunction",
  "taskSignal",
  "wait",
]);

/** Where `_library.ts` leaves the library's exports for compiled targets. */
export const LIBRARY_SLOT: unique symbol = Symbol.for(
  "@threading/threading.library",
);

/** The text by which a compiled target reads {@linkcode LIBRARY_SLOT}. */
export const LIBRARY_READ =
  'globalThis[Symbol.for("@threading/threading.library")]';
