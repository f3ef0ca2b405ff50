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
