/**
 * A thread's worker loads only the classes of the shared objects among its
 * args (`src/load_shareables.ts`). Each case sends one kind alone, with a
 * target that names none of the library's exports (so that nothing else
 * loads the library), and checks that the object arrives whole, including
 * the shared objects inside it that its class revives: a condition's lock,
 * a barrier's condition, a queue item's lock.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  Queue,
  RLock,
  Thread,
} from "../mod.ts";

test("a Condition over a Lock, alone: the thread revives its lock too", async () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  const thread = new Thread({
    target: (cond: Condition) => cond.acquireSync(),
    args: [cond],
  }).start();
  assert.equal(await thread.join(), true);
  // The thread took the lock through its condition: the same memory.
  assert.equal(lock.locked(), true);
  lock.release();
});

test("a Condition over an RLock, alone", async () => {
  const cond = new Condition(new RLock());
  const thread = new Thread({
    target: (cond: Condition) => cond.withLock(() => cond.waitFor(() => 7)),
    args: [cond],
  }).start();
  assert.equal(await thread.join(), 7);
});

test("a BoundedSemaphore, alone, keeps its bound in the thread", async () => {
  const sem = new BoundedSemaphore(1);
  const thread = new Thread({
    target: (sem: BoundedSemaphore) => {
      sem.acquireSync();
      sem.release();
      try {
        sem.release();
        return "released past the bound";
      } catch (error) {
        return (error as Error).name;
      }
    },
    args: [sem],
  }).start();
  assert.equal(await thread.join(), "RangeError");
});

test("a Barrier, alone: its action may name the library's exports", async () => {
  const seen = new Int32Array(new SharedArrayBuffer(4));
  const barrier = new Barrier(2, {
    action: (seen: Int32Array) => {
      seen[0] = new Event().isSet() ? 1 : 2;
    },
    args: [seen],
  });
  const thread = new Thread({
    target: (barrier: Barrier) => barrier.waitSync({ timeout: 30_000 }),
    args: [barrier],
  }).start();
  const mine = await barrier.wait({ timeout: 30_000 });
  const theirs = await thread.join();
  assert.deepEqual([mine, theirs].sort(), [0, 1]);
  assert.equal(seen[0], 2);
});

test("a Queue, alone: a Lock put later arrives as the same lock", async () => {
  const queue = new Queue<Lock>();
  const thread = new Thread({
    target: (queue: Queue<Lock>) => {
      const lock = queue.getSync({ timeout: 30_000 });
      return lock.tryAcquire();
    },
    args: [queue],
  }).start();
  const lock = new Lock();
  await queue.put(lock);
  assert.equal(await thread.join(), true);
  assert.equal(lock.locked(), true);
});

test("two kinds at once load both", async () => {
  const lock = new Lock();
  const event = new Event();
  const thread = new Thread({
    target: (lock: Lock, event: Event) => {
      lock.acquireSync();
      event.set();
      return lock.locked();
    },
    args: [lock, event],
  }).start();
  assert.equal(await thread.join(), true);
  assert.equal(event.isSet(), true);
  assert.equal(lock.locked(), true);
});

class Setter extends Thread<boolean> {
  done = new Event();

  override run(): boolean {
    this.done.set();
    return this.done.isSet();
  }
}

test("a Thread subclass's field, alone", async () => {
  const thread = new Setter().start();
  assert.equal(await thread.join(), true);
  assert.equal(thread.done.isSet(), true);
});
