/**
 * Loads the classes of the shared objects a thread's worker is about to
 * revive, and only those: a thread that receives a `Lock` loads `lock.ts`,
 * not the queues, the map, the barrier or the executor. Each class module
 * registers how it is revived (`registerShareable` of
 * `transfer/shareable.ts`) and imports the classes its own memory may
 * revive (a `Condition` its lock, a `Barrier` its condition).
 *
 * A queue or a map loads every class: its items may hold any shared object,
 * revived by a synchronous `get` that cannot wait for a module.
 *
 * @module
 */

/** Loads every shareable class (`shareable_classes.ts`). */
const every = (): Promise<unknown> => import("./shareable_classes.ts");

/** The module of each class tag that needs no other. */
const modules: Record<string, () => Promise<unknown>> = {
  "threading.Lock": () => import("./sync/lock.ts"),
  "threading.RLock": () => import("./sync/rlock.ts"),
  "threading.Semaphore": () => import("./sync/semaphore.ts"),
  "threading.BoundedSemaphore": () => import("./sync/bounded_semaphore.ts"),
  "threading.Event": () => import("./sync/event.ts"),
  "threading.Condition": () => import("./sync/condition.ts"),
  "threading.Barrier": () => import("./sync/barrier.ts"),
};

/**
 * Loads the classes of `tags` (the `t` of an `Encoded` value of
 * `transfer/codec.ts`); every class when `tags` is absent.
 */
export async function loadShareables(
  tags: readonly string[] | undefined,
): Promise<void> {
  if (tags === undefined) {
    await every();
    return;
  }
  await Promise.all(tags.map((tag) => (modules[tag] ?? every)()));
}
