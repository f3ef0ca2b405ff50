import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueShutDown,
  Thread,
} from "../mod.ts";
import { GET_WAITERS, PUT_WAITERS } from "../src/queue/_fifo_core.ts";
import { toShared } from "../src/transfer/shareable.ts";
import { libraryUrl } from "./_helpers.ts";

type AnyQueue = Queue<unknown>;

/** The queue's header cells, to watch waiters arrive (a handshake). */
function header(q: object): Int32Array {
  const state =
    (q as Record<symbol, () => { data: { header: SharedArrayBuffer } }>)
      [toShared]();
  return new Int32Array(state.data.header);
}

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 1));
}

test("Queue: 4 producers and 4 consumers move 200,000 items, each once, each producer's order kept", async () => {
  const producers = 4;
  const perProducer = 50_000;
  const q = new Queue<number>();
  const seen = new Uint8Array(new SharedArrayBuffer(producers * perProducer));
  const threads: Thread<unknown>[] = [];
  for (let p = 0; p < producers; p++) {
    threads.push(
      new Thread({
        target: (q: Queue<number>, p: number, n: number) => {
          for (let i = 0; i < n; i++) q.putSync(p * n + i);
        },
        args: [q, p, perProducer],
      }).start(),
    );
  }
  const consumers: Thread<unknown>[] = [];
  for (let c = 0; c < 4; c++) {
    consumers.push(
      new Thread({
        target: async (
          q: Queue<number>,
          seen: Uint8Array,
          n: number,
          useAsync: boolean,
        ) => {
          const last = [-1, -1, -1, -1];
          let count = 0;
          for (;;) {
            const item = useAsync ? await q.get() : q.getSync();
            if (item < 0) return count;
            const p = Math.floor(item / n);
            if (item <= last[p]) {
              throw new Error(`producer ${p}: ${item} came after ${last[p]}`);
            }
            last[p] = item;
            Atomics.add(seen, item, 1);
            count++;
          }
        },
        args: [q, seen, perProducer, c % 2 === 0],
      }).start(),
    );
  }
  for (const thread of threads) await thread.join();
  for (let c = 0; c < 4; c++) q.putSync(-1);
  let total = 0;
  for (const consumer of consumers) total += (await consumer.join()) as number;
  assert.equal(total, producers * perProducer);
  const missing = seen.findIndex((count) => count !== 1);
  assert.equal(missing, -1, `item ${missing} delivered ${seen[missing]} times`);
  assert.equal(q.qsize(), 0);
});

test("Queue: items of varying sizes cross 2 + 2 threads intact, also while the ring wraps", async () => {
  for (const maxsize of [0, 3]) {
    const q = new Queue<[number, number, string]>(maxsize);
    const n = 5_000;
    const producers = [0, 1].map((p) =>
      new Thread({
        target: (q: Queue<[number, number, string]>, p: number, n: number) => {
          for (let i = 0; i < n; i++) {
            const size = (i * 7919 + p * 104729) % 3000;
            q.putSync([p, i, String.fromCharCode(97 + (i % 26)).repeat(size)]);
          }
          q.putSync([-1, 0, ""]);
        },
        args: [q, p, n],
      }).start()
    );
    const consumers = [0, 1].map(() =>
      new Thread({
        target: (q: Queue<[number, number, string]>) => {
          let count = 0;
          for (;;) {
            const [p, i, text] = q.getSync();
            if (p < 0) return count;
            const size = (i * 7919 + p * 104729) % 3000;
            const expected = String.fromCharCode(97 + (i % 26)).repeat(size);
            if (text !== expected) {
              throw new Error(`item ${p}/${i} was corrupted`);
            }
            count++;
          }
        },
        args: [q],
      }).start()
    );
    for (const producer of producers) await producer.join();
    let total = 0;
    for (const consumer of consumers) {
      total += (await consumer.join()) as number;
    }
    assert.equal(total, 2 * n);
  }
});

test("LifoQueue and PriorityQueue keep their order across threads and deliver each item once", async () => {
  const lifo = new LifoQueue<number>();
  const producer = new Thread({
    target: (q: LifoQueue<number>) => {
      for (let i = 0; i < 10_000; i++) q.putSync(i);
    },
    args: [lifo],
  }).start();
  await producer.join();
  const drainer = new Thread({
    target: (q: LifoQueue<number>) => {
      const out: number[] = [];
      while (!q.empty()) out.push(q.getSync());
      return out;
    },
    args: [lifo],
  }).start();
  const drained = (await drainer.join()) as number[];
  assert.deepEqual(
    drained,
    Array.from({ length: 10_000 }, (_, i) => 9_999 - i),
  );

  const pq = new PriorityQueue<[number, number]>();
  const producers = [0, 1, 2, 3].map((p) =>
    new Thread({
      target: (q: PriorityQueue<[number, number]>, p: number) => {
        let seed = p + 1;
        for (let i = 0; i < 5_000; i++) {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          q.putSync([seed % 10, [p, i]]);
        }
      },
      args: [pq, p],
    }).start()
  );
  for (const thread of producers) await thread.join();
  assert.equal(pq.qsize(), 20_000);
  const consumer = new Thread({
    target: (q: PriorityQueue<[number, number]>) => {
      const out: [number, [number, number]][] = [];
      while (!q.empty()) out.push(q.getSync());
      return out;
    },
    args: [pq],
  }).start();
  const items = (await consumer.join()) as [number, [number, number]][];
  assert.equal(items.length, 20_000);
  const lastOf = new Map<string, number>();
  for (let k = 0; k < items.length; k++) {
    const [priority, [p, i]] = items[k];
    if (k > 0) {
      assert.ok(items[k - 1][0] <= priority, "priorities are ascending");
    }
    const key = `${priority}/${p}`;
    assert.ok((lastOf.get(key) ?? -1) < i, "FIFO among equal priorities");
    lastOf.set(key, i);
  }

  // Concurrent producers and consumers on both: each item exactly once.
  for (
    const q of [
      new LifoQueue<number>(),
      new PriorityQueue<number>(),
    ] as AnyQueue[]
  ) {
    const seen = new Uint8Array(new SharedArrayBuffer(20_000));
    const pair = q instanceof PriorityQueue;
    const threads = [0, 1].map((p) =>
      new Thread({
        target: (q: AnyQueue, p: number, pair: boolean) => {
          for (let i = 0; i < 10_000; i++) {
            const n = p * 10_000 + i;
            q.putSync(pair ? [n % 7, n] : n);
          }
        },
        args: [q, p, pair],
      }).start()
    );
    const consumers = [0, 1].map(() =>
      new Thread({
        target: (q: AnyQueue, seen: Uint8Array, pair: boolean) => {
          for (;;) {
            const got = q.getSync();
            const n = (pair ? (got as [number, number])[1] : got) as number;
            if (n < 0) return;
            Atomics.add(seen, n, 1);
          }
        },
        args: [q, seen, pair],
      }).start()
    );
    for (const thread of threads) await thread.join();
    // A LIFO would hand out a stop marker before the items under it.
    await until(() => q.empty());
    for (let i = 0; i < 2; i++) q.putSync(pair ? [Infinity, -1] : -1);
    for (const thread of consumers) await thread.join();
    assert.ok(seen.every((count) => count === 1), "each item exactly once");
  }
});

test("Queue(8): 4 producers block when it is full and wake when consumers make room", async () => {
  const maxsize = 8;
  const q = new Queue<number>(maxsize);
  const n = 10_000;
  const stats = new Int32Array(new SharedArrayBuffer(8));
  const seen = new Uint8Array(new SharedArrayBuffer(4 * n));
  const producers = [0, 1, 2, 3].map((p) =>
    new Thread({
      target: async (
        lib: string,
        q: Queue<number>,
        p: number,
        n: number,
        stats: Int32Array,
      ) => {
        const { QueueFull } = await import(lib);
        for (let i = 0; i < n; i++) {
          try {
            q.putNowait(p * n + i);
          } catch (error) {
            if (!(error instanceof QueueFull)) throw error;
            Atomics.add(stats, 0, 1);
            if (i % 2 === 0) q.putSync(p * n + i);
            else await q.put(p * n + i);
          }
        }
      },
      args: [libraryUrl, q, p, n, stats],
    }).start()
  );
  const consumers = [0, 1].map(() =>
    new Thread({
      target: (
        q: Queue<number>,
        seen: Uint8Array,
        stats: Int32Array,
        maxsize: number,
      ) => {
        for (;;) {
          if (q.qsize() > maxsize) Atomics.add(stats, 1, 1);
          const item = q.getSync();
          if (item < 0) return;
          Atomics.add(seen, item, 1);
        }
      },
      args: [q, seen, stats, maxsize],
    }).start()
  );
  for (const thread of producers) await thread.join();
  q.putSync(-1);
  q.putSync(-1);
  for (const thread of consumers) await thread.join();
  assert.ok(seen.every((count) => count === 1), "each item exactly once");
  assert.equal(
    Atomics.load(stats, 1),
    0,
    "the queue never held more than maxsize",
  );
  assert.ok(
    Atomics.load(stats, 0) > 0,
    "producers found the queue full and waited",
  );
});

test("Queue.join() returns only when worker threads marked every task done", async () => {
  const q = new Queue<number>();
  const sum = new Int32Array(new SharedArrayBuffer(4));
  const workers = [0, 1, 2, 3].map(() =>
    new Thread({
      target: async (lib: string, q: Queue<number>, sum: Int32Array) => {
        const { QueueShutDown } = await import(lib);
        for (;;) {
          let item: number;
          try {
            item = q.getSync();
          } catch (error) {
            if (error instanceof QueueShutDown) return;
            throw error;
          }
          Atomics.add(sum, 0, item);
          q.taskDone();
        }
      },
      args: [libraryUrl, q, sum],
    }).start()
  );
  let expected = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 1; i <= 2_000; i++) {
      q.putSync(i);
      expected += i;
    }
    if (round % 2 === 0) await q.join();
    else q.joinSync();
    assert.equal(Atomics.load(sum, 0), expected);
  }
  q.shutdown();
  for (const worker of workers) await worker.join();
  assert.equal(q.unfinishedTasks, 0);
});

for (const immediate of [false, true]) {
  test(`Queue.shutdown({ immediate: ${immediate} }) with putters and getters waiting in threads`, async () => {
    const full = new Queue<string>(1);
    full.putSync("kept");
    const empty = new Queue<string>();
    const outcomes = new Int32Array(new SharedArrayBuffer(8));
    const side = (q: Queue<string>, put: boolean) =>
      new Thread({
        target: async (
          lib: string,
          q: Queue<string>,
          put: boolean,
          outcomes: Int32Array,
        ) => {
          const { QueueShutDown } = await import(lib);
          try {
            if (put) q.putSync("extra");
            else await q.get();
            Atomics.add(outcomes, 0, 1);
          } catch (error) {
            if (!(error instanceof QueueShutDown)) throw error;
            Atomics.add(outcomes, 1, 1);
          }
        },
        args: [libraryUrl, q, put, outcomes],
      }).start();
    const threads = [
      side(full, true),
      side(full, true),
      side(empty, false),
      side(empty, false),
    ];
    const fullCells = header(full);
    const emptyCells = header(empty);
    await until(() =>
      Atomics.load(fullCells, PUT_WAITERS) === 2 &&
      Atomics.load(emptyCells, GET_WAITERS) === 2
    );
    full.shutdown({ immediate });
    empty.shutdown({ immediate });
    for (const thread of threads) await thread.join();
    assert.deepEqual([...outcomes], [0, 4]);
    if (immediate) assert.throws(() => full.getSync(), QueueShutDown);
    else assert.equal(full.getSync(), "kept");
    assert.throws(() => full.getSync(), QueueShutDown);
    assert.equal(Atomics.load(fullCells, PUT_WAITERS), 0);
    assert.equal(Atomics.load(emptyCells, GET_WAITERS), 0);
  });
}

test("Queue carries 8 MB items between threads, also through a bounded queue", async () => {
  for (const maxsize of [0, 1]) {
    const q = new Queue<unknown>(maxsize);
    const producer = new Thread({
      target: (q: Queue<unknown>) => {
        const size = 8 * 1024 * 1024;
        for (let k = 0; k < 3; k++) {
          const bytes = new Uint8Array(size);
          for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096 + k) & 0xff;
          bytes[size - 1] = k;
          q.putSync(bytes);
        }
        q.putSync("é".repeat(4 * 1024 * 1024));
        q.putSync({ floats: new Float64Array(1024 * 1024).fill(1.5) });
      },
      args: [q],
    }).start();
    for (let k = 0; k < 3; k++) {
      const bytes = (k % 2 === 0 ? await q.get() : q.getSync()) as Uint8Array;
      assert.equal(bytes.length, 8 * 1024 * 1024);
      assert.equal(bytes[bytes.length - 1], k);
      for (let i = 0; i < bytes.length; i += 4096) {
        if (bytes[i] !== ((i / 4096 + k) & 0xff)) {
          assert.fail(`byte ${i} of item ${k}`);
        }
      }
    }
    assert.equal(q.getSync(), "é".repeat(4 * 1024 * 1024));
    const { floats } = (await q.get()) as { floats: Float64Array };
    assert.equal(floats.length, 1024 * 1024);
    assert.ok(floats.every((x) => x === 1.5));
    await producer.join();
  }
});
