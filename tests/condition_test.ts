import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Condition,
  Lock,
  RLock,
  Thread,
  ThreadStateError,
  TimeoutError,
} from "../mod.ts";
import { joinAll, sharedInts, until } from "./_sync.ts";

test("Condition uses an RLock by default, or the lock it is given", async () => {
  let cond = new Condition();
  cond.acquireSync();
  cond.acquireSync();
  cond.release();
  cond.release();
  assert.equal(cond.locked(), false);
  const lock = new Lock();
  cond = new Condition(lock);
  cond.acquireSync();
  assert.equal(lock.tryAcquire(), false);
  cond.release();
  assert.equal(lock.tryAcquire(), true);
  assert.equal(cond.tryAcquire(), false);
  assert.equal(await cond.acquire({ timeout: 0 }), false);
  assert.throws(() => cond.lockSync({ timeout: 0 }), TimeoutError);
  lock.release();
  {
    using _held = cond.lockSync();
    assert.equal(lock.tryAcquire(), false);
  }
  assert.equal(await cond.withLock(() => lock.locked()), true);
  assert.equal(lock.locked(), false);
  const rlock = new RLock();
  const over = new Condition(rlock);
  assert.equal(await over.acquire(), true);
  assert.equal(rlock.locked(), true);
  over.release();
});

test("Condition rejects a lock it cannot use and a bad notify count", () => {
  assert.throws(
    () => new Condition({} as Lock),
    /Cannot create condition as 'lock' must be a Lock or an RLock: received \[object Object\] \(object\)/,
  );
  const cond = new Condition();
  cond.acquireSync();
  assert.throws(() => cond.notify(-1), RangeError);
  assert.throws(() => cond.notify(1.5), RangeError);
  assert.throws(() => cond.notify("2" as unknown as number), TypeError);
  assert.throws(() => cond.waitSync({ timeout: -1 }), RangeError);
  assert.throws(() => cond.wait({ timeout: NaN }), RangeError);
  assert.throws(() => cond.waitFor(5 as unknown as () => boolean), TypeError);
  cond.notify(0);
  cond.release();
});

test("Condition wait and notify without holding the lock throw ThreadStateError at once", () => {
  const cond = new Condition();
  assert.throws(() => cond.waitSync(), ThreadStateError);
  assert.throws(() => cond.wait(), ThreadStateError);
  assert.throws(() => cond.waitFor(() => true), ThreadStateError);
  assert.throws(() => cond.waitForSync(() => true), ThreadStateError);
  assert.throws(() => cond.notify(), /lock is not held/);
  assert.throws(() => cond.notifyAll(), ThreadStateError);
});

test("Condition.wait() and waitSync() return false on timeout, holding the lock again", async () => {
  const cond = new Condition();
  cond.acquireSync();
  let start = performance.now();
  assert.equal(cond.waitSync({ timeout: 20 }), false);
  assert.ok(performance.now() - start >= 19);
  assert.match(String(cond), /<locked RLock object owner=1 count=1/);
  start = performance.now();
  assert.equal(await cond.wait({ timeout: 20 }), false);
  assert.ok(performance.now() - start >= 19);
  assert.equal(await cond.wait({ timeout: 0 }), false);
  assert.equal(cond.waitSync({ timeout: 0 }), false);
  assert.match(String(cond), /<locked RLock object owner=1 count=1 .*>, 0\)>$/);
  cond.release();
  assert.equal(cond.locked(), false);
});

test("Condition.wait() on an RLock held 3 times releases every level and restores them", async () => {
  const lock = new RLock();
  const cond = new Condition(lock);
  const flags = sharedInts(1);
  const waiter = new Thread({
    target: (cond: Condition, lock: RLock, flags: Int32Array) => {
      lock.acquireSync();
      lock.acquireSync();
      lock.acquireSync();
      Atomics.store(flags, 0, 1);
      const notified = cond.waitSync({ timeout: 30_000 });
      const after = String(lock);
      lock.release();
      lock.release();
      lock.release();
      return [notified, after, lock.locked()];
    },
    args: [cond, lock, flags],
  }).start();
  await until(() => Atomics.load(flags, 0) === 1, "the thread holds the lock");
  // Acquirable only once the waiter released all three levels.
  assert.equal(await lock.acquire({ timeout: 30_000 }), true);
  cond.notify();
  lock.release();
  const [notified, after, locked] = await waiter.join();
  assert.equal(notified, true);
  assert.match(after as string, new RegExp(`owner=${waiter.ident} count=3`));
  assert.equal(locked, false);
});

/**
 * CPython's `_check_notify`: five waiters (three blocking, two async), woken
 * 3, then 5 (in their first or second wait), then all.
 */
async function checkNotify(cond: Condition): Promise<void> {
  // [phase, registrations, taken slots x2, filled slots x2, results x5 x2]
  const cells = sharedInts(16);
  const waiters = Array.from({ length: 5 }, (_, i) =>
    new Thread({
      target: async (cond: Condition, cells: Int32Array, useAsync: boolean) => {
        for (const round of [0, 1]) {
          await cond.acquire();
          Atomics.add(cells, 1, 1);
          const result = useAsync
            ? await cond.wait({ timeout: 30_000 })
            : cond.waitSync({ timeout: 30_000 });
          cond.release();
          const slot = Atomics.add(cells, 2 + round, 1);
          Atomics.store(
            cells,
            6 + round * 5 + slot,
            Atomics.load(cells, 0) * 2 + (result ? 1 : 0),
          );
          Atomics.add(cells, 4 + round, 1);
        }
      },
      args: [cond, cells, i >= 3],
    }).start());
  const registered = (n: number) =>
    until(() => {
      if (!cond.tryAcquire()) return false;
      const enough = Atomics.load(cells, 1) >= n;
      cond.release();
      return enough;
    }, `${n} waits started`);
  const results = (round: number) =>
    Array.from(
      { length: Atomics.load(cells, 4 + round) },
      (_, i) => Atomics.load(cells, 6 + round * 5 + i),
    ).map((code) => [code % 2 === 1, code >> 1]);

  await registered(5);
  await cond.acquire();
  cond.notify(3);
  Atomics.store(cells, 0, 1);
  cond.release();
  await until(() => Atomics.load(cells, 4) >= 3, "3 waiters woke");
  assert.deepEqual(results(0), Array(3).fill([true, 1]));
  assert.deepEqual(results(1), []);

  await registered(8);
  await cond.acquire();
  cond.notify(5);
  Atomics.store(cells, 0, 2);
  cond.release();
  await until(
    () => Atomics.load(cells, 4) + Atomics.load(cells, 5) >= 8,
    "5 more waiters woke",
  );
  assert.deepEqual(results(0), [
    ...Array(3).fill([true, 1]),
    ...Array(2).fill([true, 2]),
  ]);
  assert.deepEqual(results(1), Array(3).fill([true, 2]));

  await registered(10);
  cond.acquireSync();
  cond.notifyAll();
  Atomics.store(cells, 0, 3);
  cond.release();
  await joinAll(waiters);
  assert.deepEqual(results(1), [
    ...Array(3).fill([true, 2]),
    ...Array(2).fill([true, 3]),
  ]);
  assert.match(String(cond), /, 0\)>$/);
}

test("Condition.notify(n) wakes exactly n waiters; notifyAll() wakes the rest (RLock)", async () => {
  const cond = new Condition();
  await checkNotify(cond);
  await checkNotify(cond);
});

test("Condition.notify(n) wakes exactly n waiters over a Lock", async () => {
  await checkNotify(new Condition(new Lock()));
});

test("Condition.waitForSync() returns the predicate's value once it holds, or on timeout", async () => {
  const cond = new Condition();
  const state = sharedInts(1);
  const waiter = new Thread({
    target: (cond: Condition, state: Int32Array) => {
      cond.acquireSync();
      const reached = cond.waitForSync(() => state[0] === 4 && "four");
      const seen = state[0];
      const missed = cond.waitForSync(() => state[0] === 9, { timeout: 20 });
      cond.release();
      return [reached, seen, missed];
    },
    args: [cond, state],
  }).start();
  for (let i = 0; i < 4; i++) {
    await cond.withLock(() => {
      state[0] = state[0] + 1;
      cond.notify();
    });
  }
  assert.deepEqual(await waiter.join(), ["four", 4, false]);
});

test("Condition.waitFor() waits without blocking the event loop", async () => {
  const cond = new Condition(new Lock());
  const state = sharedInts(1);
  const setter = new Thread({
    target: (cond: Condition, state: Int32Array) => {
      for (let i = 0; i < 3; i++) {
        cond.acquireSync();
        state[0] = state[0] + 1;
        cond.notifyAll();
        cond.release();
      }
    },
    args: [cond, state],
  });
  await cond.acquire();
  setter.start();
  assert.equal(
    await cond.waitFor(() => state[0] === 3, { timeout: 30_000 }),
    true,
  );
  assert.equal(
    await cond.waitFor(() => state[0] === 4, { timeout: 10 }),
    false,
  );
  assert.equal(cond.locked(), true);
  cond.release();
  await setter.join();
});

test("Condition.wait() aborted by its signal rejects holding the lock and passes on its notification", async () => {
  const cond = new Condition(new Lock());
  const controller = new AbortController();
  await cond.acquire();
  const aborted = cond.wait({ signal: controller.signal });
  await cond.acquire();
  const other = cond.wait({ timeout: 30_000 });
  await cond.acquire();
  assert.match(String(cond), /, 2\)>$/);
  cond.notify(1);
  controller.abort(new Error("cancelled"));
  cond.release();
  await assert.rejects(aborted, /cancelled/);
  // The aborted wait holds the lock again, like any wait that ends.
  assert.equal(cond.locked(), true);
  cond.release();
  assert.equal(await other, true);
  assert.match(String(cond), /, 0\)>$/);
  cond.release();
  const gone = new AbortController();
  gone.abort(new Error("before"));
  await cond.acquire();
  await assert.rejects(cond.wait({ signal: gone.signal }), /before/);
  assert.equal(cond.locked(), true);
  cond.release();
});

test("Condition builds a bounded buffer that 2 producers and 3 consumers share", async () => {
  const lock = new Lock();
  const notFull = new Condition(lock);
  const notEmpty = new Condition(lock);
  const capacity = 8;
  // [head, tail, size, highest size, ...ring]
  const buffer = sharedInts(4 + capacity);
  const produce = (
    notFull: Condition,
    notEmpty: Condition,
    buffer: Int32Array,
    capacity: number,
    count: number,
  ) => {
    for (let item = 1; item <= count; item++) {
      notFull.acquireSync();
      while (buffer[2] === capacity) notFull.waitSync();
      buffer[4 + buffer[1]] = item;
      buffer[1] = (buffer[1] + 1) % capacity;
      buffer[2] = buffer[2] + 1;
      if (buffer[2] > buffer[3]) buffer[3] = buffer[2];
      notEmpty.notify();
      notFull.release();
    }
  };
  const producers = [0, 1].map(() =>
    new Thread({
      target: produce,
      args: [notFull, notEmpty, buffer, capacity, 5_000],
    }).start()
  );
  const consumer = (useAsync: boolean) =>
    new Thread({
      target: async (
        notFull: Condition,
        notEmpty: Condition,
        buffer: Int32Array,
        capacity: number,
        useAsync: boolean,
      ) => {
        let sum = 0;
        let count = 0;
        for (;;) {
          if (useAsync) {
            await notEmpty.acquire();
            await notEmpty.waitFor(() => buffer[2] > 0);
          } else {
            notEmpty.acquireSync();
            notEmpty.waitForSync(() => buffer[2] > 0);
          }
          const item = buffer[4 + buffer[0]];
          buffer[0] = (buffer[0] + 1) % capacity;
          buffer[2] = buffer[2] - 1;
          notFull.notify();
          notEmpty.release();
          if (item === -1) return [sum, count];
          sum += item;
          count++;
        }
      },
      args: [notFull, notEmpty, buffer, capacity, useAsync],
    }).start();
  const consumers = [consumer(false), consumer(false), consumer(true)];
  await joinAll(producers);
  // One end marker per consumer, put by the main thread with async waits.
  for (let i = 0; i < consumers.length; i++) {
    await notFull.acquire();
    await notFull.waitFor(() => buffer[2] < capacity);
    buffer[4 + buffer[1]] = -1;
    buffer[1] = (buffer[1] + 1) % capacity;
    buffer[2] = buffer[2] + 1;
    notEmpty.notify();
    notFull.release();
  }
  const totals = (await joinAll(consumers)) as number[][];
  const sum = totals.reduce((a, [s]) => a + s, 0);
  const count = totals.reduce((a, [, c]) => a + c, 0);
  assert.equal(count, 10_000);
  assert.equal(sum, 2 * (5_000 * 5_001) / 2);
  assert.ok(buffer[3] <= capacity);
  assert.equal(buffer[2], 0);
  assert.equal(lock.locked(), false);
});

test("Condition travels as a subclass field with its lock, and toString() shows waiters", async () => {
  const cond = new Condition();
  assert.match(
    String(cond),
    /^<Condition\(<unlocked RLock object owner=0 count=0 at 0x[0-9a-f]+>, 0\)>$/,
  );
  const flags = sharedInts(1);
  class Waiter extends Thread<boolean> {
    cond = cond;
    flags = flags;
    override run(): boolean {
      this.cond.acquireSync();
      Atomics.store(this.flags, 0, 1);
      const notified = this.cond.waitSync({ timeout: 30_000 });
      this.cond.release();
      return notified;
    }
  }
  const waiter = new Waiter().start();
  await until(() => Atomics.load(flags, 0) === 1, "the thread holds the lock");
  await cond.acquire();
  assert.match(String(cond), /, 1\)>$/);
  cond.notifyAll();
  assert.match(String(cond), /, 0\)>$/);
  cond.release();
  assert.equal(await waiter.join(), true);
});
