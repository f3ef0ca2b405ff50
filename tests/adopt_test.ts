import assert from "node:assert/strict";
import { test } from "node:test";
// The classes from their modules, as the registry's own module: on Node
// "../mod.ts" is the built package, a copy with a registry of its own.
import { Barrier } from "../src/sync/barrier.ts";
import { BoundedSemaphore } from "../src/sync/bounded_semaphore.ts";
import { Condition } from "../src/sync/condition.ts";
import { Event } from "../src/sync/event.ts";
import { Lock } from "../src/sync/lock.ts";
import { RLock } from "../src/sync/rlock.ts";
import { Semaphore } from "../src/sync/semaphore.ts";
import { LifoQueue } from "../src/queue/lifo_queue.ts";
import { PriorityQueue } from "../src/queue/priority_queue.ts";
import { Queue } from "../src/queue/queue.ts";
import { SimpleQueue } from "../src/queue/simple_queue.ts";
import { SharedMap } from "../src/collections/shared_map.ts";
import {
  reviveShared,
  type SharedState,
  toShared,
} from "../src/transfer/shareable.ts";

function stateOf(object: unknown): SharedState {
  return (object as { [toShared](): SharedState })[toShared]();
}

const makers: [string, () => unknown][] = [
  ["Lock", () => new Lock()],
  ["RLock", () => new RLock()],
  ["Semaphore", () => new Semaphore(2)],
  ["BoundedSemaphore", () => new BoundedSemaphore(2)],
  ["Event", () => new Event()],
  ["Condition", () => new Condition()],
  ["Barrier", () => new Barrier(2)],
  ["Queue", () => new Queue()],
  ["LifoQueue", () => new LifoQueue()],
  ["PriorityQueue", () => new PriorityQueue()],
  ["SimpleQueue", () => new SimpleQueue()],
  ["SharedMap", () => new SharedMap()],
];

test("every shared object revives over its own memory as a live view", () => {
  for (const [name, make] of makers) {
    const original = make();
    const revived = reviveShared(stateOf(original));
    assert.equal(
      (revived as object).constructor.name,
      name,
      `${name} revives as itself`,
    );
    assert.deepEqual(stateOf(revived), stateOf(original), name);
  }
});

test("every shared object refuses memory of another kind (its type tag)", () => {
  const other: Record<string, SharedState> = {
    Lock: stateOf(new Event()),
    RLock: stateOf(new Lock()),
    Semaphore: stateOf(new Lock()),
    BoundedSemaphore: stateOf(new Event()),
    Event: stateOf(new Semaphore()),
    Condition: stateOf(new Barrier(2)),
    Barrier: stateOf(new Condition()),
    Queue: stateOf(new SharedMap()),
    LifoQueue: stateOf(new Queue()),
    PriorityQueue: stateOf(new LifoQueue()),
    SimpleQueue: stateOf(new SharedMap()),
    SharedMap: stateOf(new Queue()),
  };
  for (const [name, make] of makers) {
    const { tag } = stateOf(make());
    for (const data of [other[name].data, new SharedArrayBuffer(64), null]) {
      assert.throws(
        () => reviveShared({ tag, data }),
        (error: unknown) =>
          error instanceof TypeError &&
          /^Cannot receive an? \w+: the shared memory it arrived with is not an? \w+$/
            .test(error.message),
        `${name} refuses ${String(data)}`,
      );
    }
  }
});
