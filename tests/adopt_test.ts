import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  RLock,
  Semaphore,
  SharedMap,
  SimpleQueue,
} from "../mod.ts";
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
