import assert from "node:assert/strict";
import { test } from "node:test";
// The codec's own copy of the error classes (on Node, ../mod.ts is the built package).
import { QueueEmpty } from "../src/errors.ts";
import { registerShareable, toShared } from "../src/transfer/shareable.ts";
import { CODEC_MAX_DEPTH } from "../src/transfer/needs_codec.ts";
import {
  decodeValue,
  decodeValueAt,
  encodeValue,
  encodeValueToScratch,
  encodeValueTransient,
  MAX_DEPTH,
} from "../src/transfer/value_codec.ts";

function roundTrip<T>(value: T): T {
  return decodeValue(encodeValue(value)) as T;
}

test("encodeValue() round-trips primitives, including -0, NaN and bigints", () => {
  const values = [
    undefined,
    null,
    true,
    false,
    0,
    42,
    -7.25,
    2 ** 53,
    Number.MAX_VALUE,
    Infinity,
    -Infinity,
    "",
    "hello",
    "héllo wörld ✓ 𝄞",
    "x".repeat(100_000),
    0n,
    -123456789012345678901234567890n,
    2n ** 200n,
  ];
  for (const value of values) assert.equal(roundTrip(value), value);
  assert.ok(Object.is(roundTrip(-0), -0));
  assert.ok(Number.isNaN(roundTrip(NaN)));
  assert.ok(Object.is(roundTrip([-0])[0], -0));
  assert.ok(Number.isNaN(roundTrip({ n: NaN }).n));
});

test("encodeValue() keeps lone surrogates that UTF-8 would replace", () => {
  for (const text of ["\ud800", "a\udc00b", "\ud83d", "x\ud800".repeat(50)]) {
    assert.equal(roundTrip(text), text);
    assert.equal(roundTrip([text])[0], text);
    assert.deepEqual(roundTrip({ [text]: text, u: undefined }), {
      [text]: text,
      u: undefined,
    });
  }
});

test("encodeValue() round-trips JSON-like trees", () => {
  const value = {
    id: 7,
    name: "widget",
    tags: ["a", "b", "ü"],
    nested: { deep: [{ x: 1.5 }, null, true, false] },
    empty: {},
    list: [],
  };
  assert.deepEqual(decodeValue(encodeValue(value)), value);
  const keys = Array.from({ length: 100 }, (_, i) => `key number ${i}`);
  const wide = Object.fromEntries(keys.map((k, i) => [k, i % 2 ? k : i]));
  assert.deepEqual(roundTrip(wide), wide);
  assert.deepEqual(roundTrip([wide, wide]), [wide, wide]);
  const nullProto = Object.assign(Object.create(null), { a: 1 });
  assert.deepEqual(roundTrip(nullProto), { a: 1 });
});

test("encodeValue() round-trips every structured-clone type like structuredClone", () => {
  const buffer = new ArrayBuffer(16);
  new Uint8Array(buffer).set([1, 2, 3, 4, 5, 6, 7, 8]);
  const values: unknown[] = [
    new Date(1_700_000_000_000),
    /a+b?/gi,
    new Map<unknown, unknown>([[1, "one"], ["two", { n: 2 }], [{ k: 1 }, [1]]]),
    new Set([1, "a", null, undefined, 2n]),
    buffer,
    new Uint8Array([1, 2, 255]),
    new Int8Array([-1, 127]),
    new Uint8ClampedArray([0, 255]),
    new Int16Array([-300, 300]),
    new Uint16Array([65535]),
    new Int32Array([-(2 ** 31)]),
    new Uint32Array([2 ** 32 - 1]),
    new Float32Array([1.5, -0.25]),
    new Float64Array([Math.PI]),
    new BigInt64Array([-(2n ** 63n)]),
    new BigUint64Array([2n ** 64n - 1n]),
    new DataView(buffer, 4, 8),
    new Uint16Array(buffer, 2, 3),
    [1, , 3],
    { a: undefined, b: [undefined], c: new Date(0) },
    Object(5),
    Object("boxed"),
    Object(false),
    Object(10n),
    [[[[[[[[[[["deep"]]]]]]]]]]],
    { "__proto__": 1, "constructor": 2 },
  ];
  for (const value of values) {
    assert.deepEqual(roundTrip(value), structuredClone(value));
  }
  assert.ok(Number.isNaN(roundTrip(new Date(NaN)).getTime()));
  const holes = roundTrip([1, , 3]);
  assert.equal(1 in holes, false);
  assert.equal(holes.length, 3);
  const proto = roundTrip(JSON.parse('{"__proto__": {"x": 1}}'));
  assert.deepEqual(Object.keys(proto), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
});

test("encodeValue() preserves cycles and shared references", () => {
  const shared = { n: 1 };
  const cyclic: Record<string, unknown> = { shared, again: shared };
  cyclic.self = cyclic;
  cyclic.list = [cyclic, shared];
  const map = new Map<string, unknown>([["map", cyclic]]);
  cyclic.map = map;
  const copy = roundTrip(cyclic);
  assert.notEqual(copy, cyclic);
  assert.equal(copy.self, copy);
  assert.equal(copy.shared, copy.again);
  assert.deepEqual(copy.shared, { n: 1 });
  assert.equal((copy.list as unknown[])[0], copy);
  assert.equal((copy.list as unknown[])[1], copy.shared);
  assert.equal((copy.map as Map<string, unknown>).get("map"), copy);

  const repeated = [shared, shared];
  const out = roundTrip(repeated);
  assert.equal(out[0], out[1], "shared references are not split by JSON");

  const buffer = new ArrayBuffer(8);
  const views = roundTrip([new Uint8Array(buffer), new Uint32Array(buffer, 4)]);
  views[0][4] = 9;
  assert.equal(views[1][0], 9, "views of one buffer still share it");
});

test("encodeValue() round-trips errors with name, message, stack, cause and own props", () => {
  const cause = new TypeError("root cause");
  const error = new RangeError("out of range", { cause });
  (error as unknown as { code: string }).code = "E_RANGE";
  const copy = roundTrip(error);
  assert.ok(copy instanceof RangeError);
  assert.equal(copy.message, "out of range");
  assert.equal(copy.stack, error.stack);
  assert.ok(copy.cause instanceof TypeError);
  assert.equal((copy.cause as Error).message, "root cause");
  assert.equal((copy as unknown as { code: string }).code, "E_RANGE");

  class ParseError extends Error {
    override name = "ParseError";
  }
  const custom = roundTrip(new ParseError("bad token"));
  assert.equal(custom.name, "ParseError");
  assert.equal(custom.message, "bad token");

  const ours = roundTrip(new QueueEmpty());
  assert.ok(ours instanceof QueueEmpty);

  const aggregate = roundTrip(new AggregateError([new Error("a")], "many"));
  assert.ok(aggregate instanceof AggregateError);
  assert.equal(aggregate.errors[0].message, "a");

  const selfCause = new Error("loop");
  (selfCause as { cause?: unknown }).cause = selfCause;
  const loop = roundTrip(selfCause);
  assert.equal(loop.cause, loop);
});

test("encodeValue() clones class instances as plain objects, like structuredClone", () => {
  class Point {
    constructor(public x: number, public y: number) {}
    norm(): number {
      return Math.hypot(this.x, this.y);
    }
  }
  const copy = roundTrip(new Point(3, 4));
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.deepEqual(copy, { x: 3, y: 4 });
  assert.deepEqual(roundTrip([new Point(1, 2)]), [{ x: 1, y: 2 }]);
});

test("encodeValue() throws a TypeError naming the part that cannot be cloned", () => {
  const cases: [unknown, RegExp][] = [
    [() => 1, /^Cannot encode the value: value is a function/],
    [{ cb: () => 1 }, /value\.cb is a function/],
    [{ list: [1, Symbol("s")] }, /value\.list\[1\] is a symbol/],
    [{ "a b": new WeakMap() }, /value\["a b"\] is a WeakMap/],
    [
      new Map([["k", { p: Promise.resolve() }]]),
      /value\.get\("k"\)\.p is a Promise/,
    ],
    [new Set([new WeakSet()]), /value \(an element\) is a WeakSet/],
    [
      { e: new Error("x", { cause: () => 1 }) },
      /value\.e\.cause is a function/,
    ],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => encodeValue(value), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, message);
      return true;
    });
  }
  assert.throws(
    () => encodeValue({ cb() {} }, { path: "item", action: "put an item" }),
    /^TypeError: Cannot put an item: item\.cb is a function/,
  );
});

test("encodeValue() keeps shared memory live: buffers and views over the same memory", () => {
  const sab = new SharedArrayBuffer(16);
  const growable = new SharedArrayBuffer(8, { maxByteLength: 64 });
  const value = {
    sab,
    view: new Int32Array(sab, 4, 2),
    again: new DataView(sab),
    nested: [{ bytes: new Uint8Array(sab) }, growable],
  };
  const copy = roundTrip(value);
  assert.ok(copy.sab instanceof SharedArrayBuffer);
  assert.ok(copy.view instanceof Int32Array);
  assert.equal(copy.view.byteOffset, 4);
  assert.equal(copy.view.length, 2);
  // One buffer, however often it appears, and the same memory as the original.
  assert.equal(copy.view.buffer, copy.sab);
  assert.equal(copy.again.buffer, copy.sab);
  assert.equal(
    (copy.nested[0] as { bytes: Uint8Array }).bytes.buffer,
    copy.sab,
  );
  copy.view[0] = 7;
  assert.equal(new Int32Array(sab)[1], 7);
  const grown = copy.nested[1] as SharedArrayBuffer;
  assert.equal(grown.growable, true);
  grown.grow(32);
  assert.equal(growable.byteLength, 32);
  // As the whole item too, and in a second encoding (the id is reused).
  const alone = roundTrip(new Float64Array(sab));
  alone[1] = 2.5;
  assert.equal(new Float64Array(sab)[1], 2.5);
  assert.deepEqual(encodeValue(sab), encodeValue(sab));
});

test("encodeValue() sends shared objects as live objects of their class", () => {
  const revived: unknown[] = [];
  registerShareable("TestCounter", (data) => {
    revived.push(data);
    return new TestCounter((data as { cells: SharedArrayBuffer }).cells);
  });
  class TestCounter {
    readonly cells: Int32Array;
    constructor(buffer = new SharedArrayBuffer(4)) {
      this.cells = new Int32Array(buffer);
    }
    [toShared]() {
      return { tag: "TestCounter", data: { cells: this.cells.buffer } };
    }
  }
  const counter = new TestCounter();
  const copy = roundTrip({ a: counter, b: [counter], c: counter.cells });
  assert.ok(copy.a instanceof TestCounter);
  assert.equal(copy.b[0], copy.a, "one object stays one object");
  assert.equal(copy.c.buffer, copy.a.cells.buffer);
  Atomics.add(copy.a.cells, 0, 5);
  assert.equal(Atomics.load(counter.cells, 0), 5);
  assert.equal(revived.length, 1);
  class Unregistered {
    [toShared]() {
      return { tag: "NotRegisteredAnywhere", data: null };
    }
  }
  assert.throws(
    () => roundTrip({ x: new Unregistered() }),
    /Cannot receive a shared object of type 'NotRegisteredAnywhere'/,
  );
});

test("encodeValue() still refuses a function next to shared memory, naming it", () => {
  const sab = new SharedArrayBuffer(8);
  assert.throws(
    () =>
      encodeValue({ view: new Int32Array(sab), cb: () => 1 }, {
        path: "item",
        action: "put an item",
      }),
    /^TypeError: Cannot put an item: item\.cb is a function/,
  );
  const { port1, port2 } = new MessageChannel();
  try {
    assert.throws(
      () => encodeValue([sab, port1]),
      /^TypeError: Cannot encode the value: value\[1\]/,
    );
  } finally {
    port1.close();
    port2.close();
  }
});

test("decodeValue() reads from shared memory and rejects bad bytes", () => {
  const shared = new Uint8Array(new SharedArrayBuffer(256));
  const bytes = encodeValueTransient({ a: [1, 2], d: new Date(5) });
  shared.set(bytes, 10);
  assert.deepEqual(decodeValue(shared.subarray(10, 10 + bytes.length)), {
    a: [1, 2],
    d: new Date(5),
  });
  assert.throws(() => decodeValue(new Uint8Array(0)), RangeError);
  assert.throws(() => decodeValue(new Uint8Array([99])), RangeError);
  assert.throws(() => decodeValue(new Uint8Array([4, 1, 2])), RangeError);
  assert.throws(() => decodeValue(new Uint8Array([8, 11, 5])), RangeError);
});

test("encodeValueTransient() reuses its buffer and survives re-entrant encodes", () => {
  const first = encodeValueTransient(1);
  const copy = first.slice();
  encodeValueTransient(2);
  assert.deepEqual(decodeValue(copy), 1);
  const tricky = {
    get inner(): number {
      const nested = encodeValue({ nested: [new Date(1)] });
      return (decodeValue(nested) as { nested: Date[] }).nested[0].getTime();
    },
    when: new Date(2),
  };
  assert.deepEqual(roundTrip(tricky), { inner: 1, when: new Date(2) });
});

test("encodeValue() handles large values", () => {
  const big = new Uint8Array(8 * 1024 * 1024).map((_, i) => i & 0xff);
  const copy = roundTrip(big);
  assert.equal(copy.length, big.length);
  assert.deepEqual(copy.subarray(0, 300), big.subarray(0, 300));
  const text = "ü".repeat(1_000_000);
  assert.equal(roundTrip({ text }).text, text);
  const many = Array.from({ length: 10_000 }, (_, i) => ({ i, s: `#${i}` }));
  assert.deepEqual(roundTrip(many), many);
});

test("encodeValueToScratch() and decodeValueAt() work without intermediate views", () => {
  const shared = new Uint8Array(new SharedArrayBuffer(1024));
  let at = 0;
  const ranges: [number, number][] = [];
  const values = [1.25, "short", "ü long string ".repeat(10), { a: [1] }, [
    new Date(3),
  ], null];
  for (const value of values) {
    const { bytes, length } = encodeValueToScratch(value);
    shared.set(bytes.subarray(0, length), at);
    ranges.push([at, at + length]);
    at += length;
  }
  values.forEach((value, i) => {
    assert.deepEqual(decodeValueAt(shared, ...ranges[i]), value);
  });
  assert.throws(() => decodeValueAt(shared, 5, 5), RangeError);
});

test("decodeValue() rebuilds recurring object shapes exactly, whatever their keys", () => {
  const keys = [
    "plain",
    "with space",
    'quote"s',
    "back\\slash",
    "new\nline",
    "${template}",
    "`tick`",
    "ü",
    "𝄞",
    "\ud800",
    "",
    "1",
    "01",
    "constructor",
    "toString",
    "x".repeat(127),
    "y".repeat(128),
  ];
  // Each shape several times (it is compiled the second time it is seen).
  for (let round = 0; round < 4; round++) {
    for (const key of keys) {
      const value = { [key]: round, other: [key], nested: { [key]: key } };
      const copy = roundTrip(value);
      assert.deepEqual(copy, value);
      assert.deepEqual(Object.keys(copy), Object.keys(value));
      assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    }
    // The same keys in other orders are other shapes, and keep their order.
    const orders = [
      { a: 1, b: "2", c: [3] },
      { c: [3], a: 1, b: "2" },
      { b: "2", c: [3], a: 1 },
      { a: 1, b: "2" },
      { a: 1, b: "2", c: [3], d: null },
    ];
    for (const value of orders) {
      const copy = roundTrip(value);
      assert.deepEqual(copy, value);
      assert.deepEqual(Object.keys(copy), Object.keys(value));
    }
    // `__proto__` stays an own property and never sets the prototype.
    const proto = JSON.parse('{"__proto__": {"polluted": 1}, "k": 2}');
    const copy = roundTrip(proto) as Record<string, unknown>;
    assert.ok(Object.hasOwn(copy, "__proto__"));
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.keys(copy), ["__proto__", "k"]);
    assert.equal((copy as { polluted?: number }).polluted, undefined);
    // Same shapes inside cycles (objects decoded with references).
    const cyclic: Record<string, unknown> = { a: 1, b: "2", c: [3] };
    cyclic.self = cyclic;
    const back = roundTrip(cyclic);
    assert.equal(back.self, back);
    assert.deepEqual(Object.keys(back), ["a", "b", "c", "self"]);
  }
  // Many keys and many shapes (past any cache bound) still decode.
  const wide = Object.fromEntries(
    Array.from({ length: 300 }, (_, i) => [`k${i}`, i]),
  );
  assert.deepEqual(roundTrip(wide), wide);
  for (let i = 0; i < 3000; i++) {
    const value = { [`key${i}`]: i, [`other${i % 7}`]: -0 };
    const copy = roundTrip(value);
    assert.deepEqual(copy, value);
    assert.ok(Object.is(copy[`other${i % 7}`], -0));
  }
});

test("decodeValue() keeps numbers and strings exact in objects of one shape", () => {
  const numbers = [
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    1,
    -1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    2 ** 53 + 2,
    Number.MIN_VALUE,
    Number.MAX_VALUE,
    Number.EPSILON,
    0.1,
  ];
  const strings = [
    "",
    "a",
    "item",
    "é",
    "\u0000",
    "\u007f",
    "\u0080",
    "\uffff",
    "a\udc00b",
    "\ud83d\ude00",
    "z".repeat(15),
    "z".repeat(16),
    "z".repeat(127),
    "z".repeat(128),
    "é".repeat(200),
  ];
  for (let i = 0; i < numbers.length * strings.length; i++) {
    const n = numbers[i % numbers.length];
    const s = strings[i % strings.length];
    const copy = roundTrip({ id: i, n, s, tags: [s, n] });
    assert.ok(Object.is(copy.n, n), `number ${n}`);
    assert.ok(Object.is(copy.tags[1], n));
    assert.equal(copy.s, s);
    assert.equal(copy.tags[0], s);
  }
});

test("decodeValue() rejects object encodings whose key counts do not add up", () => {
  const bytes = encodeValue({ ab: 1, cd: 2 });
  // [T_BINARY, V_OBJECT, count u32, keyBytes u32, keys..., values...]
  const view = new DataView(bytes.buffer);
  for (
    const [at, value] of [[2, 3], [2, 100], [6, 2], [6, 7], [6, 1000]]
  ) {
    const broken = bytes.slice();
    new DataView(broken.buffer).setUint32(at, value, true);
    assert.throws(() => decodeValue(broken), RangeError, `at ${at} = ${value}`);
  }
  assert.equal(view.getUint32(2, true), 2);
  assert.throws(() => decodeValue(bytes.subarray(0, 9)), RangeError);
  assert.deepEqual(decodeValue(bytes), { ab: 1, cd: 2 });
});

test("encodeValue() writes an object of a shape met before exactly as a new one", () => {
  // Keys no other test uses, so that the first encoding meets a new shape.
  const value = { kb1: 1, "kb é": "two", "kb 𝄞": [3], kb4: { kb1: -0 } };
  const first = encodeValue(value);
  const again = encodeValue(value);
  assert.deepEqual(again, first);
  assert.deepEqual(encodeValue({ ...value }), first);
  const copy = roundTrip(value);
  assert.deepEqual(copy, value);
  assert.deepEqual(Object.keys(copy), Object.keys(value));
  assert.ok(Object.is(copy.kb4.kb1, -0));
});

test("encodeValue() keeps every key when shapes change from item to item", () => {
  const strings = ["", "x", "é", "\ud83d\ude00", "a\ud800", "s".repeat(70_000)];
  const numbers = [0, -0, NaN, -Infinity, 2 ** 31, 0.5, -7];
  // Shapes sharing their first key: prefixes, longer ones, other orders,
  // numbers where strings were, nested shapes of the same keys.
  const shapes: ((i: number) => Record<string, unknown>)[] = [
    (i) => ({ sc: i, name: strings[i % strings.length] }),
    (i) => ({ sc: i }),
    (i) => ({ sc: i, name: numbers[i % numbers.length], more: true }),
    (i) => ({ sc: strings[i % strings.length], "näme": i, name: null }),
    (i) => ({ sc: { sc: { sc: i } }, name: [i, { sc: i }] }),
    (i) => ({ name: i, sc: i }),
    (i) => ({ sc: i, [`k${i % 3}`]: i }),
    () => ({}),
  ];
  // Each shape in runs (so blocks form and give way) and interleaved.
  const order: number[] = [];
  for (let s = 0; s < shapes.length; s++) {
    for (let i = 0; i < 40; i++) order.push(s);
  }
  for (let i = 0; i < 400; i++) order.push((i * 5) % shapes.length);
  order.forEach((s, i) => {
    const value = shapes[s](i);
    const copy = roundTrip(value);
    assert.deepEqual(copy, value, `shape ${s}, item ${i}`);
    assert.deepEqual(Object.keys(copy), Object.keys(value));
    for (const key of Object.keys(value)) {
      assert.ok(
        Object.is(copy[key], value[key]) || typeof value[key] === "object",
      );
    }
  });
});

test("encodeValue() copes with a getter that changes the keys of its object", () => {
  const make = (): Record<string, unknown> => {
    const value: Record<string, unknown> = {
      gk1: 1,
      get gk2() {
        delete value.gk3;
        value.gk9 = 9;
        return 2;
      },
      gk3: 3,
    };
    return value;
  };
  let calls = 0;
  const counted = {
    gc1: 1,
    get gc2() {
      calls++;
      return 2;
    },
  };
  // The shape with every key first, so that the getter runs while the keys
  // still match it; then the shape the getter leaves.
  assert.deepEqual(roundTrip({ gk1: 0, gk2: 0, gk3: 0 }), {
    gk1: 0,
    gk2: 0,
    gk3: 0,
  });
  const expected = roundTrip(make());
  assert.equal(expected.gk1, 1);
  assert.equal(expected.gk2, 2);
  assert.ok(
    !("gk3" in expected),
    "a key deleted before it was reached is left out",
  );
  for (let i = 0; i < 3; i++) assert.deepEqual(roundTrip(make()), expected);
  const after = make();
  void after.gk2;
  assert.deepEqual(roundTrip(after), { gk1: 1, gk2: 2, gk9: 9 });
  // Getters run once per encoding, on either path.
  for (let i = 1; i <= 3; i++) {
    assert.deepEqual(roundTrip(counted), { gc1: 1, gc2: 2 });
    assert.equal(calls, i);
  }
});

test("encodeValue() names the failing part of an object of a known shape", () => {
  const good = { fp1: 1, fp2: { fp3: "x" } };
  roundTrip(good);
  roundTrip(good);
  assert.throws(
    () => encodeValue({ fp1: 1, fp2: { fp3: () => 1 } }),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message.includes("value.fp2.fp3 is a function"),
  );
  // The encoder is fine afterwards.
  assert.deepEqual(roundTrip(good), good);
});

test("needsCodec() sends values deeper than MAX_DEPTH to the codec, by the same bound", () => {
  assert.equal(CODEC_MAX_DEPTH, MAX_DEPTH);
});
