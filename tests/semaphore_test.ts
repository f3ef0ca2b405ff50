import assert from "node:assert/strict";
import { test } from "node:test";
import { BoundedSemaphore, Semaphore, Thread, TimeoutError } from "../mod.ts";
import { joinAll, sharedInts, until } from "./_sync.ts";

test("Semaphore counts permits: value, tryAcquire() and release(n)", async () => {
  const sem = new Semaphore(2);
  assert.equal(sem.value, 2);
  assert.equal(sem.tryAcquire(), true);
  assert.equal(sem.acquireSync(), true);
  assert.equal(sem.value, 0);
  assert.equal(sem.tryAcquire(), false);
  assert.equal(sem.acquireSync({ blocking: false }), false);
  assert.equal(await sem.acquire({ timeout: 0 }), false);
  sem.release();
  assert.equal(await sem.acquire(), true);
  sem.release(2);
  assert.equal(sem.value, 2);
  // An unbounded semaphore may go above its initial value.
  sem.release(5);
  assert.equal(sem.value, 7);
  assert.equal(new Semaphore().value, 1);
  assert.equal(new Semaphore(0).tryAcquire(), false);
});

test("Semaphore rejects a bad initial value or release count at once", () => {
  assert.throws(() => new Semaphore(-1), RangeError);
  assert.throws(() => new Semaphore(-Number.MAX_SAFE_INTEGER), RangeError);
  assert.throws(() => new Semaphore(1.5), RangeError);
  assert.throws(
    () => new Semaphore("2" as unknown as number),
    /^TypeError: Cannot create semaphore as 'value' must be a non-negative integer: received "2" \(string\)$/,
  );
  assert.throws(
    () => new Semaphore(-1),
    /Cannot create semaphore as 'value' must be a non-negative integer: received -1 \(number\)/,
  );
  assert.throws(() => new BoundedSemaphore(-1), /bounded semaphore/);
  const sem = new Semaphore(1);
  assert.throws(() => sem.release(0), RangeError);
  assert.throws(() => sem.release(1.5), RangeError);
  assert.throws(() => sem.release("1" as unknown as number), TypeError);
  assert.throws(() => sem.acquireSync({ timeout: -1 }), RangeError);
  assert.throws(() => sem.acquire({ timeout: NaN }), RangeError);
  assert.throws(
    () => sem.acquireSync({ blocking: false, timeout: 1 }),
    RangeError,
  );
  assert.equal(sem.value, 1);
});

test("BoundedSemaphore.release() above the initial value throws RangeError", () => {
  const sem = new BoundedSemaphore();
  assert.ok(sem instanceof Semaphore);
  assert.throws(() => sem.release(), RangeError);
  sem.acquireSync();
  sem.release();
  assert.throws(
    () => sem.release(),
    /Cannot release bounded semaphore as it would hold 2 permits, more than its initial value 1/,
  );
  assert.equal(sem.value, 1);
  const three = new BoundedSemaphore(3);
  three.acquireSync();
  assert.throws(() => three.release(2), RangeError);
  assert.equal(three.value, 2);
  three.release();
  assert.equal(three.value, 3);
});

test("Semaphore and BoundedSemaphore toString() read like Python's repr", () => {
  const sem = new Semaphore(3);
  assert.match(String(sem), /^<threading\.Semaphore at 0x[0-9a-f]+: value=3>$/);
  sem.acquireSync();
  assert.match(String(sem), /: value=2>$/);
  sem.release(2);
  assert.match(String(sem), /: value=4>$/);
  const bounded = new BoundedSemaphore(3);
  assert.match(
    String(bounded),
    /^<threading\.BoundedSemaphore at 0x[0-9a-f]+: value=3\/3>$/,
  );
  bounded.acquireSync();
  assert.match(String(bounded), /: value=2\/3>$/);
});

test("Semaphore acquires with timeouts return false once the time passed", async () => {
  const sem = new Semaphore(2);
  assert.equal(sem.acquireSync({ timeout: 5 }), true);
  assert.equal(await sem.acquire({ timeout: 5 }), true);
  assert.equal(sem.acquireSync({ timeout: 5 }), false);
  sem.release();
  assert.equal(sem.acquireSync({ timeout: 5 }), true);
  const start = performance.now();
  assert.equal(await sem.acquire({ timeout: 30 }), false);
  assert.ok(performance.now() - start >= 29);
  assert.equal(sem.value, 0);
});

test("Semaphore.acquire() aborted by its signal takes no permit and strands nobody", async () => {
  const sem = new Semaphore(0);
  const controller = new AbortController();
  const aborted = sem.acquire({ signal: controller.signal });
  const waiting = sem.acquire();
  controller.abort(new Error("no longer needed"));
  await assert.rejects(aborted, /no longer needed/);
  sem.release();
  assert.equal(await waiting, true);
  assert.equal(sem.value, 0);
  const gone = new AbortController();
  gone.abort();
  await assert.rejects(new Semaphore(1).acquire({ signal: gone.signal }));
});

test("Semaphore.lock(), lockSync() and withLock() hold one permit", async () => {
  const sem = new Semaphore(2);
  const inner = () => {
    using _outer = sem.lockSync();
    assert.equal(sem.tryAcquire(), true);
    sem.release();
    using _inner = sem.lockSync();
    assert.equal(sem.tryAcquire(), false);
    throw new TypeError("inside");
  };
  assert.throws(inner, TypeError);
  assert.equal(sem.value, 2);
  {
    using _permit = await sem.lock();
    assert.equal(sem.value, 1);
  }
  assert.equal(await sem.withLock(() => sem.value), 1);
  assert.equal(sem.value, 2);
  sem.acquireSync();
  sem.acquireSync();
  assert.throws(() => sem.lockSync({ timeout: 0 }), TimeoutError);
  await assert.rejects(sem.lock({ timeout: 1 }), TimeoutError);
});

test("Semaphore releases wake exactly as many threads as permits (Python's multirelease)", async () => {
  const sem = new Semaphore(7);
  sem.acquireSync();
  // [phase, acquisitions, phase counts 0..3]
  const cells = sharedInts(6);
  const workers = Array.from({ length: 10 }, () =>
    new Thread({
      target: (sem: Semaphore, cells: Int32Array) => {
        for (let i = 0; i < 2; i++) {
          sem.acquireSync();
          Atomics.add(cells, 2 + Atomics.load(cells, 0), 1);
          Atomics.add(cells, 1, 1);
        }
      },
      args: [sem, cells],
    }).start());
  const phases = () => [2, 3, 4, 5].map((i) => Atomics.load(cells, i));
  await until(() => Atomics.load(cells, 1) === 6, "6 permits are taken");
  assert.deepEqual(phases(), [6, 0, 0, 0]);
  Atomics.store(cells, 0, 1);
  sem.release(7);
  await until(() => Atomics.load(cells, 1) === 13, "7 more are taken");
  assert.deepEqual(phases(), [6, 7, 0, 0]);
  Atomics.store(cells, 0, 2);
  for (let i = 0; i < 6; i++) sem.release();
  await until(() => Atomics.load(cells, 1) === 19, "6 more are taken");
  assert.deepEqual(phases(), [6, 7, 6, 0]);
  assert.equal(sem.tryAcquire(), false);
  Atomics.store(cells, 0, 3);
  sem.release();
  await joinAll(workers);
  assert.deepEqual(phases(), [6, 7, 6, 1]);
  assert.equal(sem.value, 0);
});

test("Semaphore.tryAcquire() from 5 threads takes exactly the permits left", async () => {
  const sem = new Semaphore(4);
  sem.acquireSync();
  const results = await joinAll(
    Array.from({ length: 5 }, () =>
      new Thread({
        target: (sem: Semaphore) => [sem.tryAcquire(), sem.tryAcquire()],
        args: [sem],
      }).start()),
  );
  const flat = results.flat();
  assert.equal(flat.filter((x) => x).length, 3);
  assert.equal(flat.filter((x) => !x).length, 7);
});

test("Semaphore bounds concurrent holders: a shared gauge never exceeds the limit", async () => {
  const limit = 3;
  const sem = new BoundedSemaphore(limit);
  // [gauge, highest, passes]
  const cells = sharedInts(3);
  const worker = (useAsync: boolean) =>
    new Thread({
      target: async (
        sem: Semaphore,
        cells: Int32Array,
        useAsync: boolean,
      ) => {
        for (let i = 0; i < 3_000; i++) {
          if (useAsync) await sem.acquire();
          else sem.acquireSync();
          const now = Atomics.add(cells, 0, 1) + 1;
          let high = Atomics.load(cells, 1);
          while (now > high) {
            const seen = Atomics.compareExchange(cells, 1, high, now);
            if (seen === high) break;
            high = seen;
          }
          for (let k = 0; k < 20; k++) Atomics.load(cells, 2);
          Atomics.add(cells, 2, 1);
          Atomics.sub(cells, 0, 1);
          sem.release();
        }
      },
      args: [sem, cells, useAsync],
    }).start();
  const workers = [
    worker(false),
    worker(false),
    worker(false),
    worker(false),
    worker(true),
  ];
  for (let i = 0; i < 1_000; i++) {
    using _permit = await sem.lock();
    const now = Atomics.add(cells, 0, 1) + 1;
    assert.ok(now <= limit, `${now} holders at once`);
    Atomics.add(cells, 2, 1);
    Atomics.sub(cells, 0, 1);
  }
  await joinAll(workers);
  assert.ok(Atomics.load(cells, 1) <= limit, `gauge reached ${cells[1]}`);
  assert.equal(Atomics.load(cells, 2), 5 * 3_000 + 1_000);
  assert.equal(sem.value, limit);
});

test("Semaphore reaches threads as a live field of a Thread subclass", async () => {
  const sem = new Semaphore(0);
  class Giver extends Thread<number> {
    permits = sem;
    count = 3;
    override run(): number {
      this.permits.release(this.count);
      return this.permits.value;
    }
  }
  assert.equal(await new Giver().start().join(), 3);
  assert.equal(sem.value, 3);
});
