// Values cross threads as structuredClone would carry them (API.md, "Precise
// semantics" → "Values"): Thread args and return values, queue items, map
// keys and values, executor arguments and results. The differential fuzzer
// (value_fuzz_test.ts) covers random values; these are the cases found by
// hand, each of which failed once.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LifoQueue,
  Lock,
  moduleFunction,
  PriorityQueue,
  Queue,
  SharedMap,
  SimpleQueue,
  Thread,
  ThreadPoolExecutor,
} from "../mod.ts";

test("Thread.join() resolves null when the target returns null", async () => {
  assert.equal(await new Thread({ target: () => null }).start().join(), null);
  assert.equal(
    await new Thread({ target: () => Promise.resolve(null) }).start().join(),
    null,
  );
  assert.equal(new Thread({ target: () => null }).start().joinSync(), null);
});

test("Queue, SharedMap and ThreadPoolExecutor keep a leading U+FEFF in every string", async () => {
  const bom = "\uFEFF";
  const item = {
    [bom + "a"]: 1,
    a: 2,
    text: bom + "x",
    long: bom + "é".repeat(40),
    list: [bom, bom + bom],
  };
  for (const q of [new Queue(), new LifoQueue(), new SimpleQueue()]) {
    q.putSync(item);
    q.putSync(bom);
    q.putSync(bom + "long text ü".repeat(10));
    assert.deepEqual(
      q.getSync(),
      q instanceof LifoQueue ? bom + "long text ü".repeat(10) : item,
    );
    assert.equal(q.getSync(), bom);
    assert.deepEqual(
      q.getSync(),
      q instanceof LifoQueue ? item : bom + "long text ü".repeat(10),
    );
  }
  const pq = new PriorityQueue<unknown>();
  pq.putSync([1, item]);
  assert.deepEqual(pq.getSync(), [1, item]);
  const map = new SharedMap<string, unknown>();
  map.set(bom + "k", 1);
  map.set("k", 2);
  map.set(bom + "ü".repeat(40), item);
  assert.deepEqual(
    [...map.keys()].sort(),
    [bom + "k", bom + "ü".repeat(40), "k"].sort(),
  );
  assert.equal(map.get(bom + "k"), 1);
  assert.deepEqual(map.get(bom + "ü".repeat(40)), item);
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.deepEqual(
    await pool.submit((v: unknown) => [v, "\uFEFF" + "y"], item),
    [item, bom + "y"],
  );
  assert.equal(await pool.submit((s: string) => s, bom), bom);
});

/** `depth` arrays, each holding the next; the innermost holds 1. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

test("Queue keeps holes, named array properties and __proto__ keys, as structuredClone", () => {
  const holey = [1, , 3];
  const named = Object.assign([1, 2], { label: "x", "01": 5 });
  const proto = JSON.parse('{"__proto__": {"a": 1}, "b": [2]}');
  const q = new Queue();
  for (const item of [holey, named, proto, { list: named }]) {
    q.putSync(item);
    const copy = q.getSync();
    assert.deepEqual(copy, structuredClone(item));
    assert.deepEqual(Object.keys(copy as object), Object.keys(item));
  }
  q.putSync(holey);
  assert.equal(1 in (q.getSync() as unknown[]), false);
});

test("Queue keeps arrays whose holes and named properties balance, and long ones", () => {
  // As many keys as the length: one hole, one named property.
  const balanced = Object.assign([1, , 3], { label: "x" });
  // Past the short-array path (16 elements) and past the element scan (65,536).
  const long = Object.assign(Array.from({ length: 40 }, (_, i) => i), {
    tag: { a: 1 },
  });
  const holeyLong: unknown[] = Array.from({ length: 70_000 }, (_, i) => i);
  delete holeyLong[69_999];
  const denseLong = Array.from({ length: 70_000 }, (_, i) => i % 7);
  const q = new Queue();
  for (const item of [balanced, long, holeyLong, denseLong, [], [undefined]]) {
    q.putSync(item);
    const copy = q.getSync() as unknown[];
    assert.deepEqual(copy, structuredClone(item));
    assert.deepEqual(Object.keys(copy), Object.keys(item));
  }
});

test("Queue ignores enumerable properties an array inherits, as structuredClone", () => {
  const proto = Array.prototype as unknown as Record<string, unknown>;
  proto.inherited = 1;
  try {
    const item = Array.from({ length: 20 }, (_, i) => i);
    const q = new Queue();
    q.putSync(item);
    const copy = q.getSync() as unknown[];
    assert.deepEqual(Object.keys(copy), Object.keys(structuredClone(item)));
  } finally {
    delete proto.inherited;
  }
});

test("Queue carries a sparse array in time proportional to its elements", () => {
  // Element by element, 2 ** 32 - 2 indices would take minutes.
  const sparse: unknown[] = [];
  sparse[2 ** 32 - 2] = "last";
  sparse[7] = { a: 1 };
  const q = new SimpleQueue();
  q.putSync(sparse);
  const copy = q.getSync() as unknown[];
  assert.equal(copy.length, 2 ** 32 - 1);
  assert.deepEqual(Object.keys(copy), ["7", String(2 ** 32 - 2)]);
  assert.equal(copy[2 ** 32 - 2], "last");
  assert.deepEqual(copy[7], { a: 1 });
});

test("Queue.putSync() refuses a Proxy, as structuredClone does, naming its path", () => {
  const q = new Queue();
  assert.throws(() => structuredClone(new Proxy({}, {})));
  assert.throws(
    () => q.putSync({ inner: [0, new Proxy({}, {})] }),
    (error: Error) =>
      error instanceof TypeError &&
      /^Cannot put an item in the queue: item\.inner\[1\] is a Proxy, which cannot be cloned/
        .test(error.message),
  );
  assert.throws(() => q.putSync(new Proxy([1], {})), TypeError);
  assert.equal(q.qsize(), 0);
});

test("Queue.putSync() names a Map key that String() cannot convert", () => {
  const key = Object.create(null);
  const q = new Queue();
  q.putSync(new Map([[key, 1]]));
  const [copy] = q.getSync() as Map<unknown, number>;
  assert.deepEqual(copy, [{}, 1]);
  assert.throws(
    () => q.putSync(new Map([[key, () => 1]])),
    (error: Error) =>
      error instanceof TypeError && /item\.get\(a key /.test(error.message),
  );
});

test("Queue.putSync() refuses an item nested too deeply, and a deep item that was accepted arrives whole", async () => {
  const q = new Queue();
  assert.throws(
    () => q.putSync({ a: nested(5_000) }),
    (error: Error) =>
      error instanceof RangeError &&
      /^Cannot put an item in the queue: item nests objects more than 1000 levels deep/
        .test(error.message),
  );
  assert.equal(q.qsize(), 0);
  // At the limit, decoding succeeds in a thread, however small its stack.
  q.putSync(nested(999));
  q.putSync("next");
  const depth = await new Thread({
    target: (queue: Queue<unknown>) => {
      let value = queue.getSync();
      let depth = 0;
      while (Array.isArray(value)) {
        value = value[0];
        depth++;
      }
      return [depth, queue.getSync()];
    },
    args: [q],
  }).start().join();
  assert.deepEqual(depth, [999, "next"]);
});

test("Thread args and return values keep holes, named array properties, __proto__ keys and any Map key", async () => {
  const key = Object.create(null);
  key.k = 1;
  const args = [
    [1, , 3],
    Object.assign([1], { label: "x" }),
    JSON.parse('{"__proto__": {"a": 1}, "b": 2}'),
    new Map<unknown, unknown>([[key, "v"], [[1, , 2], "w"]]),
  ];
  // Without shared objects the args go to postMessage as they are; with
  // one, they are copied around it: both ways must keep everything.
  for (const extra of [[], [new Lock()]] as unknown[][]) {
    const echoed = await new Thread({
      target: (...values: unknown[]) => values,
      args: [...args, ...extra],
    }).start().join() as unknown[];
    assert.deepEqual(echoed.slice(0, args.length), structuredClone(args));
    assert.equal(1 in (echoed[0] as unknown[]), false);
    assert.deepEqual(Object.keys(echoed[2] as object), ["__proto__", "b"]);
    const seen = await new Thread({
      target: (...values: unknown[]) => [
        1 in (values[0] as unknown[]),
        Object.keys(values[1] as unknown[]),
        Object.keys(values[2] as object),
      ],
      args: [...args, ...extra],
    }).start().join();
    assert.deepEqual(seen, [false, ["0", "label"], ["__proto__", "b"]]);
  }
});

test("Thread args carry a sparse array in time proportional to its elements", async () => {
  // Index by index, 2 ** 32 - 2 indices would take minutes.
  const sparse: unknown[] = [];
  sparse[2 ** 32 - 2] = "last";
  for (const extra of [[], [new Lock()]] as unknown[][]) {
    const seen = await new Thread({
      target: (...values: unknown[]) => {
        const a = values[0] as unknown[];
        return [a.length, Object.keys(a), a];
      },
      args: [sparse, ...extra],
    }).start().join();
    assert.deepEqual((seen as unknown[]).slice(0, 2), [2 ** 32 - 1, [
      String(2 ** 32 - 2),
    ]]);
  }
});

test("Thread refuses a Proxy or a value nested too deeply, naming the argument", async () => {
  assert.throws(
    () =>
      new Thread({
        target: (..._: unknown[]) => 1,
        args: [1, { p: new Proxy({}, {}) }] as unknown[],
      }),
    (error: Error) =>
      error instanceof TypeError &&
      /^Cannot send args\[1\]\.p to another thread: a Proxy cannot be cloned/
        .test(error.message),
  );
  assert.throws(
    () =>
      new Thread({
        target: (..._: unknown[]) => 1,
        args: [nested(5_000)],
      }),
    (error: Error) =>
      error instanceof RangeError &&
      /^Cannot send args to another thread: it nests objects more than 1000 levels deep/
        .test(error.message),
  );
  await assert.rejects(
    new Thread({
      target: () => {
        let value: unknown = 1;
        for (let i = 0; i < 5_000; i++) value = [value];
        return value;
      },
    }).start().join(),
    (error: Error) =>
      error instanceof RangeError &&
      /^Cannot send the return value to another thread: it nests objects more than 1000 levels deep/
        .test(error.message),
  );
});

test("ThreadPoolExecutor keeps holes, named properties and sparse arrays, and names an uncloneable result's type", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const sparse: unknown[] = [];
  sparse[2 ** 32 - 2] = 1n;
  const args = [[1, , 3], Object.assign([1], { label: "x" }), sparse];
  const echoed = await pool.submit((...values: unknown[]) => values, ...args);
  // Not deepEqual with the sparse array: assert and Bun's structuredClone
  // visit every index.
  assert.deepEqual(echoed.slice(0, 2), structuredClone(args.slice(0, 2)));
  assert.equal((echoed[2] as unknown[]).length, 2 ** 32 - 1);
  assert.equal((echoed[2] as unknown[])[2 ** 32 - 2], 1n);
  assert.equal(1 in (echoed[0] as unknown[]), false);
  assert.deepEqual(Object.keys(echoed[1] as unknown[]), ["0", "label"]);
  assert.deepEqual(Object.keys(echoed[2] as unknown[]), [String(2 ** 32 - 2)]);
  // An object met twice stays one object (JSON text would copy it).
  const shared = { a: 1 };
  assert.equal(
    await pool.submit((v: object[]) => v[0] === v[1], [shared, shared]),
    true,
  );
  const pair = await pool.submit(() => {
    const o = { b: 2 };
    return [o, o];
  });
  assert.equal(pair[0], pair[1]);
  // -0 alone, to a function the worker has not seen yet.
  assert.ok(Object.is(await pool.submit((v: number) => v, -0), -0));
  // Alone, in the executor's text transport, which JSON would strip.
  const named = Object.assign([1], { label: "x", "01": 2 });
  const alone = await pool.submit((v: unknown[]) => v, named);
  assert.deepEqual(Object.keys(alone), ["0", "label", "01"]);
  assert.deepEqual(
    Object.keys(await pool.submit(() => Object.assign([1], { label: "y" }))),
    ["0", "label"],
  );
  await assert.rejects(
    pool.submit(() => ({ cache: new WeakMap() })).result(),
    (error: Error) =>
      error instanceof TypeError &&
      /^Cannot return the result of a task run by .*: the result\.cache: a WeakMap cannot be cloned/
        .test(error.message),
  );
  await assert.rejects(
    pool.submit(() => {
      let value: unknown = 1;
      for (let i = 0; i < 5_000; i++) value = [value];
      return new Map([[1, value]]);
    }).result(),
    (error: Error) =>
      error instanceof RangeError &&
      /^Cannot return the result of a task run by .*: the result: it nests objects more than 1000 levels deep/
        .test(error.message),
  );
});

test("bad options name the option and the bad value", () => {
  assert.throws(
    () => new ThreadPoolExecutor({ idleTimeout: -1 }),
    (error: Error) =>
      error instanceof RangeError &&
      /^Cannot create executor as 'idleTimeout' must be a non-negative number of milliseconds: received -1 \(number\)$/
        .test(error.message),
  );
  assert.throws(
    () => moduleFunction("not a url", "f"),
    (error: Error) =>
      error instanceof TypeError &&
      /^Cannot create a module function as 'url' must be an absolute URL, for example new URL\("\.\/work\.ts", import\.meta\.url\), or one relative to the calling module \("\.\/work\.ts"\): received "not a url" \(string\)$/
        .test(error.message),
  );
  assert.throws(
    () => new Queue(2 ** 40),
    (error: Error) =>
      error instanceof RangeError &&
      /^Cannot create queue as 'maxsize' must be at most 2147483647 \(0, a negative number or Infinity for no limit\): received 1099511627776 \(number\)$/
        .test(error.message),
  );
  assert.equal(new Queue(2 ** 31 - 1).maxsize, 2 ** 31 - 1);
  const q = new Queue();
  assert.throws(
    () => q.shutdown("x" as never),
    (error: Error) =>
      error instanceof TypeError &&
      /^Cannot shut down the queue as 'options' must be an object such as \{ immediate: true \}: received "x" \(string\)$/
        .test(error.message),
  );
  q.putSync(1);
  assert.equal(q.getSync(), 1); // the refused shutdown left it open
});
