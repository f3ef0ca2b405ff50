// A differential fuzzer: random structured-cloneable values go through every
// path a value takes between threads (Thread args and return values, each
// queue kind within a thread and across threads, SharedMap keys and values,
// executor arguments and results) and must arrive as `structuredClone`
// would deliver them; random uncloneable parts must be refused at the
// sending call with a TypeError, as structuredClone refuses them.
//
// Seeded and reproducible: FUZZ_SEED=<n> replays a run (the seed is in every
// failure message), FUZZ_VALUES=<n> sets how many values each path takes
// (default 1000), FUZZ_SECONDS=<s> runs rounds of fresh seeds for that long
// (the soak mode). A soak needs the runner's timeout raised, e.g.
//   FUZZ_SECONDS=600 deno test -A tests/value_fuzz_test.ts
//   FUZZ_SECONDS=600 bun test --timeout 700000 tests/value_fuzz_test.ts
//   FUZZ_SECONDS=600 node --test --test-timeout=700000 .node-test/tests/value_fuzz_test.js
import assert from "node:assert/strict";
import process from "node:process";
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

const env = process.env;
const valuesPerPath = Number(env.FUZZ_VALUES ?? 1000);
const soakSeconds = Number(env.FUZZ_SECONDS ?? 0);
const firstSeed = env.FUZZ_SEED !== undefined
  ? Number(env.FUZZ_SEED)
  : Math.floor(Math.random() * 2 ** 31);

/** mulberry32: a small seeded generator. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Values {
  readonly random: () => number;
  /** Objects made so far in the current value (for shared references). */
  made: object[] = [];

  constructor(seed: number) {
    this.random = generator(seed);
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  string(): string {
    const pieces = [
      "",
      "a",
      "key",
      "\uFEFF",
      "\uFEFFk",
      "é",
      "日本",
      "𝄞",
      "\ud800",
      "x\udc00y",
      "__proto__",
      "0",
      "01",
      "-1",
      "constructor",
      "long ".repeat(40),
      " ",
      "\n",
      "\u0000",
    ];
    let out = "";
    const n = this.int(4);
    for (let i = 0; i < n; i++) out += this.pick(pieces);
    return out;
  }

  number(): number {
    return this.pick([
      0,
      -0,
      1,
      -1,
      NaN,
      Infinity,
      -Infinity,
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 53,
      Number.MIN_VALUE,
      Number.MAX_VALUE,
      0.1,
      this.int(1000),
      (this.random() - 0.5) * 1e6,
    ]);
  }

  primitive(): unknown {
    switch (this.int(7)) {
      case 0:
        return this.pick([undefined, null, true, false]);
      case 1:
      case 2:
        return this.number();
      case 3:
        return this.pick([0n, -1n, 2n ** 64n, -(3n ** 50n)]);
      default:
        return this.string();
    }
  }

  value(depth = 0): unknown {
    if (depth > 4 || this.random() < 0.35) return this.primitive();
    if (this.made.length > 0 && this.random() < 0.05) {
      return this.pick(this.made); // a shared reference, maybe a cycle
    }
    const kind = this.int(18);
    switch (kind) {
      case 0:
      case 1:
      case 2:
        return this.object(depth);
      case 3:
      case 4:
        return this.array(depth);
      case 5: {
        const out = new Map();
        this.made.push(out);
        for (let i = this.int(4); i > 0; i--) {
          out.set(this.value(depth + 1), this.value(depth + 1));
        }
        return out;
      }
      case 6: {
        const out = new Set();
        this.made.push(out);
        for (let i = this.int(4); i > 0; i--) out.add(this.value(depth + 1));
        return out;
      }
      case 7:
        return new Date(this.pick([0, -1, 8.64e15, NaN, 1_700_000_000_123]));
      case 8:
        return new RegExp(
          this.pick(["a+", "^x$", "[\\uFEFF]", ""]),
          this.pick(["", "g", "gimsuy", "d"]),
        );
      case 9: {
        const buffer = new ArrayBuffer(this.int(24));
        new Uint8Array(buffer).forEach((_, i, a) => (a[i] = this.int(256)));
        return buffer;
      }
      case 10: {
        const Ctor = this.pick([
          Int8Array,
          Uint8Array,
          Uint8ClampedArray,
          Int16Array,
          Uint16Array,
          Int32Array,
          Uint32Array,
          Float32Array,
          Float64Array,
          BigInt64Array,
          BigUint64Array,
        ]);
        const buffer = new ArrayBuffer(64);
        new Uint8Array(buffer).forEach((_, i, a) => (a[i] = this.int(256)));
        const bytes = Ctor.BYTES_PER_ELEMENT;
        const offset = this.int(4) * 8;
        return new Ctor(buffer, offset, this.int((64 - offset) / bytes));
      }
      case 11:
        return new DataView(new ArrayBuffer(16), this.int(8), this.int(8));
      case 12: {
        const Ctor = this.pick([
          Error,
          TypeError,
          RangeError,
          SyntaxError,
          ReferenceError,
          EvalError,
          URIError,
        ]);
        return this.random() < 0.5
          ? new Ctor(this.string())
          : new Ctor(this.string(), { cause: this.value(depth + 1) });
      }
      case 13:
        return this.pick([
          Object(this.number()),
          Object(this.string()),
          Object(true),
          Object(false),
          Object(5n),
        ]);
      case 14: {
        const out = Object.create(null);
        this.made.push(out);
        out[this.string()] = this.value(depth + 1);
        return out;
      }
      default:
        return this.object(depth);
    }
  }

  object(depth: number): object {
    const out: Record<string, unknown> = {};
    this.made.push(out);
    for (let i = this.int(6); i > 0; i--) {
      const key = this.random() < 0.2 ? String(this.int(20)) : this.string();
      Object.defineProperty(out, key, {
        value: this.value(depth + 1),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    return out;
  }

  array(depth: number): unknown[] {
    const shape = this.int(5);
    const length = shape === 4 ? this.pick([50, 2000, 70_000]) : this.int(7);
    const out: unknown[] = new Array(length);
    this.made.push(out);
    if (shape === 4) {
      for (let i = this.int(4); i > 0; i--) {
        out[this.int(length)] = this.value(depth + 1);
      }
    } else {
      for (let i = 0; i < length; i++) {
        if (shape !== 1 || this.random() < 0.6) out[i] = this.value(depth + 1);
      }
    }
    if (shape === 2 || this.random() < 0.1) {
      Object.defineProperty(
        out,
        this.pick(["label", "__proto__", "01", "-1", "x y"]),
        {
          value: this.value(depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        },
      );
      if (this.random() < 0.3) {
        Object.defineProperty(out, "__proto__", {
          value: 1,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return out;
  }

  /** A fresh top-level value. */
  next(): unknown {
    this.made = [];
    return this.value();
  }

  /** A value with an uncloneable part somewhere inside, and the part. */
  bad(): unknown {
    this.made = [];
    const part = this.pick<unknown>([
      () => 1,
      Symbol("s"),
      new WeakMap(),
      new Proxy({}, {}),
      new Proxy([1], {}),
    ]);
    const host: Record<string, unknown> = { a: this.value(2) };
    let at: unknown = host;
    for (let i = this.int(3); i > 0; i--) {
      const inner: Record<string, unknown> = {};
      (at as Record<string, unknown>)[`k${i}`] = [inner];
      at = inner;
    }
    (at as Record<string, unknown>).bad = part;
    return host;
  }
}

/**
 * Where `actual` differs from `expected`, or null: deep equality that tells
 * holes from undefined, -0 from 0, keeps NaN equal to itself, compares own
 * keys in order and prototypes, and follows shared references and cycles in
 * step.
 */
function difference(
  actual: unknown,
  expected: unknown,
  path = "value",
  pairs = new Map<object, unknown>(),
): string | null {
  if (typeof expected !== "object" || expected === null) {
    return Object.is(actual, expected)
      ? null
      : `${path}: ${show(actual)} instead of ${show(expected)}`;
  }
  if (typeof actual !== "object" || actual === null) {
    return `${path}: ${show(actual)} instead of an object`;
  }
  if (pairs.has(expected)) {
    return pairs.get(expected) === actual
      ? null
      : `${path}: not the same shared object`;
  }
  pairs.set(expected, actual);
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) {
    return `${path}: prototype ${tag(actual)} instead of ${tag(expected)}`;
  }
  const tagged = Object.prototype.toString.call(expected);
  if (tagged !== Object.prototype.toString.call(actual)) {
    return `${path}: ${tag(actual)} instead of ${tag(expected)}`;
  }
  if (expected instanceof Date) {
    return Object.is((actual as Date).getTime(), expected.getTime())
      ? null
      : `${path}: another date`;
  }
  if (expected instanceof RegExp) {
    const a = actual as RegExp;
    return a.source === expected.source && a.flags === expected.flags
      ? null
      : `${path}: /${a.source}/${a.flags} instead of /${expected.source}/${expected.flags}`;
  }
  if (expected instanceof ArrayBuffer) {
    const a = new Uint8Array(actual as ArrayBuffer);
    const e = new Uint8Array(expected);
    return a.length === e.length && a.every((b, i) => b === e[i])
      ? null
      : `${path}: other bytes`;
  }
  if (ArrayBuffer.isView(expected)) {
    const a = actual as ArrayBufferView;
    if (
      a.byteOffset !== expected.byteOffset ||
      a.byteLength !== expected.byteLength
    ) {
      return `${path}: another view`;
    }
    return difference(a.buffer, expected.buffer, `${path}.buffer`, pairs);
  }
  if (expected instanceof Error) {
    const a = actual as Error;
    if (a.message !== expected.message) {
      return `${path}: message ${show(a.message)}`;
    }
    if (a.name !== expected.name) return `${path}: name ${show(a.name)}`;
    // The library keeps an error's cause (and own properties) where a
    // runtime's structuredClone drops them (Bun's drops the cause).
    if (Object.hasOwn(expected, "cause") && !Object.hasOwn(a, "cause")) {
      return `${path}: cause lost`;
    }
    return Object.hasOwn(expected, "cause")
      ? difference(a.cause, expected.cause, `${path}.cause`, pairs)
      : null;
  }
  if (
    tagged === "[object Number]" || tagged === "[object String]" ||
    tagged === "[object Boolean]" || tagged === "[object BigInt]"
  ) {
    return Object.is((actual as object).valueOf(), expected.valueOf())
      ? null
      : `${path}: boxed ${show((actual as object).valueOf())}`;
  }
  if (expected instanceof Map) {
    const a = [...(actual as Map<unknown, unknown>)];
    const e = [...expected];
    if (a.length !== e.length) {
      return `${path}: ${a.length} entries instead of ${e.length}`;
    }
    for (let i = 0; i < e.length; i++) {
      const found = difference(a[i][0], e[i][0], `${path} key ${i}`, pairs) ??
        difference(a[i][1], e[i][1], `${path} value ${i}`, pairs);
      if (found !== null) return found;
    }
    return null;
  }
  if (expected instanceof Set) {
    const a = [...(actual as Set<unknown>)];
    const e = [...expected];
    if (a.length !== e.length) {
      return `${path}: ${a.length} elements instead of ${e.length}`;
    }
    for (let i = 0; i < e.length; i++) {
      const found = difference(a[i], e[i], `${path} element ${i}`, pairs);
      if (found !== null) return found;
    }
    return null;
  }
  if (
    Array.isArray(expected) && (actual as unknown[]).length !== expected.length
  ) {
    return `${path}: length ${
      (actual as unknown[]).length
    } instead of ${expected.length}`;
  }
  const a = Object.keys(actual);
  const e = Object.keys(expected);
  if (a.length !== e.length || a.some((k, i) => k !== e[i])) {
    return `${path}: keys ${show(a.slice(0, 8))} instead of ${
      show(e.slice(0, 8))
    }`;
  }
  for (const key of e) {
    const found = difference(
      (actual as Record<string, unknown>)[key],
      (expected as Record<string, unknown>)[key],
      `${path}[${JSON.stringify(key)}]`,
      pairs,
    );
    if (found !== null) return found;
  }
  return null;
}

function tag(value: object): string {
  return Object.prototype.toString.call(value);
}

function show(value: unknown): string {
  try {
    return typeof value === "bigint"
      ? `${value}n`
      : Object.is(value, -0)
      ? "-0"
      : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function check(
  actual: unknown,
  value: unknown,
  where: string,
  seed: number,
  i: number,
): void {
  const found = difference(actual, structuredClone(value));
  if (found !== null) {
    assert.fail(`${where}, seed ${seed}, value ${i}: ${found}`);
  }
}

/** Runs every path with `valuesPerPath` values from `seed`. */
async function round(seed: number, pool: ThreadPoolExecutor): Promise<void> {
  const values = new Values(seed);
  const batch = (n: number) => Array.from({ length: n }, () => values.next());

  // Each queue kind and the map, in this thread.
  const queues = [new Queue(), new LifoQueue(), new SimpleQueue()];
  for (let i = 0; i < valuesPerPath; i++) {
    const value = values.next();
    for (const q of queues) {
      q.putSync(value);
      check(q.getSync(), value, q.constructor.name, seed, i);
    }
    const pq = new PriorityQueue<unknown>();
    pq.putSync([1, value]);
    check((pq.getSync() as unknown[])[1], value, "PriorityQueue", seed, i);
  }
  const map = new SharedMap<string | number, unknown>();
  for (let i = 0; i < valuesPerPath; i++) {
    const key = values.random() < 0.5 ? values.string() : values.number();
    const value = values.next();
    map.set(key, value);
    check(map.get(key), value, "SharedMap value", seed, i);
    const stored = [...map.keys()].find((k) =>
      Object.is(k, key === 0 ? 0 : key)
    );
    assert.ok(stored !== undefined, `SharedMap key ${show(key)}, seed ${seed}`);
    map.delete(key);
  }

  // Across threads: a thread takes each item from one queue and puts it on
  // another; Thread args come back as its return value.
  const items = batch(valuesPerPath);
  const into = new Queue();
  const back = new Queue();
  const relay = new Thread({
    target: (from: Queue<unknown>, to: Queue<unknown>, n: number) => {
      for (let i = 0; i < n; i++) to.putSync(from.getSync());
    },
    args: [into, back, items.length],
  }).start();
  for (const item of items) into.putSync(item);
  items.forEach((item, i) =>
    check(back.getSync(), item, "Queue across threads", seed, i)
  );
  await relay.join();
  for (let start = 0; start < items.length; start += 100) {
    const args = items.slice(start, start + 100);
    const echoed = await new Thread({
      target: (...args: unknown[]) => args,
      args,
    }).start().join();
    args.forEach((v, i) =>
      check(
        (echoed as unknown[])[i],
        v,
        "Thread args and return",
        seed,
        start + i,
      )
    );
    const result = await pool.submit((...args: unknown[]) => args, ...args);
    args.forEach((v, i) =>
      check(
        (result as unknown[])[i],
        v,
        "executor args and result",
        seed,
        start + i,
      )
    );
  }
  for (let i = 0; i < items.length; i += 10) {
    // One value alone takes the executor's fast paths where it can.
    const result = await pool.submit((v: unknown) => v, items[i]);
    check(result, items[i], "executor single value", seed, i);
  }

  // Uncloneable parts: refused at the sending call, as by structuredClone.
  for (let i = 0; i < 20; i++) {
    const bad = values.bad();
    assert.throws(() => structuredClone(bad));
    const where = `uncloneable value ${i}, seed ${seed}`;
    assert.throws(() => new Queue().putSync(bad), TypeError, where);
    assert.throws(() => new SharedMap().set("k", bad), TypeError, where);
    assert.throws(
      () => new Thread({ target: (..._: unknown[]) => 1, args: [bad] }),
      TypeError,
      where,
    );
    await assert.rejects(
      async () => await pool.submit((_: unknown) => 1, bad),
      TypeError,
      where,
    );
  }
}

test(`values cross every path as structuredClone carries them (seed ${firstSeed}; replay with FUZZ_SEED=${firstSeed})`, async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  await round(firstSeed, pool);
  if (soakSeconds > 0) {
    const end = Date.now() + soakSeconds * 1000;
    let seed = firstSeed;
    let rounds = 1;
    while (Date.now() < end) {
      seed = (seed + 1) % 2 ** 31;
      await round(seed, pool);
      rounds++;
    }
    console.log(
      `fuzz soak: ${rounds} rounds of ${valuesPerPath} values a path, seeds ${firstSeed}..${seed}`,
    );
  }
});
