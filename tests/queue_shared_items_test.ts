/**
 * Shared objects inside queue items and SharedMap values: they arrive live
 * (views over the same memory), in every direction, with no thread's event
 * loop involved.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Event,
  Lock,
  Queue,
  SharedMap,
  Thread,
  ThreadPoolExecutor,
} from "../mod.ts";
import { libraryUrl } from "./_helpers.ts";

/** The part of a queue a thread target uses. */
interface Channel<T> {
  getSync(): T;
  putSync(item: T): void;
}

interface Pair {
  lock: Lock;
  buf: Int32Array;
  own?: Int32Array;
}

test("Queue items carry a Lock and an Int32Array live: main → thread → thread → main", async () => {
  const lock = new Lock();
  const buf = new Int32Array(new SharedArrayBuffer(8));
  const first = new Queue<{ deep: Pair[] }>();
  const second = new Queue<Pair>();
  const back = new Queue<Pair>();
  first.putSync({ deep: [{ lock, buf }] });
  const a = new Thread({
    target: (from: Channel<{ deep: Pair[] }>, to: Channel<Pair>) => {
      const { lock, buf } = from.getSync().deep[0];
      lock.acquireSync();
      buf[0] += 1;
      lock.release();
      const own = new Int32Array(new SharedArrayBuffer(4));
      own[0] = 5;
      to.putSync({ lock, buf, own });
    },
    args: [first, second],
  }).start();
  const b = new Thread({
    target: (from: Channel<Pair>, to: Channel<Pair>) => {
      const item = from.getSync();
      item.buf[1] = 2;
      item.own![0] += 1;
      to.putSync(item);
    },
    args: [second, back],
  }).start();
  const item = await back.get();
  await a.join();
  await b.join();
  assert.ok(item.lock instanceof Lock);
  assert.notEqual(item.lock, lock);
  assert.deepEqual([...buf], [1, 2]);
  assert.equal(item.own![0], 6);
  item.buf[0] = 10;
  assert.equal(buf[0], 10, "the same memory, not a copy");
  lock.acquireSync();
  assert.equal(item.lock.locked(), true, "the same lock");
  assert.equal(item.lock.acquireSync({ blocking: false }), false);
  lock.release();
  assert.equal(item.lock.locked(), false);
});

test("A Lock that arrived only through a queue guards a counter across 4 threads exactly", async () => {
  const THREADS = 4;
  const ROUNDS = 5_000;
  const handout = new Queue<{ lock: Lock; counter: Int32Array }>();
  const threads = Array.from({ length: THREADS }, () =>
    new Thread({
      target: (
        handout: Channel<{ lock: Lock; counter: Int32Array }>,
        rounds: number,
      ) => {
        const { lock, counter } = handout.getSync();
        for (let i = 0; i < rounds; i++) {
          lock.acquireSync();
          // A read-modify-write that loses updates unless the lock works.
          const value = counter[0];
          let spin = 0;
          for (let j = 0; j < 20; j++) spin += j;
          counter[0] = value + 1 + (spin - 190);
          lock.release();
        }
      },
      args: [handout, ROUNDS],
    }).start());
  const lock = new Lock();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < THREADS; i++) handout.putSync({ lock, counter });
  await Promise.all(threads.map((t) => t.join()));
  assert.equal(counter[0], THREADS * ROUNDS);
});

test("A Queue sent inside another queue's item carries the replies", async () => {
  const requests = new Queue<{ n: number; reply: Queue<unknown> } | null>();
  const server = new Thread({
    target: async (
      lib: string,
      requests: Channel<{ n: number; reply: Channel<unknown> } | null>,
    ) => {
      const m = await import(lib);
      for (;;) {
        const request = requests.getSync();
        if (request === null) break;
        request.reply.putSync(request.n * 2);
      }
      // A queue made here, sent back the same way, and read here.
      const last = requests.getSync()!;
      const inbox = new m.Queue();
      last.reply.putSync(inbox);
      return inbox.getSync();
    },
    args: [libraryUrl, requests],
  }).start();
  for (let n = 0; n < 5; n++) {
    const reply = new Queue<unknown>();
    requests.putSync({ n, reply });
    assert.equal(await reply.get(), n * 2);
  }
  requests.putSync(null);
  const reply = new Queue<unknown>();
  requests.putSync({ n: -1, reply });
  const inbox = await reply.get();
  assert.ok(inbox instanceof Queue);
  inbox.putSync("bye");
  assert.equal(await server.join(), "bye");
});

test("A SharedMap value holding an Event arrives live, both ways", async () => {
  const map = new SharedMap<string, Event>();
  const go = new Event();
  map.set("go", go);
  const thread = new Thread({
    target: async (lib: string, map: SharedMap<string, Event>) => {
      const m = await import(lib);
      map.set("done", new m.Event());
      map.get("go")!.set();
      return map.get("done")!.waitSync({ timeout: 30_000 });
    },
    args: [libraryUrl, map],
  }).start();
  assert.equal(await go.wait({ timeout: 30_000 }), true);
  const done = map.get("done")!;
  assert.ok(done instanceof Event);
  done.set();
  assert.equal(await thread.join(), true);
  assert.equal(map.get("done")!.isSet(), true);
});

test("The same SharedArrayBuffer sent twice arrives as views over one memory", async () => {
  const sab = new SharedArrayBuffer(8);
  const q = new Queue<unknown>();
  q.putSync(new Int32Array(sab));
  q.putSync({ again: new Uint8Array(sab, 4, 4), twice: [sab, sab] });
  const thread = new Thread({
    target: (q: Channel<unknown>) => {
      const first = q.getSync() as Int32Array;
      const second = q.getSync() as {
        again: Uint8Array;
        twice: SharedArrayBuffer[];
      };
      first[1] = 0x01020304;
      return {
        bytes: [...second.again],
        sameObject: first.buffer === second.again.buffer &&
          second.twice[0] === second.twice[1],
      };
    },
    args: [q],
  }).start();
  const { bytes, sameObject } = await thread.join();
  assert.deepEqual(bytes, [4, 3, 2, 1]);
  assert.equal(sameObject, true);
  assert.equal(new Int32Array(sab)[1], 0x01020304);
});

test("getSync() in a thread gets shared memory while the main thread is blocked", async () => {
  // [0]: go, [1]: the consumer got its item.
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const q = new Queue<{ lock: Lock; view: Int32Array }>();
  const results = new Queue<Int32Array>();
  const consumer = new Thread({
    target: (
      q: Channel<{ lock: Lock; view: Int32Array }>,
      results: Channel<Int32Array>,
      flags: Int32Array,
    ) => {
      const { lock, view } = q.getSync();
      lock.acquireSync();
      view[0] += 42;
      lock.release();
      Atomics.store(flags, 1, 1);
      Atomics.notify(flags, 1);
      results.putSync(view);
    },
    args: [q, results, flags],
  }).start();
  const producer = new Thread({
    target: async (
      lib: string,
      q: Channel<{ lock: Lock; view: Int32Array }>,
      flags: Int32Array,
    ) => {
      const m = await import(lib);
      Atomics.wait(flags, 0, 0);
      // Made after the main thread blocked: new to everyone.
      const view = new Int32Array(new SharedArrayBuffer(4));
      view[0] = 1;
      q.putSync({ lock: new m.Lock(), view });
    },
    args: [libraryUrl, q, flags],
  }).start();
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  // Blocked without an event loop while the threads exchange the item.
  assert.notEqual(Atomics.wait(flags, 1, 0, 60_000), "timed-out");
  // Blocked in getSync() while the item comes back.
  const view = results.getSync({ timeout: 60_000 });
  assert.equal(view[0], 43);
  await producer.join();
  await consumer.join();
});

test("Shared memory put by threads that have ended still arrives", async () => {
  const q = new Queue<{ lock: Lock; view: Int32Array; depth: number }>();
  const parent = new Thread({
    target: async (lib: string, q: Channel<unknown>) => {
      const m = await import(lib);
      const put = (lib: string, q: Channel<unknown>, depth: number) =>
        import(lib).then((m) => {
          const view = new Int32Array(new SharedArrayBuffer(4));
          view[0] = depth;
          q.putSync({ lock: new m.Lock(), view, depth });
        });
      // Started by a thread: its port to the directory went through ours.
      const child = new m.Thread({ target: put, args: [lib, q, 2] }).start();
      await child.join();
      await put(lib, q, 1);
    },
    args: [libraryUrl, q],
  }).start();
  await parent.join();
  const items = [q.getSync(), q.getSync()].sort((a, b) => a.depth - b.depth);
  for (const [i, item] of items.entries()) {
    assert.equal(item.view[0], i + 1);
    assert.equal(item.lock.acquireSync(), true);
  }
});

test("Pool workers of a ThreadPoolExecutor send and receive shared memory through queues", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const q = new Queue<unknown>();
  const view = new Int32Array(new SharedArrayBuffer(4));
  q.putSync({ view });
  const result = await pool.submit((q: Channel<unknown>) => {
    const { view } = q.getSync() as { view: Int32Array };
    view[0] = 11;
    const mine = new Int32Array(new SharedArrayBuffer(4));
    mine[0] = 12;
    q.putSync(mine);
    return view[0];
  }, q);
  assert.equal(result, 11);
  assert.equal(view[0], 11);
  assert.equal((q.getSync() as Int32Array)[0], 12);
});

test("An uncloneable part next to shared objects throws a TypeError and leaves the queue unchanged", async () => {
  const q = new Queue<{ lock: Lock; sab: SharedArrayBuffer }>();
  const anyQ = q as Queue<unknown>;
  const lock = new Lock();
  const sab = new SharedArrayBuffer(4);
  assert.throws(
    () => anyQ.putSync({ lock, sab, cb: () => 1 }),
    /^TypeError: Cannot put an item in the queue: item\.cb is a function/,
  );
  assert.throws(() => anyQ.putNowait([sab, Symbol("s")]), TypeError);
  // put() fails at once too, before returning a promise.
  assert.throws(() => anyQ.put({ lock, p: Promise.resolve() }), TypeError);
  assert.equal(q.qsize(), 0);
  q.putSync({ lock, sab });
  const thread = new Thread({
    target: (q: Channel<{ lock: Lock; sab: SharedArrayBuffer }>) => {
      const { lock, sab } = q.getSync();
      new Int32Array(sab)[0] = 3;
      return lock.acquireSync({ blocking: false });
    },
    args: [q],
  }).start();
  assert.equal(await thread.join(), true);
  assert.equal(lock.locked(), true);
  assert.equal(new Int32Array(sab)[0], 3);
});

test("Fresh shared buffers from 3 producers reach 2 consumers, every one exactly once", async () => {
  const PRODUCERS = 3;
  const ITEMS = 300;
  const q = new Queue<Int32Array | null>(50);
  // One cell per item: how often it arrived with the right contents.
  const seen = new Int32Array(new SharedArrayBuffer(4 * PRODUCERS * ITEMS));
  const consumers = [0, 1].map(() =>
    new Thread({
      target: (q: Channel<Int32Array | null>, seen: Int32Array) => {
        for (;;) {
          const view = q.getSync();
          if (view === null) return;
          // Written by the producer before the put: the same memory.
          if (view[1] === view[0] * 7) Atomics.add(seen, view[0], 1);
          view[1] = -1; // seen by the producer's own view
        }
      },
      args: [q, seen],
    }).start()
  );
  const producers = Array.from({ length: PRODUCERS }, (_, p) =>
    new Thread({
      target: (q: Channel<Int32Array | null>, p: number, items: number) => {
        const mine: Int32Array[] = [];
        for (let i = 0; i < items; i++) {
          const view = new Int32Array(new SharedArrayBuffer(8));
          view[0] = p * items + i;
          view[1] = view[0] * 7;
          mine.push(view);
          q.putSync(view);
        }
        return mine;
      },
      args: [q, p, ITEMS],
    }).start());
  const returned = await Promise.all(producers.map((t) => t.join()));
  q.putSync(null);
  q.putSync(null);
  await Promise.all(consumers.map((t) => t.join()));
  assert.deepEqual([...seen], new Array(PRODUCERS * ITEMS).fill(1));
  // The producers' views came back through their return values: the
  // consumers' writes are there.
  for (const views of returned) {
    for (const view of views) assert.equal(view[1], -1);
  }
});
