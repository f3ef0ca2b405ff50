import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BrokenExecutorError,
  CancelledError,
  currentThread,
  moduleFunction,
  QueueFull,
  ThreadExitError,
  ThreadPoolExecutor,
  ThreadStateError,
  TimeoutError,
} from "../mod.ts";
import { fixtureUrl, libraryUrl, runScript } from "./_helpers.ts";

/** A shared gate: index 0 opens it, index 1 counts tasks that reached it. */
function gate(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(16));
}

const blockOn = (g: Int32Array, value?: unknown) => {
  Atomics.add(g, 1, 1);
  Atomics.notify(g, 1);
  Atomics.wait(g, 0, 0);
  return value ?? "released";
};

function open(g: Int32Array): void {
  Atomics.store(g, 0, 1);
  Atomics.notify(g, 0);
}

/** Waits (without blocking the loop) until `g[index] >= count`. */
async function reached(g: Int32Array, count: number, index = 1): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Atomics.load(g, index) < count) {
    if (Date.now() > deadline) throw new Error("handshake never happened");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

test("ThreadPoolExecutor.submit() runs the function with its args", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  assert.equal(await pool.submit((a: number, b: number) => a ** b, 2, 8), 256);
  assert.deepEqual(
    await pool.submit((...args: unknown[]) => args, 1, "two", { three: [3] }),
    [1, "two", { three: [3] }],
  );
  assert.equal(await pool.submit(() => undefined), undefined);
  assert.deepEqual(
    await pool.submit(
      (
        m: Map<string, number>,
        d: Date,
        big: bigint,
      ) => [m.get("a"), d.getTime(), big * 2n, NaN, -0],
      new Map([["a", 1]]),
      new Date(5),
      21n,
    ),
    [1, 5, 42n, NaN, -0],
  );
  assert.equal(
    await pool.submit(async (x: number) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return x + 1;
    }, 41),
    42,
  );
});

test("ThreadPoolExecutor.submit() runs a moduleFunction target", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const multiply = moduleFunction<(a: number, b: number) => number>(
    fixtureUrl("work"),
    "multiply",
  );
  assert.equal(await pool.submit(multiply, 6, 7), 42);
  const missing = moduleFunction(fixtureUrl("work"), "nope");
  await assert.rejects(pool.submit(missing).result(), /nope/);
});

test("ThreadPoolExecutor passes shared objects live", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const futures = [];
  for (let i = 0; i < 20; i++) {
    futures.push(
      pool.submit(
        (c: Int32Array, n: number) => {
          for (let j = 0; j < n; j++) Atomics.add(c, 0, 1);
        },
        counter,
        1000,
      ),
    );
  }
  await Promise.all(futures);
  assert.equal(Atomics.load(counter, 0), 20_000);
});

test("ThreadPoolExecutor keeps the error's class, message, stack, cause and code", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const future = pool.submit(() => {
    const error = new RangeError("out of range", { cause: new Error("root") });
    (error as unknown as { code: string }).code = "E_RANGE";
    throw error;
  });
  const error = await future.exception() as RangeError & { code: string };
  assert.ok(error instanceof RangeError);
  assert.equal(error.message, "out of range");
  assert.match(error.stack!, /out of range/);
  assert.equal((error.cause as Error).message, "root");
  assert.equal(error.code, "E_RANGE");
  await assert.rejects(future.result(), RangeError);
  const custom = await pool.submit(() => {
    class ParseError extends Error {
      override name = "ParseError";
    }
    throw new ParseError("bad token");
  }).exception() as Error;
  assert.equal(custom.name, "ParseError");
  assert.equal(custom.message, "bad token");
});

test("ThreadPoolExecutor names a missing variable of a task", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const outside = 5;
  const error = await pool.submit(() => outside).exception() as Error;
  assert.ok(error instanceof ReferenceError);
  assert.match(error.message, /'outside'/);
});

test("ThreadPoolExecutor.map() yields results in input order", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const input = Array.from({ length: 50 }, (_, i) => i);
  for (const chunksize of [1, 3, 50, 100]) {
    const out: number[] = [];
    for await (
      const v of pool.map(
        (x: number) => {
          let n = 0;
          for (let i = 0; i < (x % 7) * 1000; i++) n++;
          return x * 2 + n * 0;
        },
        input,
        { chunksize },
      )
    ) out.push(v);
    assert.deepEqual(out, input.map((x) => x * 2), `chunksize ${chunksize}`);
  }
  const pows: number[] = [];
  const ten = Array.from({ length: 10 }, (_, i) => i);
  for await (const v of pool.map((a: number, b: number) => a ** b, ten, ten)) {
    pows.push(v);
  }
  assert.deepEqual(pows, ten.map((i) => i ** i));
  const chunked: number[] = [];
  for await (
    const v of pool.map((a: number, b: number) => a ** b, ten, ten, {
      chunksize: 3,
    })
  ) chunked.push(v);
  assert.deepEqual(chunked, pows);
  const abs: number[] = [];
  for await (
    const v of pool.map(Math.abs as unknown as (x: number) => number, [])
  ) abs.push(v);
  assert.deepEqual(abs, []);
});

test("ThreadPoolExecutor.map() raises an item's error at that item", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const divide = (a: number, b: number) => {
    if (b === 0) throw new RangeError("division by zero");
    return [Math.floor(a / b), a % b];
  };
  for (const chunksize of [1, 2, 4]) {
    const it = pool.map(divide, [1, 1, 1, 1], [2, 3, 0, 5], { chunksize });
    assert.deepEqual(await it.next(), { done: false, value: [0, 1] });
    assert.deepEqual(await it.next(), { done: false, value: [0, 1] });
    await assert.rejects(it.next(), RangeError);
    assert.deepEqual(await it.next(), { done: true, value: undefined });
  }
});

test("ThreadPoolExecutor.map() timeout counts from the call and ends with TimeoutError", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  await pool.submit(() => "warm");
  const g = gate();
  const results: unknown[] = [];
  try {
    await assert.rejects(async () => {
      for await (
        const v of pool.map(
          (x: number, g: Int32Array) => {
            if (x === 2) Atomics.wait(g, 0, 0);
            return x;
          },
          [0, 1, 2],
          [g, g, g],
          { timeout: 1000 },
        )
      ) results.push(v);
    }, TimeoutError);
  } finally {
    open(g);
  }
  assert.deepEqual(results, [0, 1]);
});

test("ThreadPoolExecutor.map() with a zero timeout cancels what has not started", async () => {
  const log = new Int32Array(new SharedArrayBuffer(16));
  const g = gate();
  {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const first = pool.submit(blockOn, g);
    await reached(g, 1);
    try {
      const it = pool.map(
        (l: Int32Array, n: number) => Atomics.add(l, n, 1),
        [log, log],
        [1, 2],
        { timeout: 0 },
      );
      await assert.rejects(it.next(), TimeoutError);
    } finally {
      open(g);
    }
    assert.equal(await first, "released");
  }
  assert.deepEqual([...log], [0, 0, 0, 0]);
});

test("ThreadPoolExecutor.map() submits its first items without iteration", async () => {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  pool.map((c: Int32Array) => Atomics.add(c, 0, 1), Array(10).fill(counter));
  await pool.shutdown({ wait: true });
  assert.equal(Atomics.load(counter, 0), 10);
});

test("ThreadPoolExecutor.map() reads its input lazily", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  let read = 0;
  function* naturals() {
    for (let i = 0;; i++) {
      read++;
      yield i;
    }
  }
  const out: number[] = [];
  for await (
    const v of pool.map((x: number) => x + 1, naturals(), { buffersize: 8 })
  ) {
    out.push(v);
    if (out.length === 100) break;
  }
  assert.deepEqual(out, Array.from({ length: 100 }, (_, i) => i + 1));
  assert.ok(read <= 100 + 9, `read ${read} items`);
});

test("ThreadPoolExecutor reuses an idle worker and starts no more than maxWorkers", async () => {
  {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 4 });
    assert.equal(await pool.submit((a: number, b: number) => a * b, 21, 2), 42);
    assert.equal(await pool.submit((a: number, b: number) => a * b, 6, 7), 42);
    assert.equal(await pool.submit((a: number, b: number) => a * b, 3, 14), 42);
    assert.equal(pool.stats().workers, 1);
  }
  await using pool = new ThreadPoolExecutor({ maxWorkers: 4 });
  const g = gate();
  const futures = Array.from({ length: 60 }, () => pool.submit(blockOn, g));
  assert.equal(pool.stats().workers, 4);
  await reached(g, 4);
  open(g);
  await Promise.all(futures);
  assert.equal(pool.stats().workers, 4);
});

test("ThreadPoolExecutor names its workers like Python", async () => {
  {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
    const name = await pool.submit(async (lib: string) => {
      const { currentThread } = await import(lib);
      return currentThread().name;
    }, libraryUrl);
    assert.match(name, /^ThreadPoolExecutor-\d+_0$/);
  }
  await using pool = new ThreadPoolExecutor({
    maxWorkers: 5,
    threadNamePrefix: "SpecialPool",
  });
  const names = await Promise.all(
    Array.from({ length: 5 }, () =>
      pool.submit(async (lib: string) => {
        const { currentThread, isMainThread } = await import(lib);
        return [currentThread().name, isMainThread()];
      }, libraryUrl)),
  );
  for (const [name, main] of names) {
    assert.match(name as string, /^SpecialPool_[0-4]$/);
    assert.equal(main, false);
  }
  assert.equal(currentThread().name, "MainThread");
});

test("ThreadPoolExecutor runs the initializer once per worker before its tasks", async () => {
  await using pool = new ThreadPoolExecutor({
    maxWorkers: 2,
    initializer: (status: string, count: Int32Array) => {
      (globalThis as Record<string, unknown>).initStatus = status;
      Atomics.add(count, 0, 1);
    },
    initargs: ["initialized", new Int32Array(new SharedArrayBuffer(4))],
  });
  const futures = Array.from(
    { length: 20 },
    () => pool.submit(() => (globalThis as Record<string, unknown>).initStatus),
  );
  for (const f of futures) assert.equal(await f, "initialized");
});

test("ThreadPoolExecutor breaks when the initializer fails, and never hangs", async () => {
  const pool = new ThreadPoolExecutor({
    maxWorkers: 2,
    initializer: () => {
      throw new Error("error in initializer");
    },
  });
  const futures = [];
  try {
    for (let i = 0; i < 5; i++) futures.push(pool.submit(() => 1));
  } catch (error) {
    // As in Python, the pool may already be broken.
    assert.ok(error instanceof BrokenExecutorError);
  }
  assert.ok(futures.length > 0);
  for (const f of futures) {
    const error = await f.exception() as Error;
    assert.ok(error instanceof BrokenExecutorError);
    assert.match((error.cause as Error).message, /error in initializer/);
  }
  assert.throws(
    () => pool.submit(() => 1),
    (e: Error) =>
      e instanceof BrokenExecutorError &&
      /error in initializer/.test((e.cause as Error).message),
  );
  await pool.shutdown();
});

test("Future.cancel() withdraws a queued task and refuses a running one", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const g = gate();
  const ran = new Int32Array(new SharedArrayBuffer(4));
  const first = pool.submit(blockOn, g);
  const second = pool.submit((r: Int32Array) => Atomics.store(r, 0, 1), ran);
  await reached(g, 1);
  assert.equal(first.running(), true);
  assert.equal(first.cancel(), false);
  assert.equal(second.running(), false);
  assert.equal(second.cancel(), true);
  assert.equal(second.cancel(), true);
  assert.equal(second.cancelled(), true);
  open(g);
  assert.equal(await first, "released");
  await assert.rejects(second.result(), CancelledError);
  assert.equal(await pool.submit(() => "after"), "after");
  assert.equal(Atomics.load(ran, 0), 0);
  assert.equal(pool.stats().cancelled, 1);
});

test("ThreadPoolExecutor.shutdown({ cancelFutures: true }) cancels what has not started", async () => {
  const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const g = gate();
  const blockers = [pool.submit(blockOn, g), pool.submit(blockOn, g)];
  const rest = Array.from(
    { length: 50 },
    (_, i) => pool.submit((x: number) => x, i),
  );
  await reached(g, 2);
  const stopping = pool.shutdown({ cancelFutures: true });
  assert.ok(rest.every((f) => f.cancelled()));
  open(g);
  await stopping;
  for (const b of blockers) assert.equal(await b, "released");
  assert.throws(() => pool.submit(() => 1), ThreadStateError);
});

test("ThreadPoolExecutor.shutdown() waits for pending tasks and may be called twice", async () => {
  const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const futures = Array.from(
    { length: 50 },
    (_, i) =>
      pool.submit(async (x: number) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return x;
      }, i),
  );
  await pool.shutdown();
  assert.ok(futures.every((f) => f.done()));
  await pool.shutdown();
  await pool.shutdown({ wait: false });
  assert.equal(await futures[49], 49);
  assert.throws(() => pool.submit(() => 1), ThreadStateError);
  assert.throws(() => pool.map((x: number) => x, [1]), ThreadStateError);
});

test("ThreadPoolExecutor.shutdown({ wait: false }) still finishes the tasks", async () => {
  const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const futures = Array.from(
    { length: 10 },
    (_, i) => pool.submit((x: number) => Math.abs(x), i - 5),
  );
  await pool.shutdown({ wait: false });
  assert.deepEqual(await Promise.all(futures), [5, 4, 3, 2, 1, 0, 1, 2, 3, 4]);
});

test("ThreadPoolExecutor completes 100,000 tiny tasks exactly once", async () => {
  const n = 100_000;
  const counts = new Int32Array(new SharedArrayBuffer(n * 4));
  await using pool = new ThreadPoolExecutor({
    maxWorkers: 2,
    initializer: (c: Int32Array) => {
      (globalThis as Record<string, unknown>).counts = c;
    },
    initargs: [counts],
  });
  const futures = new Array(n);
  for (let i = 0; i < n; i++) {
    futures[i] = pool.submit((x: number) => {
      Atomics.add(
        (globalThis as unknown as { counts: Int32Array }).counts,
        x,
        1,
      );
      return x + 1;
    }, i);
  }
  const results = await Promise.all(futures);
  for (let i = 0; i < n; i++) {
    if (results[i] !== i + 1 || counts[i] !== 1) {
      assert.fail(`task ${i}: result ${results[i]}, ran ${counts[i]} times`);
    }
  }
  assert.equal(pool.stats().completed, n);
});

test("ThreadPoolExecutor completes a burst of 10,000 tasks into a fresh pool exactly once", async () => {
  for (const maxWorkers of [2, 4]) {
    const n = 10_000;
    const counts = new Int32Array(new SharedArrayBuffer(n * 4));
    const pool = new ThreadPoolExecutor({
      maxWorkers,
      initializer: (c: Int32Array) => {
        (globalThis as Record<string, unknown>).counts = c;
      },
      initargs: [counts],
    });
    const futures = [];
    for (let i = 0; i < n; i++) {
      futures.push(pool.submit((x: number) => {
        Atomics.add(
          (globalThis as unknown as { counts: Int32Array }).counts,
          x,
          1,
        );
        return x;
      }, i));
    }
    const results = await Promise.all(futures);
    await pool.shutdown();
    assert.deepEqual(results, Array.from({ length: n }, (_, i) => i));
    assert.ok(counts.every((c) => c === 1), "every task ran once");
  }
});

test("ThreadPoolExecutor replaces a worker that exits mid-task and fails its task", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const crashed = pool.submit(async () => {
    const process = (await import("node:process")).default;
    process.exit(3);
  });
  const next = pool.submit((x: number) => x * 2, 21);
  const error = await crashed.exception();
  assert.ok(error instanceof ThreadExitError, String(error));
  assert.match((error as Error).message, /ended while it ran the task/);
  assert.equal(await next, 42);
  assert.equal(await pool.submit(() => "still works"), "still works");
});

test("ThreadPoolExecutor fails a task whose worker has an uncaught error, and goes on", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const crashed = pool.submit(() => {
    setTimeout(() => {
      throw new TypeError("boom");
    }, 1);
    return new Promise(() => {});
  });
  const error = await crashed.exception() as Error;
  assert.equal(error.name, "TypeError");
  assert.equal(error.message, "boom");
  assert.equal(await pool.submit((x: number) => x + 1, 1), 2);
});

test("ThreadPoolExecutor.submitWith() drops a queued task when its signal aborts", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const g = gate();
  const ran = new Int32Array(new SharedArrayBuffer(4));
  const first = pool.submit(blockOn, g);
  await reached(g, 1);
  const controller = new AbortController();
  const queued = pool.submitWith(
    (r: Int32Array) => Atomics.store(r, 0, 1),
    [ran],
    { signal: controller.signal },
  );
  controller.abort(new Error("not needed"));
  await assert.rejects(queued.result(), /not needed/);
  open(g);
  await first;
  assert.equal(await pool.submit(() => 1), 1);
  assert.equal(Atomics.load(ran, 0), 0);
  const already = pool.submitWith(() => 1, [], {
    signal: AbortSignal.abort(new Error("early")),
  });
  await assert.rejects(already.result(), /early/);
});

test("ThreadPoolExecutor.submitWith() tells a running task through taskSignal()", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const controller = new AbortController();
  const future = pool.submitWith(
    async (lib: string, f: Int32Array) => {
      const { taskSignal } = await import(lib);
      Atomics.store(f, 0, 1);
      while (!taskSignal().aborted) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      Atomics.store(f, 1, 1);
      return "stopped";
    },
    [libraryUrl, flags],
    { signal: controller.signal },
  );
  await reached(flags, 1, 0);
  assert.equal(future.running(), true);
  controller.abort(new Error("stop now"));
  await assert.rejects(future.result(), /stop now/);
  await reached(flags, 1, 1);
  // A synchronous task sees the abort on its next taskSignal() call.
  const sync = pool.submitWith(
    async (lib: string, f: Int32Array) => {
      const { taskSignal } = await import(lib);
      Atomics.store(f, 0, 2);
      let spins = 0;
      while (!taskSignal().aborted) spins++;
      return spins;
    },
    [libraryUrl, flags],
    { timeout: 100 },
  );
  await assert.rejects(sync.result(), TimeoutError);
  assert.equal(await pool.submit(() => "next"), "next");
});

test("ThreadPoolExecutor with abortRunning 'terminate' stops a running task hard", async () => {
  await using pool = new ThreadPoolExecutor({
    maxWorkers: 1,
    abortRunning: "terminate",
  });
  const flags = new Int32Array(new SharedArrayBuffer(4));
  const controller = new AbortController();
  const spinning = pool.submitWith(
    (f: Int32Array) => {
      Atomics.store(f, 0, 1);
      for (;;) { /* never yields */ }
    },
    [flags],
    { signal: controller.signal },
  );
  await reached(flags, 1, 0);
  controller.abort(new Error("hard stop"));
  await assert.rejects(spinning.result(), /hard stop/);
  assert.equal(await pool.submit((x: number) => x * 3, 14), 42);
  const timed = pool.submitWith(
    () => {
      for (;;) { /* never yields */ }
    },
    [],
    { timeout: 50 },
  );
  await assert.rejects(timed.result(), TimeoutError);
  assert.equal(await pool.submit(() => "alive"), "alive");
});

test("ThreadPoolExecutor maxQueue makes submit throw QueueFull until there is room", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1, maxQueue: 2 });
  const g = gate();
  const running = pool.submit(blockOn, g);
  await reached(g, 1);
  const queued = [pool.submit(() => 1), pool.submit(() => 2)];
  assert.throws(() => pool.submit(() => 3), QueueFull);
  assert.equal(pool.stats().queued, 2);
  await assert.rejects(pool.waitForRoom({ timeout: 10 }), TimeoutError);
  const room = pool.waitForRoom();
  open(g);
  await room;
  const later = pool.submit(() => 3);
  assert.deepEqual(await Promise.all([running, ...queued, later]), [
    "released",
    1,
    2,
    3,
  ]);
});

test("ThreadPoolExecutor idleTimeout stops idle workers and starts new ones on demand", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2, idleTimeout: 20 });
  assert.equal(await pool.submit(() => 1), 1);
  const deadline = Date.now() + 10_000;
  while (pool.stats().workers > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(pool.stats().workers, 0);
  assert.equal(await pool.submit(() => 2), 2);
});

test("ThreadPoolExecutor.stats() counts tasks and reports percentiles", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  await Promise.allSettled([
    ...Array.from({ length: 10 }, (_, i) => pool.submit((x: number) => x, i)),
    pool.submit(() => {
      throw new Error("x");
    }),
  ]);
  const stats = pool.stats();
  assert.equal(stats.completed, 10);
  assert.equal(stats.failed, 1);
  assert.equal(stats.queued, 0);
  assert.equal(stats.active, 0);
  assert.ok(stats.runTime.max >= stats.runTime.p50);
  assert.ok(stats.waitTime.p99 >= stats.waitTime.p50);
});

test("ThreadPoolExecutor rejects bad input with typed errors", async () => {
  for (const maxWorkers of [0, -1]) {
    assert.throws(
      () => new ThreadPoolExecutor({ maxWorkers }),
      (e: Error) => e instanceof RangeError && /greater than 0/.test(e.message),
    );
  }
  assert.throws(() => new ThreadPoolExecutor({ maxWorkers: 1.5 }), RangeError);
  assert.throws(
    () => new ThreadPoolExecutor({ maxWorkers: "2" as unknown as number }),
    TypeError,
  );
  assert.throws(
    () => new ThreadPoolExecutor({ initializer: 5 as unknown as () => void }),
    TypeError,
  );
  assert.throws(() => new ThreadPoolExecutor({ maxQueue: 0 }), RangeError);
  assert.throws(() => new ThreadPoolExecutor({ idleTimeout: -1 }), RangeError);
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.throws(() => pool.submit(5 as unknown as () => void), TypeError);
  assert.throws(
    () => pool.submit((a: unknown, b: unknown) => [a, b], 1, () => 2),
    (e: Error) => e instanceof TypeError && /args\[1\]/.test(e.message),
  );
  assert.throws(
    () => pool.map((x: number) => x, [1], { chunksize: 0 }),
    RangeError,
  );
  assert.throws(
    () => pool.map((x: number) => x, 5 as unknown as number[]),
    TypeError,
  );
  assert.throws(
    () => pool.submitWith(() => 1, [], { timeout: -1 }),
    RangeError,
  );
  assert.throws(
    () => pool.shutdown({ wait: "yes" as unknown as boolean }),
    TypeError,
  );
  assert.equal(await pool.submit(() => "unharmed"), "unharmed");
});

test("ThreadPoolExecutor finishes pending tasks when the main module ends, then exits", async () => {
  for (const args of [[], ["--no-wait"]]) {
    const { code, stdout, stderr } = await runScript("examples/pool_pending", {
      args,
      timeout: 30_000,
    });
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.equal(stdout.trim(), "apple");
  }
  const cancelled = await runScript("examples/pool_pending", {
    args: ["--cancel"],
    timeout: 30_000,
  });
  assert.equal(cancelled.code, 0);
  assert.ok(["apple", ""].includes(cancelled.stdout.trim()));
});

test("examples/pool.ts prints both times and exits by itself", async () => {
  const { code, stdout, stderr } = await runScript("examples/pool", {
    timeout: 60_000,
  });
  assert.equal(stderr, "");
  assert.equal(code, 0);
  assert.match(stdout, /one Thread each: \d+ ms/);
  assert.match(stdout, /ThreadPoolExecutor: +\d+ ms/);
});
