import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  SimpleQueue,
  Thread,
  TimeoutError,
} from "../mod.ts";
import { toShared } from "../src/transfer/shareable.ts";
import { libraryUrl } from "./_helpers.ts";

const QUEUE_SIZE = 5;

type AnyQueue = Queue<unknown>;
type Kind = "Queue" | "LifoQueue" | "PriorityQueue";

const make: Record<Kind, (maxsize?: number) => AnyQueue> = {
  Queue: (maxsize) => new Queue(maxsize),
  LifoQueue: (maxsize) => new LifoQueue(maxsize),
  PriorityQueue: (maxsize) => new PriorityQueue(maxsize) as AnyQueue,
};
const kinds = Object.keys(make) as Kind[];

/** The item to put for `n` in a queue of `kind` (priority queues take pairs). */
function itemFor(kind: Kind, n: number): unknown {
  return kind === "PriorityQueue" ? [n, `v${n}`] : n;
}

/**
 * Runs `trigger` in another thread after it raised a flag, while this thread
 * awaits `blocking`; checks that `blocking` finished only after the flag (it
 * really waited for the trigger). Python's `do_blocking_test`.
 */
async function blockingTest<R>(
  q: AnyQueue,
  blocking: () => Promise<R>,
  trigger: "get" | "put",
  item?: unknown,
): Promise<R> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Thread({
    target: (
      q: { getSync(): unknown; putSync(x: unknown): void },
      flag: Int32Array,
      trigger: string,
      item: unknown,
    ) => {
      Atomics.store(flag, 0, 1);
      if (trigger === "get") q.getSync();
      else q.putSync(item);
    },
    args: [q, flag, trigger, item],
  }).start();
  const result = await blocking();
  assert.equal(Atomics.load(flag, 0), 1, "the blocking call did not block");
  await thread.join();
  return result;
}

async function basicQueueTest(kind: Kind, q: AnyQueue): Promise<void> {
  assert.equal(q.qsize(), 0);
  assert.ok(q.empty());
  assert.ok(!q.full());
  for (const n of [111, 333, 222]) await q.put(itemFor(kind, n));
  const order = {
    Queue: [111, 333, 222],
    LifoQueue: [222, 333, 111],
    PriorityQueue: [111, 222, 333],
  }[kind];
  const actual = [await q.get(), q.getSync(), q.getNowait()];
  assert.deepEqual(actual, order.map((n) => itemFor(kind, n)));
  for (let i = 0; i < QUEUE_SIZE - 1; i++) {
    await q.put(itemFor(kind, i));
    assert.ok(q.qsize() > 0);
  }
  assert.ok(!q.full());
  const last = 2 * QUEUE_SIZE;
  const full = 3 * 2 * QUEUE_SIZE;
  q.putSync(itemFor(kind, last));
  assert.ok(q.full());
  assert.ok(!q.empty());
  assert.throws(() => q.putNowait(itemFor(kind, full)), QueueFull);
  await assert.rejects(q.put(itemFor(kind, full), { block: false }), QueueFull);
  await assert.rejects(q.put(itemFor(kind, full), { timeout: 10 }), QueueFull);
  assert.throws(
    () => q.putSync(itemFor(kind, full), { timeout: 10 }),
    QueueFull,
  );
  assert.throws(
    () => q.putSync(itemFor(kind, full), { block: false }),
    QueueFull,
  );
  // Blocking puts, released by a get in another thread.
  await blockingTest(q, () => q.put(itemFor(kind, full)), "get");
  await blockingTest(
    q,
    () => q.put(itemFor(kind, full), { timeout: 10_000 }),
    "get",
  );
  for (let i = 0; i < QUEUE_SIZE; i++) q.getSync();
  assert.equal(q.qsize(), 0);
  assert.throws(() => q.getNowait(), QueueEmpty);
  assert.throws(() => q.getSync({ block: false }), QueueEmpty);
  assert.throws(() => q.getSync({ timeout: 10 }), QueueEmpty);
  await assert.rejects(q.get({ block: false }), QueueEmpty);
  await assert.rejects(q.get({ timeout: 10 }), QueueEmpty);
  // Blocking gets, released by a put in another thread.
  assert.deepEqual(
    await blockingTest(q, () => q.get(), "put", itemFor(kind, 7)),
    itemFor(kind, 7),
  );
  assert.deepEqual(
    await blockingTest(
      q,
      () => q.get({ timeout: 10_000 }),
      "put",
      itemFor(kind, 8),
    ),
    itemFor(kind, 8),
  );
}

for (const kind of kinds) {
  test(`${kind}: basic put/get/qsize/full/empty behaviour, twice on one queue`, async () => {
    const q = make[kind](QUEUE_SIZE);
    await basicQueueTest(kind, q);
    await basicQueueTest(kind, q);
  });

  test(`${kind}.taskDone() throws RangeError when called too often`, () => {
    const q = make[kind]();
    assert.throws(() => q.taskDone(), RangeError);
    q.putSync(itemFor(kind, 1));
    q.getSync();
    q.taskDone();
    assert.throws(() => q.taskDone(), /more times than items were put/);
  });

  test(`${kind}.join() waits until worker threads marked every task done`, async () => {
    const q = make[kind]();
    for (let round = 0; round < 2; round++) {
      const cum = new Int32Array(new SharedArrayBuffer(4));
      const workers = [0, 1].map(() =>
        new Thread({
          target: (q: AnyQueue, cum: Int32Array, priority: boolean) => {
            for (;;) {
              const got = q.getSync();
              const x =
                (priority ? (got as [number, unknown])[0] : got) as number;
              if (x < 0) {
                q.taskDone();
                return;
              }
              Atomics.add(cum, 0, x);
              q.taskDone();
            }
          },
          args: [q, cum, kind === "PriorityQueue"],
        }).start()
      );
      for (let i = 0; i < 100; i++) q.putSync(itemFor(kind, i));
      await q.join();
      assert.equal(
        Atomics.load(cum, 0),
        4950,
        "join() returned before all tasks were done",
      );
      for (let i = 0; i < 2; i++) q.putSync(itemFor(kind, -1));
      q.joinSync();
      await q.join();
      for (const worker of workers) await worker.join();
      assert.equal(q.unfinishedTasks, 0);
    }
    assert.throws(() => q.taskDone(), RangeError);
  });

  test(`${kind}: negative or bad timeouts and options throw at once`, () => {
    const q = make[kind](QUEUE_SIZE);
    assert.throws(() => q.put(itemFor(kind, 1), { timeout: -1 }), RangeError);
    assert.throws(
      () => q.putSync(itemFor(kind, 1), { timeout: -1 }),
      RangeError,
    );
    assert.throws(() => q.get({ timeout: -1 }), RangeError);
    assert.throws(() => q.getSync({ timeout: NaN }), RangeError);
    assert.throws(
      () => q.get({ timeout: "1" as unknown as number }),
      TypeError,
    );
    assert.throws(() => q.get(true as never), /'options' must be an object/);
    assert.throws(
      () => q.getSync({ block: 0 as unknown as boolean }),
      /'block' must be a boolean/,
    );
    assert.throws(() => q.get({ signal: {} as AbortSignal }), TypeError);
    assert.throws(
      () => q.shutdown({ immediate: 1 as unknown as boolean }),
      TypeError,
    );
    assert.equal(q.qsize(), 0);
    assert.equal(q.isShutdown, false);
  });

  test(`${kind}: putNowait/getNowait`, () => {
    const q = make[kind](QUEUE_SIZE);
    for (let i = 0; i < QUEUE_SIZE; i++) q.putNowait(itemFor(kind, 1));
    assert.throws(() => q.putNowait(itemFor(kind, 1)), QueueFull);
    for (let i = 0; i < QUEUE_SIZE; i++) q.getNowait();
    assert.throws(() => q.getNowait(), QueueEmpty);
  });

  test(`${kind}: maxsize can shrink and grow (Python issue 10110)`, async () => {
    const q = make[kind](3);
    for (const n of [1, 2, 3]) q.putSync(itemFor(kind, n));
    assert.throws(() => q.putNowait(itemFor(kind, 4)), QueueFull);
    assert.equal(q.qsize(), 3);
    q.maxsize = 2;
    assert.equal(q.maxsize, 2);
    assert.throws(() => q.putNowait(itemFor(kind, 4)), QueueFull);
    const waiting = q.put(itemFor(kind, 4));
    q.maxsize = 0;
    await waiting;
    assert.equal(q.qsize(), 4);
    assert.throws(() => (q.maxsize = 1.5), RangeError);
    assert.throws(() => new Queue("3" as unknown as number), TypeError);
    assert.throws(() => new LifoQueue(NaN), RangeError);
    assert.equal(new Queue(-1).maxsize, 0);
    assert.equal(new Queue(Infinity).maxsize, 0);
  });

  test(`${kind}: shutdown of an empty and a non-empty queue`, async () => {
    const empty = make[kind]();
    empty.shutdown();
    assert.throws(() => empty.putSync(itemFor(kind, 1)), QueueShutDown);
    await assert.rejects(empty.put(itemFor(kind, 1)), QueueShutDown);
    await assert.rejects(empty.get(), QueueShutDown);
    assert.throws(() => empty.getSync(), QueueShutDown);

    const nonEmpty = make[kind]();
    nonEmpty.putSync(itemFor(kind, 1));
    nonEmpty.shutdown();
    assert.deepEqual(await nonEmpty.get(), itemFor(kind, 1));
    await assert.rejects(nonEmpty.get(), QueueShutDown);

    const immediate = make[kind]();
    immediate.putSync(itemFor(kind, 1));
    immediate.shutdown({ immediate: true });
    assert.throws(() => immediate.getSync(), QueueShutDown);
  });

  test(`${kind}: shutdown transitions and isShutdown`, () => {
    const q = make[kind]();
    assert.equal(q.isShutdown, false);
    q.shutdown();
    assert.equal(q.isShutdown, true);
    q.shutdown({ immediate: true });
    assert.equal(q.isShutdown, true);
    q.shutdown({ immediate: false });
    assert.equal(q.isShutdown, true);
  });

  for (const immediate of [false, true]) {
    test(`${kind}: every method after shutdown({ immediate: ${immediate} }) in one thread`, async () => {
      const q = make[kind](2);
      q.putSync(itemFor(kind, 1));
      q.putNowait(itemFor(kind, 2));
      q.shutdown({ immediate });
      assert.throws(() => q.putSync(itemFor(kind, 3)), QueueShutDown);
      assert.throws(() => q.putNowait(itemFor(kind, 4)), QueueShutDown);
      if (immediate) {
        assert.throws(() => q.getSync(), QueueShutDown);
        assert.throws(() => q.getNowait(), QueueShutDown);
        assert.throws(() => q.taskDone(), RangeError);
        await q.join();
      } else {
        const got = [q.getSync(), await q.get()];
        assert.equal(got.length, 2);
        q.taskDone();
        q.taskDone();
        q.joinSync();
        assert.throws(() => q.getSync(), QueueShutDown);
        assert.throws(() => q.getNowait(), QueueShutDown);
        assert.throws(() => q.getSync({ timeout: 1000 }), QueueShutDown);
      }
    });

    test(`${kind}: gets in threads after shutdown({ immediate: ${immediate} })`, async () => {
      // As CPython's _shutdown_get: the getters start once the queue is shut
      // down (getters already waiting are in queue_stress_test.ts).
      const q = make[kind](2);
      q.putSync(itemFor(kind, 1));
      q.putSync(itemFor(kind, 2));
      const results = new Int32Array(new SharedArrayBuffer(12));
      const getters = [0, 1, 2].map(() =>
        new Thread({
          target: async (lib: string, q: AnyQueue, results: Int32Array) => {
            const { QueueShutDown } = await import(lib);
            while (Atomics.load(results, 2) === 0) Atomics.wait(results, 2, 0);
            try {
              q.getSync();
              Atomics.add(results, 0, 1);
            } catch (error) {
              if (!(error instanceof QueueShutDown)) throw error;
              Atomics.add(results, 1, 1);
            }
          },
          args: [libraryUrl, q, results],
        }).start()
      );
      q.shutdown({ immediate });
      Atomics.store(results, 2, 1);
      Atomics.notify(results, 2);
      for (const getter of getters) await getter.join();
      // Non-immediate: two getters drain the queue, the third finds it
      // empty and shut down. Immediate: the items were dropped.
      assert.deepEqual([...results], immediate ? [0, 3, 1] : [2, 1, 1]);
    });

    test(`${kind}: shutdown({ immediate: ${immediate} }) wakes putters waiting in threads`, async () => {
      const q = make[kind](2);
      q.putSync(itemFor(kind, 1));
      q.putSync(itemFor(kind, 2));
      const results = new Int32Array(new SharedArrayBuffer(8));
      const putters = [0, 1].map((i) =>
        new Thread({
          target: async (
            lib: string,
            q: AnyQueue,
            results: Int32Array,
            item: unknown,
          ) => {
            const { QueueShutDown } = await import(lib);
            try {
              q.putSync(item);
              Atomics.add(results, 0, 1);
            } catch (error) {
              if (!(error instanceof QueueShutDown)) throw error;
              Atomics.add(results, 1, 1);
            }
          },
          args: [libraryUrl, q, results, itemFor(kind, 10 + i)],
        }).start()
      );
      q.shutdown({ immediate });
      for (const putter of putters) await putter.join();
      assert.deepEqual([...results], [0, 2]);
    });

    test(`${kind}: shutdown({ immediate: ${immediate} }) and join()`, async () => {
      const q = make[kind]();
      q.putSync(itemFor(kind, 1));
      const joined = new Int32Array(new SharedArrayBuffer(4));
      const joiners = [0, 1].map(() =>
        new Thread({
          target: (q: AnyQueue, joined: Int32Array) => {
            q.joinSync();
            Atomics.add(joined, 0, 1);
          },
          args: [q, joined],
        }).start()
      );
      q.shutdown({ immediate });
      if (!immediate) {
        assert.deepEqual(await q.get(), itemFor(kind, 1));
        q.taskDone();
      }
      for (const joiner of joiners) await joiner.join();
      assert.equal(Atomics.load(joined, 0), 2);
    });
  }

  test(`${kind}: a pending get() fails with QueueShutDown on shutdown()`, async () => {
    const q = make[kind]();
    const pending = q.get();
    q.shutdown();
    await assert.rejects(pending, QueueShutDown);
    const pendingSync = new Thread({
      target: async (lib: string, q: AnyQueue) => {
        const { QueueShutDown } = await import(lib);
        try {
          q.getSync();
          return "got";
        } catch (error) {
          return error instanceof QueueShutDown ? "shut down" : String(error);
        }
      },
      args: [libraryUrl, q],
    }).start();
    assert.equal(await pendingSync.join(), "shut down");
  });

  test(`${kind}: async iteration ends when the queue is shut down and drained`, async () => {
    const q = make[kind]();
    for (let i = 0; i < 5; i++) q.putSync(itemFor(kind, i));
    const producer = new Thread({
      target: (q: AnyQueue, items: unknown[]) => {
        for (const item of items) q.putSync(item);
        q.shutdown();
      },
      args: [q, [5, 6, 7].map((n) => itemFor(kind, n))],
    }).start();
    const seen: unknown[] = [];
    for await (const item of q) {
      seen.push(item);
      q.taskDone();
    }
    await producer.join();
    assert.equal(seen.length, 8);
    assert.deepEqual(
      [...seen].sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1),
      [0, 1, 2, 3, 4, 5, 6, 7].map((n) => itemFor(kind, n)),
    );
    await q.join();
  });

  test(`${kind}: an aborted or timed-out wait leaves a consistent queue`, async () => {
    const q = make[kind](1);
    const controller = new AbortController();
    const pending = q.get({ signal: controller.signal });
    controller.abort(new Error("stop"));
    await assert.rejects(pending, /stop/);
    await assert.rejects(q.get({ timeout: 5 }), QueueEmpty);
    assert.throws(() => q.getSync({ timeout: 5 }), QueueEmpty);
    q.putSync(itemFor(kind, 1));
    const controller2 = new AbortController();
    const blockedPut = q.put(itemFor(kind, 2), { signal: controller2.signal });
    controller2.abort();
    await assert.rejects(blockedPut, { name: "AbortError" });
    await assert.rejects(q.put(itemFor(kind, 3), { timeout: 5 }), QueueFull);
    assert.equal(q.qsize(), 1);
    assert.deepEqual(q.getSync(), itemFor(kind, 1));
    assert.throws(() => q.getNowait(), QueueEmpty);
    const aborted = AbortSignal.abort(new Error("already"));
    await assert.rejects(q.get({ signal: aborted }), /already/);
    // The queue still works across threads.
    const thread = new Thread({
      target: (q: AnyQueue, item: unknown) => q.putSync(item),
      args: [q, itemFor(kind, 9)],
    }).start();
    assert.deepEqual(await q.get(), itemFor(kind, 9));
    await thread.join();
  });

  test(`${kind}: an uncloneable item throws a TypeError and changes nothing`, async () => {
    const q = make[kind](2);
    const bad = kind === "PriorityQueue"
      ? [1, { cb: () => 1 }]
      : { cb: () => 1 };
    const path = kind === "PriorityQueue" ? "item[1].cb" : "item.cb";
    for (
      const put of [
        () => q.putSync(bad),
        () => q.putNowait(bad),
        () => q.put(bad),
      ]
    ) {
      assert.throws(put, (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.ok(
          error.message.includes(`${path} is a function`),
          error.message,
        );
        return true;
      });
    }
    // A shared object before the bad part changes nothing either.
    const mixed = [q, new SharedArrayBuffer(8), Symbol("s")];
    assert.throws(
      () => q.putSync(kind === "PriorityQueue" ? [1, mixed] : mixed),
      /\[2\] is a symbol/,
    );
    assert.equal(q.qsize(), 0);
    assert.equal(q.unfinishedTasks, 0);
    q.putSync(itemFor(kind, 1));
    assert.deepEqual(await q.get(), itemFor(kind, 1));
  });

  test(`${kind} arrives in a thread as the same class over the same memory`, async () => {
    const q = make[kind]();
    const thread = new Thread({
      target: async (
        lib: string,
        q: AnyQueue,
        kind: string,
        items: unknown[],
      ) => {
        const m = await import(lib);
        for (const item of items) q.putSync(item);
        return { same: q instanceof m[kind], size: q.qsize() };
      },
      args: [libraryUrl, q, kind, [1, 3, 2].map((n) => itemFor(kind, n))],
    }).start();
    assert.deepEqual(await thread.join(), { same: true, size: 3 });
    const order = {
      Queue: [1, 3, 2],
      LifoQueue: [2, 3, 1],
      PriorityQueue: [1, 2, 3],
    }[kind];
    assert.deepEqual(
      [q.getSync(), q.getSync(), q.getSync()],
      order.map((n) => itemFor(kind, n)),
    );
  });
}

test("Queue keeps structured-clone types and copies items", async () => {
  const q = new Queue<unknown>();
  const item = {
    when: new Date(5),
    map: new Map([["k", new Set([1n])]]),
    bytes: new Uint8Array([1, 2, 3]),
    error: new RangeError("bad", { cause: "why" }),
    nan: NaN,
    neg: -0,
    undef: undefined,
  };
  q.putSync(item);
  item.bytes[0] = 99;
  const got = await q.get() as typeof item;
  assert.equal(got.bytes[0], 1);
  assert.deepEqual(got.map, new Map([["k", new Set([1n])]]));
  assert.ok(got.error instanceof RangeError);
  assert.equal(got.error.cause, "why");
  assert.ok(Number.isNaN(got.nan));
  assert.ok(Object.is(got.neg, -0));
  assert.ok("undef" in got);
});

test("PriorityQueue orders by priority, FIFO among equals, and checks item shape", () => {
  const q = new PriorityQueue<string>();
  const items: [number, string][] = [
    [3, "c1"],
    [-Infinity, "first"],
    [1, "a1"],
    [3, "c2"],
    [-0, "zero1"],
    [0, "zero2"],
    [1, "a2"],
    [Infinity, "last"],
    [1.5, "b"],
  ];
  for (const item of items) q.putSync(item);
  const out = items.map(() => q.getSync()[1]);
  assert.deepEqual(out, [
    "first",
    "zero1",
    "zero2",
    "a1",
    "a2",
    "b",
    "c1",
    "c2",
    "last",
  ]);
  for (
    const bad of [5, "x", [1], [1, 2, 3], ["1", "x"], [NaN, "x"], null, {
      0: 1,
      1: 2,
    }]
  ) {
    assert.throws(
      () => q.putSync(bad as never),
      /'item' must be a \[priority, value\] pair/,
    );
  }
  assert.equal(q.qsize(), 0);
});

test("Queue storage grows, wraps around and keeps order under mixed sizes", () => {
  // A deterministic pseudo-random mix of puts and gets of varying sizes,
  // checked against an array: exercises ring wrap-around and growth while
  // wrapped, the stack and the priority heap's arena compaction.
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const kind of kinds) {
    const q = make[kind]();
    const model: [number, string][] = [];
    let next = 0;
    for (let step = 0; step < 6000; step++) {
      // Grow, then hover around a small size (wrapping the ring), then drain.
      const putShare = step < 2000 ? 0.6 : step < 4000 ? 0.5 : 0.4;
      if (random() < putShare || model.length === 0) {
        const size = random() < 0.05 ? 5000 : Math.floor(random() * 200);
        const entry: [number, string] = [
          Math.floor(random() * 10),
          `${next++}:${"x".repeat(size)}`,
        ];
        q.putSync(kind === "PriorityQueue" ? entry : entry[1]);
        model.push(entry);
      } else {
        let index = kind === "Queue" ? 0 : model.length - 1;
        if (kind === "PriorityQueue") {
          index = 0;
          for (let i = 1; i < model.length; i++) {
            if (model[i][0] < model[index][0]) index = i;
          }
        }
        const [expected] = model.splice(index, 1);
        const got = q.getSync();
        assert.deepEqual(
          got,
          kind === "PriorityQueue" ? expected : expected[1],
        );
      }
      assert.equal(q.qsize(), model.length);
    }
  }
});

test("SimpleQueue: basic put/get/qsize/empty", async () => {
  const q = new SimpleQueue<number>();
  assert.ok(q.empty());
  assert.equal(q.qsize(), 0);
  q.put(1);
  assert.ok(!q.empty());
  assert.equal(q.qsize(), 1);
  q.put(2);
  q.putNowait(3);
  q.putSync(4);
  assert.equal(q.qsize(), 4);
  assert.equal(await q.get(), 1);
  assert.equal(q.getNowait(), 2);
  assert.equal(q.getSync({ block: false }), 3);
  assert.equal(q.getSync({ timeout: 100 }), 4);
  assert.ok(q.empty());
  assert.throws(() => q.getSync({ block: false }), QueueEmpty);
  assert.throws(() => q.getSync({ timeout: 1 }), QueueEmpty);
  assert.throws(() => q.getNowait(), QueueEmpty);
  await assert.rejects(q.get({ timeout: 1 }), QueueEmpty);
  q.put(1);
  assert.throws(() => q.get({ timeout: -1 }), RangeError);
  assert.equal(q.getSync(), 1);
  assert.equal("taskDone" in q || "shutdown" in q || "join" in q, false);
});

test("SimpleQueue: concurrent put() and get() from 4 + 4 threads, in every wait style", async () => {
  for (const style of ["block", "nowait", "timeout"]) {
    const q = new SimpleQueue<number | null>();
    const inputs = 2000;
    const seen = new Uint8Array(new SharedArrayBuffer(inputs));
    const threads: Thread<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      threads.push(
        new Thread({
          target: (q: SimpleQueue<number | null>, from: number, to: number) => {
            for (let n = from; n < to; n++) q.put(n);
            q.put(null);
          },
          args: [q, (i * inputs) / 4, ((i + 1) * inputs) / 4],
        }).start(),
      );
      threads.push(
        new Thread({
          target: async (
            lib: string,
            q: SimpleQueue<number | null>,
            seen: Uint8Array,
            style: string,
          ) => {
            const { QueueEmpty } = await import(lib);
            for (;;) {
              let value: number | null;
              try {
                value = style === "block"
                  ? q.getSync()
                  : style === "nowait"
                  ? q.getSync({ block: false })
                  : q.getSync({ timeout: 0.01 });
              } catch (error) {
                if (error instanceof QueueEmpty) continue;
                throw error;
              }
              if (value === null) return;
              Atomics.add(seen, value, 1);
            }
          },
          args: [libraryUrl, q, seen, style],
        }).start(),
      );
    }
    for (const thread of threads) await thread.join();
    assert.ok(
      seen.every((count) => count === 1),
      `${style}: every item exactly once`,
    );
    assert.ok(q.empty());
  }
});

test("SimpleQueue with one producer and one consumer keeps the order", async () => {
  const q = new SimpleQueue<number | null>();
  const consumer = new Thread({
    target: (q: SimpleQueue<number | null>) => {
      const results: number[] = [];
      for (;;) {
        const value = q.getSync();
        if (value === null) return results;
        results.push(value);
      }
    },
    args: [q],
  }).start();
  for (let i = 0; i < 100; i++) q.put(i);
  q.put(null);
  assert.deepEqual(
    await consumer.join(),
    Array.from({ length: 100 }, (_, i) => i),
  );
});

test("Queue.join() and joinSync() take a timeout", async () => {
  const q = new Queue<number>();
  q.putSync(1);
  await assert.rejects(q.join({ timeout: 5 }), TimeoutError);
  assert.throws(() => q.joinSync({ timeout: 5 }), TimeoutError);
  const controller = new AbortController();
  const joining = q.join({ signal: controller.signal });
  controller.abort(new Error("enough"));
  await assert.rejects(joining, /enough/);
  q.getSync();
  q.taskDone();
  await q.join({ timeout: 5 });
});

test("A thread that ends while waiting on a queue loses no item and leaves it usable", async () => {
  const q = new Queue<number>(1);
  const ready = new Int32Array(new SharedArrayBuffer(8));
  // A thread leaves a put() pending on a full queue and ends (process.exit in
  // a thread ends that thread); then another leaves a get() pending.
  q.putSync(1);
  const quitter = new Thread({
    target: (q: Queue<number>, ready: Int32Array) => {
      void q.put(2).catch(() => {});
      Atomics.store(ready, 0, 1);
      (globalThis as unknown as { process: { exit(): void } }).process.exit();
    },
    args: [q, ready],
  }).start();
  await quitter.join().catch(() => {});
  assert.equal(Atomics.load(ready, 0), 1);
  // The pending put died with its thread: only the committed item is there.
  assert.equal(q.getSync(), 1);
  const empty = new Queue<number>();
  const getter = new Thread({
    target: (q: Queue<number>, ready: Int32Array) => {
      void q.get().then(() => Atomics.store(ready, 1, -1));
      Atomics.store(ready, 1, 1);
      (globalThis as unknown as { process: { exit(): void } }).process.exit();
    },
    args: [empty, ready],
  }).start();
  await getter.join().catch(() => {});
  assert.equal(Atomics.load(ready, 1), 1);
  // A live getter in another thread still gets the next item.
  const live = new Thread({
    target: (q: Queue<number>) => q.getSync({ timeout: 10_000 }),
    args: [empty],
  }).start();
  empty.putSync(42);
  assert.equal(await live.join(), 42);
  assert.equal(empty.qsize(), 0);
  q.putSync(3);
  assert.equal(await q.get(), 3);
});

test("Queue storage stays small when items keep flowing through", () => {
  for (const kind of kinds) {
    const q = make[kind]();
    for (let i = 0; i < 5_000; i++) {
      q.putSync(
        kind === "PriorityQueue" ? [i % 3, "x".repeat(1000)] : "x".repeat(1000),
      );
      if (i % 4 !== 3) continue;
      while (q.qsize() > 2) q.getSync();
    }
    const state = (q as unknown as Record<
      symbol,
      () => { data: { data: SharedArrayBuffer } }
    >)[
      toShared
    ]();
    assert.ok(
      state.data.data.byteLength <= 64 * 1024,
      `${kind}: ${state.data.data.byteLength} bytes`,
    );
  }
});

test("Queues copy items of every length byte for byte", () => {
  // Short items move through shared memory in 32-bit words and a tail of
  // bytes, longer ones in one block: every length around the boundaries,
  // with no two neighbouring bytes alike.
  const lengths = Array.from({ length: 300 }, (_, i) => i);
  const bytesOf = (length: number) =>
    Uint8Array.from({ length }, (_, i) => (i * 7 + length) & 0xff);
  const queues: [string, AnyQueue | SimpleQueue<unknown>][] = [
    ...kinds.map((kind) => [kind, make[kind]()] as [string, AnyQueue]),
    ["SimpleQueue", new SimpleQueue()],
  ];
  for (const [kind, q] of queues) {
    const wrap = (value: unknown) =>
      kind === "PriorityQueue" ? [1, value] : value;
    // One at a time (wrapping the ring), then all at once (growing it).
    for (const length of lengths) {
      q.putSync(wrap(bytesOf(length)));
      assert.deepEqual(q.getSync(), wrap(bytesOf(length)), `${kind} ${length}`);
    }
    for (const length of lengths) q.putSync(wrap(bytesOf(length)));
    const order = kind === "LifoQueue" ? [...lengths].reverse() : lengths;
    for (const length of order) {
      assert.deepEqual(q.getSync(), wrap(bytesOf(length)), `${kind} ${length}`);
    }
  }
});
