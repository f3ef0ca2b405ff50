import assert from "node:assert/strict";
import { test } from "node:test";
import {
  getIdent,
  RLock,
  Thread,
  ThreadStateError,
  TimeoutError,
} from "../mod.ts";
import { joinAll, sharedInts, until } from "./_sync.ts";

test("RLock is re-entrant in its owner thread and free after as many releases", () => {
  const lock = new RLock();
  assert.equal(lock.acquireSync(), true);
  assert.equal(lock.acquireSync(), true);
  assert.equal(lock.tryAcquire(), true);
  lock.release();
  lock.release();
  assert.equal(lock.locked(), true);
  lock.release();
  assert.equal(lock.locked(), false);
});

test("RLock.release() without holding it throws ThreadStateError", () => {
  const lock = new RLock();
  assert.throws(() => lock.release(), ThreadStateError);
  lock.acquireSync();
  lock.acquireSync();
  lock.release();
  lock.acquireSync();
  lock.release();
  lock.release();
  assert.throws(() => lock.release(), /Cannot release an unlocked rlock/);
});

test("RLock.release() by another thread throws ThreadStateError and changes nothing", async () => {
  const lock = new RLock();
  const flags = sharedInts(2);
  const owner = new Thread({
    target: (lock: RLock, flags: Int32Array) => {
      lock.acquireSync();
      lock.acquireSync();
      Atomics.store(flags, 0, 1);
      Atomics.wait(flags, 1, 0);
      lock.release();
      lock.release();
      return lock.locked();
    },
    args: [lock, flags],
  }).start();
  await until(() => Atomics.load(flags, 0) === 1, "the thread holds the lock");
  assert.equal(lock.locked(), true);
  assert.throws(
    () => lock.release(),
    (error: Error) =>
      error instanceof ThreadStateError &&
      error.message.includes(`held by another thread (ident ${owner.ident})`),
  );
  assert.match(String(lock), new RegExp(`owner=${owner.ident} count=2`));
  assert.equal(lock.tryAcquire(), false);
  assert.equal(lock.acquireSync({ timeout: 10 }), false);
  assert.equal(await lock.acquire({ timeout: 10 }), false);
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
  assert.equal(await owner.join(), false);
  assert.equal(lock.tryAcquire(), true);
  lock.release();
});

test("RLock.locked() and toString() show another thread's hold", async () => {
  const lock = new RLock();
  assert.match(String(lock), /^<unlocked RLock object owner=0 count=0 at 0x/);
  lock.acquireSync();
  lock.acquireSync();
  assert.match(
    String(lock),
    new RegExp(`^<locked RLock object owner=${getIdent()} count=2 at 0x`),
  );
  const seen = await new Thread({
    target: (lock: RLock) => [String(lock), lock.locked()],
    args: [lock],
  }).start().join();
  assert.match(seen[0] as string, /<locked RLock object owner=1 count=2/);
  assert.equal(seen[1], true);
  lock.release();
  lock.release();
  const holder = new Thread({
    target: (lock: RLock) => {
      const before = lock.locked();
      lock.acquireSync();
      return before;
    },
    args: [lock],
  }).start();
  assert.equal(await holder.join(), false);
  assert.equal(lock.locked(), true);
});

test("RLock async acquire re-enters in the owner thread and waits for other threads", async () => {
  const lock = new RLock();
  assert.equal(await lock.acquire(), true);
  assert.equal(await lock.acquire({ timeout: 0 }), true);
  const flags = sharedInts(1);
  const other = new Thread({
    target: async (lock: RLock, flags: Int32Array) => {
      Atomics.store(flags, 0, 1);
      const got = await lock.acquire();
      const count = String(lock).match(/count=(\d+)/)![1];
      lock.release();
      return [got, count];
    },
    args: [lock, flags],
  }).start();
  await until(() => Atomics.load(flags, 0) === 1, "the thread started");
  lock.release();
  assert.equal(lock.locked(), true);
  lock.release();
  assert.deepEqual(await other.join(), [true, "1"]);
  assert.equal(lock.locked(), false);
});

test("RLock.lockSync() nests with using and lock() throws TimeoutError in time", async () => {
  const lock = new RLock();
  {
    using _outer = lock.lockSync();
    {
      using _inner = lock.lockSync();
      assert.match(String(lock), /count=2/);
    }
    assert.match(String(lock), /count=1/);
  }
  assert.equal(lock.locked(), false);
  assert.equal(await lock.withLock(() => lock.withLock(() => "deep")), "deep");
  assert.equal(lock.locked(), false);

  const flags = sharedInts(2);
  const holder = new Thread({
    target: (lock: RLock, flags: Int32Array) => {
      lock.acquireSync();
      Atomics.store(flags, 0, 1);
      Atomics.wait(flags, 1, 0);
      lock.release();
    },
    args: [lock, flags],
  }).start();
  await until(() => Atomics.load(flags, 0) === 1, "the thread holds the lock");
  assert.throws(() => lock.lockSync({ timeout: 5 }), TimeoutError);
  await assert.rejects(lock.lock({ timeout: 5 }), TimeoutError);
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
  await holder.join();
});

test("RLock rejects bad options at once", () => {
  const lock = new RLock();
  assert.throws(() => lock.acquireSync({ timeout: -1 }), RangeError);
  assert.throws(() => lock.acquire({ timeout: NaN }), RangeError);
  assert.throws(
    () =>
      lock.acquire({
        timeout: null as unknown as number,
        blocking: 1 as unknown as boolean,
      }),
    TypeError,
  );
  assert.throws(
    () => lock.withLock(null as unknown as () => void),
    TypeError,
  );
  assert.equal(lock.locked(), false);
});

test("RLock keeps a counter exact across nested acquires in 4 threads and the main thread", async () => {
  const lock = new RLock();
  const counter = sharedInts(2);
  const workers = [0, 1, 2, 3].map((i) =>
    new Thread({
      target: async (lock: RLock, counter: Int32Array, useAsync: boolean) => {
        const add = (depth: number): void => {
          lock.acquireSync();
          try {
            counter[0] = counter[0] + 1;
            if (depth > 0) add(depth - 1);
          } finally {
            lock.release();
          }
        };
        for (let i = 0; i < 10_000; i++) {
          if (useAsync) {
            await lock.acquire();
            add(1);
            lock.release();
          } else add(2);
        }
        return lock.locked() ? "still locked?" : "ok";
      },
      args: [lock, counter, i === 3],
    }).start()
  );
  for (let i = 0; i < 2_000; i++) {
    await lock.withLock(async () => {
      counter[0] = counter[0] + 1;
      if (i % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      lock.acquireSync();
      counter[0] = counter[0] + 1;
      lock.release();
    });
  }
  const results = await joinAll(workers);
  assert.equal(results.length, 4);
  assert.equal(counter[0], 4 * 10_000 * 3 - 10_000 + 2_000 * 2);
  assert.equal(lock.locked(), false);
});
