/**
 * Loads every shareable class, so that each registers how it is revived
 * (`registerShareable` of `transfer/shareable.ts`): what a thread's worker
 * imports before it decodes args that hold shared objects. The executor, the
 * futures and the rest of `mod.ts` are not needed for that.
 *
 * @module
 */
import "./sync/lock.ts";
import "./sync/rlock.ts";
import "./sync/semaphore.ts";
import "./sync/bounded_semaphore.ts";
import "./sync/event.ts";
import "./sync/condition.ts";
import "./sync/barrier.ts";
import "./queue/queue.ts";
import "./queue/lifo_queue.ts";
import "./queue/priority_queue.ts";
import "./queue/simple_queue.ts";
import "./collections/shared_map.ts";
