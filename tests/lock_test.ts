import assert from "node:assert/strict";
import { test } from "node:test";
import { Lock, Thread, ThreadStateError, TimeoutError } from "../mod.ts";
import { joinAll, sharedInts, until } from "./_sync.ts";

test("Lock.acquireSync() and release() switch locked()", () => {
  const lock = new Lock();
  assert.equal(lock.locked(), false);
  assert.equal(lock.acquireSync(), true);
  assert.equal(lock.locked(), true);
  lock.release();
  assert.equal(lock.locked(), false);
});

test("Lock tries once with tryAcquire(), timeout 0 and blocking: false", async () => {
  const lock = new Lock();
  assert.equal(lock.tryAcquire(), true);
  assert.equal(lock.tryAcquire(), false);
  assert.equal(lock.acquireSync({ timeout: 0 }), false);
  assert.equal(lock.acquireSync({ blocking: false }), false);
  assert.equal(await lock.acquire({ timeout: 0 }), false);
  assert.equal(await lock.acquire({ blocking: false }), false);
  lock.release();
  assert.equal(lock.acquireSync({ blocking: false }), true);
  lock.release();
  assert.equal(await lock.acquire({ blocking: false }), true);
  lock.release();
});

test("Lock.release() of an unlocked lock throws ThreadStateError", () => {
  const lock = new Lock();
  assert.throws(() => lock.release(), ThreadStateError);
  lock.acquireSync();
  lock.release();
  assert.throws(() => lock.release(), /Cannot release an unlocked lock/);
  assert.equal(lock.locked(), false);
});

test("Lock rejects bad options at once, even when the lock is free", () => {
  const lock = new Lock();
  assert.throws(() => lock.acquireSync({ timeout: -1 }), RangeError);
  assert.throws(() => lock.acquireSync({ timeout: NaN }), RangeError);
  assert.throws(
    () => lock.acquireSync({ timeout: "5" as unknown as number }),
    TypeError,
  );
  assert.throws(() => lock.acquire({ timeout: -100 }), RangeError);
  assert.throws(
    () => lock.acquire(5 as unknown as { timeout: number }),
    TypeError,
  );
  assert.throws(
    () => lock.acquire({ blocking: 0 as unknown as boolean }),
    TypeError,
  );
  assert.throws(
    () => lock.acquireSync({ blocking: false, timeout: 1 }),
    /'timeout' cannot be combined with 'blocking: false'/,
  );
  assert.throws(
    () => lock.acquire({ signal: "stop" as unknown as AbortSignal }),
    TypeError,
  );
  assert.throws(() => lock.lock({ timeout: -1 }), RangeError);
  assert.throws(() => lock.lockSync({ timeout: -1 }), RangeError);
  assert.throws(
    () => lock.withLock(42 as unknown as () => void),
    /'fn' must be a function: received 42 \(number\)/,
  );
  assert.match(
    (() => {
      try {
        lock.acquireSync({ timeout: -1 });
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })(),
    /^Cannot acquire lock as 'timeout' must be a non-negative number of milliseconds: received -1 \(number\)$/,
  );
  assert.equal(lock.locked(), false);
  assert.equal(lock.acquireSync({ timeout: Infinity }), true);
  lock.release();
});

test("Lock.acquireSync() returns false once the timeout passes, and the lock stays usable", () => {
  const lock = new Lock();
  lock.acquireSync();
  const start = performance.now();
  assert.equal(lock.acquireSync({ timeout: 30 }), false);
  assert.ok(performance.now() - start >= 29);
  lock.release();
  assert.equal(lock.locked(), false);
  assert.equal(lock.acquireSync({ blocking: false }), true);
  lock.release();
});

test("Lock.acquire() resolves false once the timeout passes", async () => {
  const lock = new Lock();
  await lock.acquire();
  const start = performance.now();
  assert.equal(await lock.acquire({ timeout: 30 }), false);
  assert.ok(performance.now() - start >= 29);
  lock.release();
  assert.equal(await lock.acquire({ timeout: 30 }), true);
  lock.release();
});

test("Lock.acquire() rejects with the signal's reason and takes nothing", async () => {
  const lock = new Lock();
  const aborted = new AbortController();
  aborted.abort(new Error("already"));
  await assert.rejects(lock.acquire({ signal: aborted.signal }), /already/);
  assert.equal(lock.locked(), false);

  lock.acquireSync();
  const controller = new AbortController();
  const pending = lock.acquire({ signal: controller.signal });
  const other = lock.acquire();
  controller.abort(new Error("gave up"));
  await assert.rejects(pending, /gave up/);
  lock.release();
  // The remaining waiter still gets the lock: the abort cost it no wake-up.
  assert.equal(await other, true);
  lock.release();
  assert.equal(lock.locked(), false);
});

test("Lock is handed to a waiting thread and may be released by another thread", async () => {
  const lock = new Lock();
  const flags = sharedInts(2);
  lock.acquireSync();
  const waiter = new Thread({
    target: (lock: Lock, flags: Int32Array) => {
      const tried = lock.tryAcquire();
      Atomics.store(flags, 0, 1);
      const got = lock.acquireSync();
      Atomics.store(flags, 1, 1);
      return [tried, got];
    },
    args: [lock, flags],
  }).start();
  await until(() => Atomics.load(flags, 0) === 1, "the thread tried the lock");
  assert.equal(Atomics.load(flags, 1), 0);
  lock.release();
  assert.deepEqual(await waiter.join(), [false, true]);
  // The thread ended holding the lock; another thread releases it.
  assert.equal(lock.locked(), true);
  const releaser = new Thread({
    target: (lock: Lock) => lock.release(),
    args: [lock],
  }).start();
  await releaser.join();
  assert.equal(lock.tryAcquire(), true);
  lock.release();
});

test("Lock reaches a thread nested in args and as a field of a Thread subclass", async () => {
  const lock = new Lock();
  const nested = new Thread({
    target: (box: { deep: { locks: Lock[] } }) => {
      box.deep.locks[0].acquireSync();
      return box.deep.locks[0].locked();
    },
    args: [{ deep: { locks: [lock] } }],
  }).start();
  assert.equal(await nested.join(), true);
  assert.equal(lock.locked(), true);

  class Releaser extends Thread<string> {
    guard = lock;
    override run(): string {
      this.guard.release();
      return String(this.guard);
    }
  }
  assert.match(await new Releaser().start().join(), /^<unlocked Lock/);
  assert.equal(lock.locked(), false);
});

test("Lock.lockSync() and lock() release at the end of a using block, also on throw", async () => {
  const lock = new Lock();
  {
    using _held = lock.lockSync();
    assert.equal(lock.locked(), true);
  }
  assert.equal(lock.locked(), false);
  assert.throws(() => {
    using _held = lock.lockSync();
    throw new TypeError("inside");
  }, TypeError);
  assert.equal(lock.locked(), false);
  {
    using _held = await lock.lock();
    assert.equal(lock.locked(), true);
  }
  assert.equal(lock.locked(), false);
  const held = lock.lockSync();
  held[Symbol.dispose]();
  held[Symbol.dispose](); // a second dispose does nothing
  assert.equal(lock.locked(), false);
});

test("Lock.lockSync() and lock() throw TimeoutError when not acquired in time", async () => {
  const lock = new Lock();
  lock.acquireSync();
  assert.throws(() => lock.lockSync({ timeout: 0 }), TimeoutError);
  await assert.rejects(lock.lock({ timeout: 5 }), TimeoutError);
  lock.release();
});

test("Lock.withLock() returns the result and releases when fn throws", async () => {
  const lock = new Lock();
  assert.equal(
    await lock.withLock(async () => {
      assert.equal(lock.locked(), true);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return "done";
    }),
    "done",
  );
  assert.equal(lock.locked(), false);
  await assert.rejects(
    lock.withLock(() => {
      throw new RangeError("boom");
    }),
    RangeError,
  );
  assert.equal(lock.locked(), false);
});

test("Lock.toString() reads like Python's repr", () => {
  const lock = new Lock();
  assert.match(String(lock), /^<unlocked Lock object at 0x[0-9a-f]{8}>$/);
  lock.acquireSync();
  assert.match(String(lock), /^<locked Lock object at 0x[0-9a-f]{8}>$/);
});

function countWithThreads(
  threads: number,
  perThread: number,
  locked: boolean,
): Promise<number> {
  const lock = new Lock();
  // [counter, ready, go, scratch]
  const cells = sharedInts(4);
  const workers = Array.from(
    { length: threads },
    () =>
      new Thread({
        target: (
          lock: Lock,
          cells: Int32Array,
          n: number,
          locked: boolean,
        ) => {
          Atomics.add(cells, 1, 1);
          Atomics.wait(cells, 2, 0);
          for (let i = 0; i < n; i++) {
            if (locked) lock.acquireSync();
            // A read-modify-write that is not atomic, with a window in the middle.
            const value = Atomics.load(cells, 0);
            Atomics.load(cells, 3);
            Atomics.load(cells, 3);
            Atomics.store(cells, 0, value + 1);
            if (locked) lock.release();
          }
        },
        args: [lock, cells, perThread, locked],
      }).start(),
  );
  return (async () => {
    await until(() => Atomics.load(cells, 1) === threads, "threads are ready");
    Atomics.store(cells, 2, 1);
    Atomics.notify(cells, 2);
    await joinAll(workers);
    assert.equal(lock.locked(), false);
    return Atomics.load(cells, 0);
  })();
}

test("Lock keeps a shared counter exact: 4 threads x 100,000 increments", async () => {
  assert.equal(await countWithThreads(4, 100_000, true), 400_000);
});

test("The same counter without the Lock loses updates, so the test above can fail", async () => {
  let lowest = Infinity;
  for (let round = 0; round < 5 && lowest === Infinity; round++) {
    const total = await countWithThreads(4, 100_000, false);
    if (total < 400_000) lowest = total;
  }
  assert.ok(lowest < 400_000, "4 unlocked threads never lost an update");
});

test("Lock mixes async acquire on the main thread with acquireSync in workers", async () => {
  const lock = new Lock();
  const counter = sharedInts(1);
  const workers = [0, 1].map(() =>
    new Thread({
      target: (lock: Lock, counter: Int32Array) => {
        for (let i = 0; i < 20_000; i++) {
          lock.acquireSync();
          counter[0] = counter[0] + 1;
          lock.release();
        }
      },
      args: [lock, counter],
    }).start()
  );
  const asyncWorker = new Thread({
    target: async (lock: Lock, counter: Int32Array) => {
      for (let i = 0; i < 5_000; i++) {
        await lock.acquire();
        counter[0] = counter[0] + 1;
        lock.release();
      }
    },
    args: [lock, counter],
  }).start();
  for (let i = 0; i < 5_000; i++) {
    await lock.acquire();
    counter[0] = counter[0] + 1;
    if (i % 1000 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    lock.release();
  }
  await joinAll([...workers, asyncWorker]);
  assert.equal(counter[0], 50_000);
  assert.equal(lock.locked(), false);
});

test("Lock stays consistent through timed-out and aborted acquires under contention", async () => {
  const lock = new Lock();
  // [counter, successes, stop]
  const cells = sharedInts(3);
  const workers = [0, 1, 2].map(() =>
    new Thread({
      target: async (lock: Lock, cells: Int32Array) => {
        let round = 0;
        while (Atomics.load(cells, 2) === 0) {
          round++;
          const got = round % 2 === 0
            ? lock.acquireSync({ timeout: round % 3 })
            : await lock.acquire({
              timeout: round % 5 === 0 ? undefined : 1,
              signal: AbortSignal.timeout(1),
            }).catch(() => false);
          if (!got) continue;
          cells[0] = cells[0] + 1;
          Atomics.add(cells, 1, 1);
          lock.release();
        }
      },
      args: [lock, cells],
    }).start()
  );
  let mine = 0;
  for (let i = 0; i < 300; i++) {
    const controller = new AbortController();
    const attempt = lock.acquire({ signal: controller.signal, timeout: 2 });
    if (i % 3 === 0) controller.abort(new Error("abort"));
    const got = await attempt.catch(() => false);
    if (got) {
      cells[0] = cells[0] + 1;
      mine++;
      lock.release();
    }
  }
  Atomics.store(cells, 2, 1);
  await joinAll(workers);
  assert.equal(cells[0], Atomics.load(cells, 1) + mine);
  assert.equal(lock.locked(), false);
  assert.equal(lock.acquireSync({ timeout: 0 }), true);
  lock.release();
});
