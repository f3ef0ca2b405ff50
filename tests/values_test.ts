// Values cross threads as structuredClone would carry them (API.md, "Precise
// semantics" → "Values"): Thread args and return values, queue items, map
// keys and values, executor arguments and results. The differential fuzzer
// (value_fuzz_test.ts) covers random values; these are the cases found by
// hand, each of which failed once.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LifoQueue,
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
