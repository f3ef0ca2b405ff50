import assert from "node:assert/strict";
import { test } from "node:test";
import { ConcurrentModificationError, SharedMap, Thread } from "../mod.ts";
import { toShared } from "../src/transfer/shareable.ts";
import { libraryUrl } from "./_helpers.ts";

test("SharedMap: get/set/has/delete/clear/size like a Map", () => {
  const map = new SharedMap<string | number, unknown>();
  assert.equal(map.size, 0);
  assert.equal(map.set("a", 1), map);
  map.set(1, "one").set("1", "string one").set(-0, "zero").set(NaN, "nan");
  assert.equal(map.size, 5);
  assert.equal(map.get("a"), 1);
  assert.equal(map.get(1), "one");
  assert.equal(map.get("1"), "string one");
  assert.equal(map.get(0), "zero");
  assert.equal(map.get(NaN), "nan");
  assert.equal(map.get("missing"), undefined);
  assert.ok(map.has("a") && map.has(0) && !map.has("b") && !map.has(2));
  map.set("u", undefined);
  assert.ok(map.has("u"));
  assert.equal(map.get("u"), undefined);
  assert.equal(map.delete("a"), true);
  assert.equal(map.delete("a"), false);
  assert.equal(map.has("a"), false);
  assert.equal(map.size, 5);
  assert.deepEqual([...map.keys()], [1, "1", 0, NaN, "u"]);
  assert.equal(typeof [...map.keys()][0], "number");
  map.clear();
  assert.equal(map.size, 0);
  assert.deepEqual([...map], []);
  map.set("again", [1, 2]);
  assert.deepEqual([...map.entries()], [["again", [1, 2]]]);
});

test("SharedMap values are copies, of any structured-cloneable type", () => {
  const map = new SharedMap<string, { list: number[]; when?: Date }>();
  const value = { list: [1, 2], when: new Date(3) };
  map.set("k", value);
  value.list.push(3);
  assert.deepEqual(map.get("k"), { list: [1, 2], when: new Date(3) });
  map.get("k")!.list.push(4);
  assert.deepEqual(map.get("k")!.list, [1, 2]);
  const odd = new SharedMap<string, unknown>([
    ["map", new Map([[1, new Set(["x"])]])],
    ["bytes", new Uint8Array([9, 8])],
    ["big", 2n ** 70n],
    ["\ud800 lone", "\udc00"],
  ]);
  assert.deepEqual(odd.get("map"), new Map([[1, new Set(["x"])]]));
  assert.deepEqual(odd.get("bytes"), new Uint8Array([9, 8]));
  assert.equal(odd.get("big"), 2n ** 70n);
  assert.equal(odd.get("\ud800 lone"), "\udc00");
  assert.deepEqual([...odd.keys()], ["map", "bytes", "big", "\ud800 lone"]);
});

test("SharedMap keeps insertion order; updating a value keeps its place", () => {
  const map = new SharedMap<string, string>();
  for (const key of ["a", "b", "c"]) map.set(key, key);
  map.set("a", "A".repeat(5000));
  map.delete("b");
  map.set("b", "B");
  assert.deepEqual([...map.keys()], ["a", "c", "b"]);
  assert.deepEqual([...map.values()].map((v) => v[0]), ["A", "c", "B"]);
});

test("SharedMap rejects bad keys and uncloneable values with a TypeError, changing nothing", () => {
  const map = new SharedMap<string, unknown>([["x", 1]]);
  const anyMap = map as unknown as SharedMap<never, unknown>;
  for (const key of [{}, null, undefined, Symbol("s"), 1n, true, [1]]) {
    assert.throws(
      () => anyMap.set(key as never, 1),
      /'key' must be a string or a number/,
    );
    assert.throws(() => anyMap.get(key as never), TypeError);
    assert.throws(() => anyMap.has(key as never), TypeError);
    assert.throws(() => anyMap.delete(key as never), TypeError);
  }
  assert.throws(
    () => map.set("y", { cb: () => 1 }),
    /^TypeError: Cannot set a SharedMap entry: value\.cb is a function/,
  );
  assert.throws(
    () => map.set("y", [new SharedArrayBuffer(4), Symbol("s")]),
    /^TypeError: Cannot set a SharedMap entry: value\[1\] is a symbol/,
  );
  assert.equal(map.size, 1);
  assert.equal(map.has("y"), false);
});

test("SharedMap matches a Map through thousands of random operations", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const map = new SharedMap<string | number, string>();
  const model = new Map<string | number, string>();
  for (let step = 0; step < 20_000; step++) {
    const r = random();
    const raw = Math.floor(random() * 600);
    const key = raw % 3 === 0 ? raw : `k${raw}`;
    if (r < 0.5) {
      const value =
        "v".repeat(Math.floor(random() * (random() < 0.02 ? 4000 : 40))) + step;
      map.set(key, value);
      model.set(key, value);
    } else if (r < 0.8) {
      assert.equal(map.delete(key), model.delete(key));
    } else if (r < 0.999) {
      assert.equal(map.get(key), model.get(key));
      assert.equal(map.has(key), model.has(key));
    } else {
      map.clear();
      model.clear();
    }
    assert.equal(map.size, model.size);
    if (step % 2_000 === 0) assert.deepEqual([...map], [...model]);
  }
  assert.deepEqual([...map], [...model]);
});

test("SharedMap iterators are lazy and fail after a key is added or deleted", () => {
  const map = new SharedMap<string, number>([["a", 1], ["b", 2], ["c", 3]]);
  const keys = map.keys();
  assert.deepEqual(keys.next(), { done: false, value: "a" });
  map.set("b", 20);
  assert.deepEqual(
    keys.next(),
    { done: false, value: "b" },
    "value updates are allowed",
  );
  const values = map.values();
  assert.equal(values.next().value, 1);
  assert.equal(values.next().value, 20, "values are read lazily");
  map.set("d", 4);
  assert.throws(() => keys.next(), ConcurrentModificationError);
  assert.throws(() => values.next(), /changed while it was iterated/);
  assert.deepEqual(keys.next(), { done: true, value: undefined });
  const entries = map.entries();
  assert.deepEqual(entries.next().value, ["a", 1]);
  map.delete("a");
  assert.throws(() => entries.next(), ConcurrentModificationError);
  const finished = map[Symbol.iterator]();
  for (let i = 0; i < map.size; i++) finished.next();
  map.clear();
  assert.throws(() => finished.next(), ConcurrentModificationError);
  const empty = new SharedMap().keys();
  map.clear();
  assert.deepEqual(empty.next(), { done: true, value: undefined });
});

test("SharedMap: 4 threads writing disjoint and overlapping keys leave exact contents", async () => {
  const map = new SharedMap<string | number, unknown>();
  const threads = [0, 1, 2, 3].map((t) =>
    new Thread({
      target: (map: SharedMap<string | number, unknown>, t: number) => {
        const n = 1000;
        for (let i = 0; i < n; i++) {
          const k = (i * (2 * t + 1) * 7) % n; // a different order per thread
          map.set(`shared:${k}`, { k, text: "x".repeat(k % 50) });
          map.set(t * n + i, [t, i]);
          const seen = map.get(`shared:${(k + 1) % n}`) as
            | { k: number }
            | undefined;
          if (seen !== undefined && seen.k !== (k + 1) % n) {
            throw new Error(`torn value for shared:${(k + 1) % n}`);
          }
        }
        for (let i = 1; i < n; i += 2) map.delete(t * n + i);
      },
      args: [map, t],
    }).start()
  );
  for (const thread of threads) await thread.join();
  assert.equal(map.size, 1000 + 4 * 500);
  for (let k = 0; k < 1000; k++) {
    assert.deepEqual(map.get(`shared:${k}`), { k, text: "x".repeat(k % 50) });
  }
  for (let t = 0; t < 4; t++) {
    for (let i = 0; i < 1000; i++) {
      assert.deepEqual(map.get(t * 1000 + i), i % 2 === 0 ? [t, i] : undefined);
    }
  }
  let numbers = 0;
  for (const key of map.keys()) if (typeof key === "number") numbers++;
  assert.equal(numbers, 2000);
});

test("SharedMap: a thread adding a key makes another thread's iteration fail", async () => {
  const map = new SharedMap<string, number>([["a", 1], ["b", 2]]);
  const iterator = map.entries();
  assert.deepEqual(iterator.next().value, ["a", 1]);
  await new Thread({
    target: (map: SharedMap<string, number>) => map.set("c", 3),
    args: [map],
  }).start().join();
  assert.throws(() => iterator.next(), ConcurrentModificationError);

  // And the other way round, with a handshake in shared memory.
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const iterating = new Thread({
    target: async (
      lib: string,
      map: SharedMap<string, number>,
      flags: Int32Array,
    ) => {
      const { ConcurrentModificationError } = await import(lib);
      const keys = map.keys();
      keys.next();
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      while (Atomics.load(flags, 1) === 0) Atomics.wait(flags, 1, 0);
      try {
        keys.next();
        return "no error";
      } catch (error) {
        return error instanceof ConcurrentModificationError
          ? "error"
          : String(error);
      }
    },
    args: [libraryUrl, map, flags],
  }).start();
  while (Atomics.load(flags, 0) === 0) {
    await new Promise((r) => setTimeout(r, 1));
  }
  map.delete("a");
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
  assert.equal(await iterating.join(), "error");
});

test("SharedMap arrives in threads as a SharedMap over the same memory, big values included", async () => {
  const map = new SharedMap<string, unknown>();
  const thread = new Thread({
    target: async (lib: string, map: SharedMap<string, unknown>) => {
      const { SharedMap } = await import(lib);
      const big = new Uint8Array(8 * 1024 * 1024).fill(5);
      map.set("big", big);
      map.set("small", 1);
      return map instanceof SharedMap;
    },
    args: [libraryUrl, map],
  }).start();
  assert.equal(await thread.join(), true);
  const big = map.get("big") as Uint8Array;
  assert.equal(big.length, 8 * 1024 * 1024);
  assert.equal(big[big.length - 1], 5);
  map.set("big", "now small");
  assert.deepEqual([...map], [["big", "now small"], ["small", 1]]);
});

test("SharedMap reuses the memory of replaced and deleted values", () => {
  const map = new SharedMap<string, string>();
  for (let i = 0; i < 3_000; i++) {
    map.set(`k${i % 10}`, "x".repeat((i * 7919) % 5000));
    if (i % 3 === 0) map.delete(`k${(i + 5) % 10}`);
  }
  const state = (map as unknown as Record<
    symbol,
    () => { data: { arena: SharedArrayBuffer } }
  >)[
    toShared
  ]();
  assert.ok(
    state.data.arena.byteLength <= 256 * 1024,
    `${state.data.arena.byteLength} bytes`,
  );
});
