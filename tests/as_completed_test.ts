import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ALL_COMPLETED,
  asCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  ThreadPoolExecutor,
  TimeoutError,
  wait,
} from "../mod.ts";

function finished<T>(value: T): Future<T> {
  const future = new Future<T>();
  future.setResult(value);
  return future;
}

function failed(error: unknown): Future<never> {
  const future = new Future<never>();
  future.setException(error);
  return future;
}

function cancelled(): Future<never> {
  const future = new Future<never>();
  future.cancel();
  return future;
}

function running(): Future<never> {
  const future = new Future<never>();
  future.setRunningOrNotifyCancel();
  return future;
}

/** A shared gate: index 0 opens it, index 1 counts tasks that reached it. */
function gate(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

const blockOn = (g: Int32Array) => {
  Atomics.add(g, 1, 1);
  Atomics.wait(g, 0, 0);
  return "released";
};

const failAfter = (g: Int32Array) => {
  Atomics.wait(g, 0, 0);
  throw new Error("this is an exception");
};

function open(g: Int32Array): void {
  Atomics.store(g, 0, 1);
  Atomics.notify(g, 0);
}

test("asCompleted() yields every future, the done ones first", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const done = [cancelled(), failed(new Error("x")), finished(1)];
  const f1 = pool.submit((a: number, b: number) => a * b, 2, 21);
  const f2 = pool.submit((a: number, b: number) => a * b, 7, 6);
  const seen: unknown[] = [];
  const results: unknown[] = [];
  for await (const f of asCompleted<unknown>([...done, f1, f2])) {
    seen.push(f);
    if (!f.cancelled()) results.push(await f.exception() ?? await f.result());
  }
  assert.ok(results.includes(42));
  assert.deepEqual(new Set(seen.slice(0, 3)), new Set(done));
  assert.deepEqual(new Set(seen), new Set([...done, f1, f2]));
  assert.equal(seen.length, 5);
  assert.ok(seen.every((f) => f instanceof Future));
  assert.equal(results.length, 4);
});

test("asCompleted() yields a future listed several times once", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const future = pool.submit(() => 1);
  const seen = [];
  for await (const f of asCompleted([future, future, future])) seen.push(f);
  assert.equal(seen.length, 1);
});

test("asCompleted() throws TimeoutError naming the unfinished count", async () => {
  const list = [cancelled(), new Future(), running(), finished(1)];
  const seen: unknown[] = [];
  await assert.rejects(
    async () => {
      for await (const f of asCompleted(list, { timeout: 0 })) seen.push(f);
    },
    (error: Error) =>
      error instanceof TimeoutError &&
      error.message === "2 (of 4) futures unfinished",
  );
  assert.deepEqual(new Set(seen), new Set([list[0], list[3]]));
});

test("asCompleted() times out on a task that does not finish in time", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const g = gate();
  const slow = pool.submit(blockOn, g);
  const already = [finished(1), failed(new Error("e"))];
  const seen = new Set<unknown>();
  try {
    await assert.rejects(async () => {
      for await (
        const f of asCompleted<unknown>([...already, slow], { timeout: 50 })
      ) {
        seen.add(f);
      }
    }, TimeoutError);
  } finally {
    open(g);
  }
  assert.deepEqual(seen, new Set(already));
  assert.equal(await slow, "released");
});

test("asCompleted() validates its input at once", () => {
  assert.throws(() => asCompleted(5 as unknown as Future[]), TypeError);
  assert.throws(() => asCompleted([1] as unknown as Future[]), TypeError);
  assert.throws(() => asCompleted([], { timeout: -1 }), RangeError);
});

test("wait() returns each future once and waits for all by default", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const future = pool.submit((a: number, b: number) => a * b, 1, 2);
  const { done, notDone } = await wait([future, future], {
    returnWhen: ALL_COMPLETED,
  });
  assert.deepEqual(done, new Set([future]));
  assert.equal(notDone.size, 0);
  const f1 = pool.submit(() => {
    throw new Error("divide by zero");
  });
  const f2 = pool.submit((a: number) => a * 2, 21);
  const list = [finished(1), cancelled(), failed(new Error("x")), f1, f2];
  const all = await wait<unknown>(list);
  assert.deepEqual(all.done, new Set(list));
  assert.equal(all.notDone.size, 0);
});

test("wait() with FIRST_COMPLETED returns when one future finishes", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const g = gate();
  const f1 = pool.submit((a: number, b: number) => a * b, 21, 2);
  const f2 = pool.submit(blockOn, g);
  try {
    await f1;
    const { done, notDone } = await wait<unknown>([f1, f2], {
      returnWhen: FIRST_COMPLETED,
    });
    assert.deepEqual(done, new Set([f1]));
    assert.deepEqual(notDone, new Set([f2]));
    const early = [cancelled(), finished(1)];
    const some = await wait<unknown>([...early, f2], {
      returnWhen: FIRST_COMPLETED,
    });
    assert.deepEqual(some.done, new Set(early));
    assert.deepEqual(some.notDone, new Set([f2]));
  } finally {
    open(g);
  }
  assert.equal(await f2, "released");
});

test("wait() with FIRST_COMPLETED wakes up when a running task finishes", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const g1 = gate();
  const g2 = gate();
  const f1 = pool.submit(blockOn, g1);
  const f2 = pool.submit(blockOn, g2);
  const waiting = wait([f1, f2], { returnWhen: FIRST_COMPLETED });
  open(g1);
  const { done, notDone } = await waiting;
  assert.deepEqual(done, new Set([f1]));
  assert.deepEqual(notDone, new Set([f2]));
  open(g2);
  await f2;
});

test("wait() with FIRST_EXCEPTION returns when a task raises", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 3 });
  const g1 = gate();
  const g2 = gate();
  const f1 = pool.submit((a: number, b: number) => a * b, 2, 21);
  const f2 = pool.submit(failAfter, g1);
  const f3 = pool.submit(blockOn, g2);
  try {
    await f1;
    const waiting = wait<unknown>([f1, f2, f3], {
      returnWhen: FIRST_EXCEPTION,
    });
    open(g1);
    const { done, notDone } = await waiting;
    assert.deepEqual(done, new Set([f1, f2]));
    assert.deepEqual(notDone, new Set([f3]));
    const already = failed(new Error("x"));
    const quick = await wait<unknown>([already, f3], {
      returnWhen: FIRST_EXCEPTION,
    });
    assert.deepEqual(quick.done, new Set([already]));
    assert.deepEqual(quick.notDone, new Set([f3]));
  } finally {
    open(g1);
    open(g2);
  }
  await f3;
});

test("wait() with FIRST_EXCEPTION waits for all when none raises", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const list = [1, 2, 3].map((n) => pool.submit((x: number) => x, n));
  const { done, notDone } = await wait(list, { returnWhen: FIRST_EXCEPTION });
  assert.equal(done.size, 3);
  assert.equal(notDone.size, 0);
});

test("wait() returns what is done when the timeout passes", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const g = gate();
  const future = pool.submit(blockOn, g);
  const early = [cancelled(), failed(new Error("x")), finished(1)];
  try {
    const { done, notDone } = await wait<unknown>([...early, future], {
      timeout: 50,
    });
    assert.deepEqual(done, new Set(early));
    assert.deepEqual(notDone, new Set([future]));
  } finally {
    open(g);
  }
  await future;
});

test("wait() validates its input at once", () => {
  assert.throws(() => wait(null as unknown as Future[]), TypeError);
  assert.throws(() => wait([{}] as unknown as Future[]), TypeError);
  assert.throws(() => wait([], { timeout: -5 }), RangeError);
  assert.throws(
    () => wait([], { returnWhen: "SOMETIMES" as typeof ALL_COMPLETED }),
    TypeError,
  );
});
