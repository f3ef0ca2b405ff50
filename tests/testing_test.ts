// The testing entry point: each kind of leak is caught and named, a clean
// test passes, on whichever runner runs this file.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Barrier,
  type ExceptHookArgs,
  Queue,
  Thread,
  ThreadPoolExecutor,
} from "../mod.ts";
import {
  assertNoLeaks,
  type Leak,
  LeakError,
  withLeakCheck,
} from "../testing.ts";

/** Starts the next check afresh, whatever earlier tests (or files) left. */
async function reset(): Promise<void> {
  await assertNoLeaks().catch(() => {});
}

async function leaksOf(check: Promise<void>): Promise<Leak[]> {
  const error = await check.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof LeakError, `expected a LeakError, got ${error}`);
  return error.leaks;
}

const thisFile = /testing_test\.(ts|js)/;

test("assertNoLeaks() passes after a test that joined, shut down and awaited everything", async () => {
  await reset();
  const thread = new Thread({ target: (n: number) => n * 2, args: [21] });
  assert.equal(await thread.start().join(), 42);
  const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.equal(await pool.submit((x: number) => x + 1, 1), 2);
  await pool.shutdown();
  const queue = new Queue<number>();
  const got = queue.get();
  queue.putNowait(7);
  assert.equal(await got, 7);
  await assertNoLeaks();
});

test("assertNoLeaks() names a non-daemon thread still running, with its ident and where it started", async () => {
  await reset();
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Thread({
    target: (stop: Int32Array) => {
      while (Atomics.load(stop, 0) === 0) { /* busy */ }
    },
    args: [stop],
    name: "busy-worker",
  }).start();
  const leaks = await leaksOf(assertNoLeaks());
  assert.equal(leaks.length, 1);
  assert.equal(leaks[0].kind, "thread");
  assert.equal(leaks[0].name, "busy-worker");
  assert.equal(leaks[0].ident, thread.ident);
  assert.equal(leaks[0].waiting, false);
  assert.match(leaks[0].startedAt, thisFile);
  assert.match(
    leaks[0].description,
    /busy-worker \(ident \d+\) is still running/,
  );
  Atomics.store(stop, 0, 1);
  await thread.join();
  await assertNoLeaks(); // reported once
});

test("assertNoLeaks() says when a leaked thread is blocked in a wait", async () => {
  await reset();
  // From counting itself in to sleeping, a waiter runs a few instructions, so
  // a check may catch it just before it sleeps: try again with a fresh
  // waiter, 50 times at most (a check that never sees a wait fails).
  let leaks: Leak[] = [];
  for (let round = 0; round < 50; round++) {
    const barrier = new Barrier(2);
    const thread = new Thread({
      target: (barrier: Barrier) => barrier.waitSync(),
      args: [barrier],
      name: "waiter",
    }).start();
    while (barrier.nWaiting === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    leaks = await leaksOf(assertNoLeaks());
    await barrier.wait();
    await thread.join();
    assert.equal(leaks[0].kind, "thread");
    if (leaks[0].waiting) break;
  }
  assert.equal(leaks[0].waiting, true);
  assert.match(leaks[0].description, /waiter .* is still blocked in a wait/);
  await assertNoLeaks();
});

test("assertNoLeaks() ignores daemon threads and gives threads `timeout` ms to end", async () => {
  await reset();
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const daemon = new Thread({
    target: (stop: Int32Array) => Atomics.wait(stop, 0, 0),
    args: [stop],
    daemon: true,
  }).start();
  new Thread({ target: () => 1 }).start();
  await assertNoLeaks({ timeout: 30_000 });
  Atomics.store(stop, 0, 1);
  Atomics.notify(stop, 0);
  await daemon.join();
});

test("assertNoLeaks() names an executor that was not shut down", async () => {
  await reset();
  const pool = new ThreadPoolExecutor({
    maxWorkers: 1,
    threadNamePrefix: "leaky-pool",
  });
  assert.equal(await pool.submit((x: number) => x, 5), 5);
  const leaks = await leaksOf(assertNoLeaks());
  assert.deepEqual(leaks.map((leak) => [leak.kind, leak.name]), [
    ["executor", "leaky-pool"],
  ]);
  assert.match(leaks[0].startedAt, thisFile);
  await pool.shutdown();
  await assertNoLeaks();
});

test("assertNoLeaks() names a get() still waiting", async () => {
  await reset();
  const queue = new Queue<string>();
  const pending = queue.get();
  const leaks = await leaksOf(assertNoLeaks());
  assert.deepEqual(leaks.map((leak) => leak.kind), ["wait"]);
  assert.match(leaks[0].startedAt, thisFile);
  queue.putNowait("late");
  assert.equal(await pending, "late");
  await assertNoLeaks();
});

test("assertNoLeaks() reports the error of a thread nobody joined", async () => {
  await reset();
  const hook = Thread.excepthook;
  const hooked: ExceptHookArgs[] = [];
  Thread.excepthook = (args) => hooked.push(args);
  try {
    const thread = new Thread({
      target: () => {
        throw new RangeError("nobody listens");
      },
      name: "failing",
    }).start();
    while (thread.isAlive()) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const error = await assertNoLeaks().then(() => undefined, (e) => e);
    assert.ok(error instanceof LeakError);
    assert.equal(error.leaks.length, 1);
    const [leak] = error.leaks;
    assert.equal(leak.kind, "unjoined-error");
    assert.equal(leak.name, "failing");
    assert.ok(leak.error instanceof RangeError);
    assert.equal(error.cause, leak.error);
    assert.match(
      leak.description,
      /failing .* nobody joined it: RangeError: nobody listens/,
    );
    assert.match(leak.startedAt, thisFile);
    // Thread.excepthook still hears of it.
    assert.equal(hooked.length, 1);
  } finally {
    Thread.excepthook = hook;
  }
});

test("assertNoLeaks() does not report the error of a thread that was joined", async () => {
  await reset();
  const thread = new Thread({
    target: () => {
      throw new Error("seen");
    },
  }).start();
  await assert.rejects(thread.join(), /seen/);
  await assertNoLeaks();
});

test("withLeakCheck() fails the wrapped test for its own leaks only", async () => {
  const earlier = new ThreadPoolExecutor({ maxWorkers: 1 });
  let leaked: ThreadPoolExecutor | undefined;
  const leaky = withLeakCheck(() => {
    leaked = new ThreadPoolExecutor({
      maxWorkers: 1,
      threadNamePrefix: "mine",
    });
  });
  const leaks = await leaksOf(leaky());
  assert.deepEqual(leaks.map((leak) => leak.name), ["mine"]);
  await leaked!.shutdown();
  await earlier.shutdown();

  const clean = withLeakCheck(async (n: number) => {
    const thread = new Thread({ target: (n: number) => n, args: [n] });
    assert.equal(await thread.start().join(), n);
  });
  await clean(3);

  const failing = withLeakCheck(() => {
    throw new SyntaxError("the test's own failure");
  });
  await assert.rejects(failing(), SyntaxError);
});

test("assertNoLeaks() and withLeakCheck() reject bad arguments", async () => {
  await assert.rejects(assertNoLeaks({ timeout: -1 }), RangeError);
  assert.throws(() => withLeakCheck(42 as never), TypeError);
  assert.throws(() => withLeakCheck(() => {}, { timeout: NaN }), RangeError);
});
