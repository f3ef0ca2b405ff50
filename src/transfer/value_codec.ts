/**
 * The value codec: turns a structured-cloneable value into bytes and back, so
 * that queues, the shared map and the executor can keep items in shared
 * memory. A value is encoded once, copied into shared memory, and decoded in
 * whichever thread takes it.
 *
 * Layout: the first byte says how the rest is encoded.
 * - fast paths: `undefined`, `null`, booleans (1 byte); a number (tag +
 *   float64); a string (tag + UTF-8, or UTF-16 when it holds lone
 *   surrogates); a tree of plain objects, arrays, finite numbers, strings,
 *   booleans and `null` without shared references (tag + `JSON.stringify` as
 *   UTF-8, which beats `node:v8` `serialize` on every runtime);
 * - otherwise a tagged recursive binary encoding of the structured-clone
 *   types: `undefined`, `NaN`/±`Infinity`/`-0`, bigints, `Date`, `RegExp`,
 *   `Map`, `Set`, `ArrayBuffer`, typed arrays and `DataView` (copied, views of
 *   one buffer still share it), errors (name, message, stack, cause, own
 *   properties), boxed primitives, arrays (holes kept) and objects, with
 *   cycles and shared references preserved. Class instances become plain
 *   objects of their own enumerable properties, as with `structuredClone`.
 *
 * What cannot be encoded throws a `TypeError` naming the part (`item.cb`)
 * before anything is written anywhere: functions, symbols, `WeakMap`,
 * `WeakSet`, `WeakRef`, promises, host objects such as `Blob` or
 * `MessagePort`, and shared memory — `SharedArrayBuffer`s, views over them and
 * shared objects (locks, queues, maps) hold memory that bytes cannot carry:
 * pass those to a thread through `Thread` args instead.
 *
 * @module
 */
import {
  BrokenBarrierError,
  CancelledError,
  ConcurrentModificationError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  ThreadStateError,
  TimeoutError,
} from "../errors.ts";
import { describe } from "../wait_options.ts";
import { isShareable } from "./shareable.ts";

/** Options of {@linkcode encodeValue}, for error messages. */
export interface EncodeValueOptions {
  /**
   * How the value is named in error messages; nested parts extend it
   * (`item.cb`, `item[2]`).
   *
   * @default {"value"}
   */
  path?: string;
  /**
   * What the caller was doing, for error messages: `Cannot <action>: ...`.
   *
   * @default {"encode the value"}
   */
  action?: string;
}

// The first byte of an encoding.
const T_UNDEFINED = 0;
const T_NULL = 1;
const T_TRUE = 2;
const T_FALSE = 3;
const T_NUMBER = 4;
const T_STRING = 5;
const T_STRING16 = 6;
const T_JSON = 7;
const T_BINARY = 8;

// Value tags of the binary encoding.
const V_UNDEFINED = 0;
const V_NULL = 1;
const V_TRUE = 2;
const V_FALSE = 3;
const V_NUMBER = 4;
const V_INT = 5;
const V_BIGINT = 6;
const V_STRING = 7;
const V_STRING16 = 8;
const V_REF = 9;
const V_HOLE = 10;
const V_ARRAY = 11;
const V_OBJECT = 12;
const V_DATE = 13;
const V_REGEXP = 14;
const V_MAP = 15;
const V_SET = 16;
const V_ARRAYBUFFER = 17;
const V_TYPED = 18;
const V_DATAVIEW = 19;
const V_ERROR = 20;
const V_BOXED_NUMBER = 21;
const V_BOXED_STRING = 22;
const V_BOXED_BOOLEAN = 23;
const V_BOXED_BIGINT = 24;

type TypedArrayConstructor = new (
  buffer: ArrayBuffer,
  byteOffset: number,
  length: number,
) => ArrayBufferView;

const typedArrays: TypedArrayConstructor[] = [
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
];
const float16 = (globalThis as Record<string, unknown>).Float16Array;
if (typeof float16 === "function") {
  typedArrays.push(float16 as TypedArrayConstructor);
}

const errorClasses: Record<string, new (message?: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
  ThreadStateError,
  TimeoutError,
  BrokenBarrierError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  CancelledError,
  ConcurrentModificationError,
};

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** The reason a part of a value cannot be encoded, and where it is. */
class Uncloneable {
  readonly segments: string[] = [];
  constructor(readonly reason: string, readonly shared: boolean) {}
}

function within(error: unknown, segment: string): unknown {
  if (error instanceof Uncloneable) error.segments.push(segment);
  return error;
}

function keySegment(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key)
    ? `.${key}`
    : `[${JSON.stringify(key)}]`;
}

function toTypeError(error: Uncloneable, options: EncodeValueOptions): never {
  const path = (options.path ?? "value") + error.segments.reverse().join("");
  const action = options.action ?? "encode the value";
  const advice = error.shared
    ? "Shared memory cannot be copied into bytes: pass SharedArrayBuffers and shared objects (locks, queues, maps) to a thread through Thread args instead"
    : "Only structured-cloneable data can be stored";
  throw new TypeError(`Cannot ${action}: ${path} ${error.reason}. ${advice}`);
}

/** A growable byte buffer that the encoder writes into. */
class Writer {
  bytes: Uint8Array;
  view: DataView;
  pos = 0;
  busy = false;

  /** `bytes.subarray(1)`, where top-level strings start. */
  from1: Uint8Array;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.from1 = this.bytes.subarray(1);
  }

  get length(): number {
    return this.pos;
  }

  replace(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
    this.from1 = bytes.subarray(1);
  }

  reserve(n: number): void {
    if (this.pos + n > this.bytes.length) this.grow(this.pos + n);
  }

  grow(min: number): void {
    let size = this.bytes.length * 2;
    while (size < min) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.pos));
    this.replace(bytes);
  }

  u8(value: number): void {
    this.reserve(1);
    this.bytes[this.pos++] = value;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  varint(value: number): void {
    this.reserve(8);
    while (value >= 0x80) {
      this.bytes[this.pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.bytes[this.pos++] = value;
  }

  /** Writes UTF-8 without a length; returns the number of bytes. */
  utf8(text: string): number {
    const length = text.length;
    this.reserve(length * 3);
    const bytes = this.bytes;
    const start = this.pos;
    if (length < 128) {
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        bytes[start + i] = code;
      }
      if (i === length) {
        this.pos += length;
        return length;
      }
    }
    const { written } = textEncoder.encodeInto(
      text,
      start === 1 ? this.from1 : bytes.subarray(start, start + length * 3),
    );
    this.pos += written;
    return written;
  }

  /** Writes UTF-16 code units without a length; returns the number of bytes. */
  utf16(text: string): number {
    const length = text.length;
    this.reserve(length * 2);
    for (let i = 0; i < length; i++) {
      this.view.setUint16(this.pos + 2 * i, text.charCodeAt(i), true);
    }
    this.pos += length * 2;
    return length * 2;
  }
}

/** Encodes one value into a writer (the binary encoding). */
class Encoder {
  readonly refs = new Map<object, number>();
  constructor(readonly w: Writer) {}

  value(value: unknown): void {
    const w = this.w;
    switch (typeof value) {
      case "undefined":
        return w.u8(V_UNDEFINED);
      case "boolean":
        return w.u8(value ? V_TRUE : V_FALSE);
      case "number":
        if (
          (value | 0) === value && (value !== 0 || 1 / value > 0)
        ) {
          w.u8(V_INT);
          return w.varint(value >= 0 ? value * 2 : -value * 2 - 1);
        }
        w.u8(V_NUMBER);
        return w.f64(value);
      case "string":
        return this.string(value);
      case "bigint":
        w.u8(V_BIGINT);
        return this.bigint(value);
      case "function":
        throw new Uncloneable(
          `is a function (${describe(value)}), which cannot be cloned`,
          false,
        );
      case "symbol":
        throw new Uncloneable(
          `is a symbol (${String(value)}), which cannot be cloned`,
          false,
        );
    }
    if (value === null) return w.u8(V_NULL);
    this.object(value as object);
  }

  string(text: string): void {
    const w = this.w;
    if (text.isWellFormed()) {
      w.u8(V_STRING);
      const at = w.pos;
      w.u32(0);
      const n = w.utf8(text);
      w.view.setUint32(at, n, true);
    } else {
      w.u8(V_STRING16);
      w.u32(text.length * 2);
      w.utf16(text);
    }
  }

  bigint(value: bigint): void {
    const w = this.w;
    const negative = value < 0n;
    let magnitude = negative ? -value : value;
    const bytes: number[] = [];
    while (magnitude > 0n) {
      bytes.push(Number(magnitude & 0xffn));
      magnitude >>= 8n;
    }
    w.u8(negative ? 1 : 0);
    w.varint(bytes.length);
    w.reserve(bytes.length);
    for (const byte of bytes) w.bytes[w.pos++] = byte;
  }

  object(value: object): void {
    const w = this.w;
    const seen = this.refs.get(value);
    if (seen !== undefined) {
      w.u8(V_REF);
      return w.varint(seen);
    }
    if (Array.isArray(value)) return this.array(value);
    if (isShareable(value)) {
      throw new Uncloneable(
        `is a shared object (${objectName(value)})`,
        true,
      );
    }
    if (value instanceof SharedArrayBuffer) {
      throw new Uncloneable("is a SharedArrayBuffer", true);
    }
    this.refs.set(value, this.refs.size);
    if (value instanceof ArrayBuffer) return this.arrayBuffer(value);
    if (ArrayBuffer.isView(value)) return this.view(value);
    if (value instanceof Date) {
      w.u8(V_DATE);
      return w.f64(value.getTime());
    }
    if (value instanceof RegExp) {
      w.u8(V_REGEXP);
      this.string(value.source);
      return this.string(value.flags);
    }
    if (value instanceof Map) return this.map(value);
    if (value instanceof Set) return this.set(value);
    if (value instanceof Error) return this.error(value);
    const tag = Object.prototype.toString.call(value);
    if (tag !== "[object Object]") {
      switch (tag) {
        case "[object Number]":
          w.u8(V_BOXED_NUMBER);
          return w.f64(Number.prototype.valueOf.call(value));
        case "[object String]":
          w.u8(V_BOXED_STRING);
          return this.string(String.prototype.valueOf.call(value));
        case "[object Boolean]":
          return w.u8(V_BOXED_BOOLEAN),
            w.u8(
              Boolean.prototype.valueOf.call(value) ? 1 : 0,
            );
        case "[object BigInt]":
          w.u8(V_BOXED_BIGINT);
          return this.bigint(BigInt.prototype.valueOf.call(value));
      }
      if (isNativeInstance(value)) {
        throw new Uncloneable(
          `is a ${objectName(value)}, which cannot be cloned`,
          false,
        );
      }
    }
    this.plain(value as Record<string, unknown>);
  }

  array(value: unknown[]): void {
    const w = this.w;
    this.refs.set(value, this.refs.size);
    const length = value.length;
    w.u8(V_ARRAY);
    w.varint(length);
    let i = 0;
    try {
      for (; i < length; i++) {
        const item = value[i];
        if (item === undefined && !(i in value)) w.u8(V_HOLE);
        else this.value(item);
      }
    } catch (error) {
      throw within(error, `[${i}]`);
    }
  }

  plain(value: Record<string, unknown>): void {
    const w = this.w;
    const keys = Object.keys(value);
    w.u8(V_OBJECT);
    w.varint(keys.length);
    let key = "";
    try {
      for (key of keys) {
        this.string(key);
        this.value(value[key]);
      }
    } catch (error) {
      throw within(error, keySegment(key));
    }
  }

  map(value: Map<unknown, unknown>): void {
    const w = this.w;
    w.u8(V_MAP);
    w.varint(value.size);
    let at: unknown;
    try {
      for (const [k, v] of value) {
        at = k;
        this.value(k);
        this.value(v);
      }
    } catch (error) {
      throw within(error, `.get(${describeKey(at)})`);
    }
  }

  set(value: Set<unknown>): void {
    const w = this.w;
    w.u8(V_SET);
    w.varint(value.size);
    try {
      for (const v of value) this.value(v);
    } catch (error) {
      throw within(error, " (an element)");
    }
  }

  arrayBuffer(value: ArrayBuffer): void {
    const w = this.w;
    const detached = (value as { detached?: boolean }).detached;
    if (detached === true) {
      throw new Uncloneable(
        "is a detached ArrayBuffer, which cannot be cloned",
        false,
      );
    }
    const length = value.byteLength;
    w.u8(V_ARRAYBUFFER);
    w.varint(length);
    const resizable = (value as { resizable?: boolean }).resizable === true;
    w.u8(resizable ? 1 : 0);
    if (resizable) {
      w.varint((value as { maxByteLength: number }).maxByteLength);
    }
    w.reserve(length);
    w.bytes.set(new Uint8Array(value), w.pos);
    w.pos += length;
  }

  view(value: ArrayBufferView): void {
    const w = this.w;
    if (value.buffer instanceof SharedArrayBuffer) {
      throw new Uncloneable(
        `is a ${objectName(value)} over a SharedArrayBuffer`,
        true,
      );
    }
    if (value instanceof DataView) {
      w.u8(V_DATAVIEW);
      this.object(value.buffer);
      w.varint(value.byteOffset);
      return w.varint(value.byteLength);
    }
    const kind = typedArrays.findIndex((C) => value instanceof C);
    if (kind < 0) {
      throw new Uncloneable(
        `is a ${objectName(value)}, which cannot be cloned`,
        false,
      );
    }
    w.u8(V_TYPED);
    w.u8(kind);
    this.object(value.buffer);
    w.varint(value.byteOffset);
    w.varint((value as unknown as { length: number }).length);
  }

  error(value: Error): void {
    const w = this.w;
    const aggregate = value instanceof AggregateError;
    w.u8(V_ERROR);
    w.u8(aggregate ? 1 : 0);
    this.string(String(value.name));
    this.string(String(value.message));
    const stack = value.stack;
    if (typeof stack === "string") {
      w.u8(1);
      this.string(stack);
    } else w.u8(0);
    const hasCause = Object.hasOwn(value, "cause");
    try {
      w.u8(hasCause ? 1 : 0);
      if (hasCause) this.value(value.cause);
    } catch (error) {
      throw within(error, ".cause");
    }
    try {
      if (aggregate) this.value(value.errors);
    } catch (error) {
      throw within(error, ".errors");
    }
    const keys = Object.keys(value).filter((k) =>
      k !== "cause" && k !== "stack" && k !== "message" && k !== "name" &&
      !(aggregate && k === "errors")
    );
    w.varint(keys.length);
    let key = "";
    try {
      for (key of keys) {
        this.string(key);
        this.value((value as unknown as Record<string, unknown>)[key]);
      }
    } catch (error) {
      throw within(error, keySegment(key));
    }
  }
}

function describeKey(key: unknown): string {
  return typeof key === "string" ? JSON.stringify(key) : String(key);
}

function objectName(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  if (typeof ctor?.name === "string" && ctor.name !== "") return ctor.name;
  return Object.prototype.toString.call(value).slice(8, -1);
}

/** Whether the object was made by a built-in or host constructor. */
function isNativeInstance(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return false;
  const ctor = proto.constructor;
  if (typeof ctor !== "function") return true;
  try {
    return /\{\s*\[native code\]\s*\}\s*$/.test(
      Function.prototype.toString.call(ctor),
    );
  } catch {
    return true;
  }
}

// The JSON fast path applies to trees of plain objects, arrays, strings,
// finite numbers (not -0), booleans and null, without shared references.
class Seen {
  items: object[] = [];
  set: Set<object> | undefined = undefined;
  busy = false;

  has(value: object): boolean {
    if (this.set !== undefined) return this.set.has(value);
    const items = this.items;
    for (let i = 0; i < items.length; i++) if (items[i] === value) return true;
    return false;
  }

  add(value: object): void {
    if (this.set !== undefined) this.set.add(value);
    else if (this.items.push(value) > 16) this.set = new Set(this.items);
  }

  reset(): void {
    this.items.length = 0;
    this.set = undefined;
    this.busy = false;
  }
}

const pooledSeen = new Seen();

function jsonSafe(value: unknown, depth: number, seen: Seen): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0);
    case "object": {
      if (value === null) return true;
      if (depth > 64 || seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!jsonSafe(value[i], depth + 1, seen)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      if (isShareable(value)) return false;
      const record = value as Record<string, unknown>;
      for (const key in record) {
        if (!jsonSafe(record[key], depth + 1, seen)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function isJsonSafe(value: object): boolean {
  const seen = pooledSeen.busy ? new Seen() : pooledSeen;
  seen.busy = true;
  try {
    return jsonSafe(value, 0, seen);
  } finally {
    seen.reset();
  }
}

const pooled = new Writer(256);

function takeWriter(): Writer {
  if (pooled.busy) return new Writer(256);
  pooled.busy = true;
  pooled.pos = 0;
  // Do not keep a huge buffer alive for ever after one huge value.
  if (pooled.bytes.length > 1 << 20) pooled.replace(new Uint8Array(256));
  return pooled;
}

function encodeInto(
  w: Writer,
  value: unknown,
  options: EncodeValueOptions,
): void {
  switch (typeof value) {
    case "number":
      w.u8(T_NUMBER);
      return w.f64(value);
    case "string":
      if (value.isWellFormed()) {
        w.u8(T_STRING);
        w.utf8(value);
      } else {
        w.u8(T_STRING16);
        w.utf16(value);
      }
      return;
    case "boolean":
      return w.u8(value ? T_TRUE : T_FALSE);
    case "undefined":
      return w.u8(T_UNDEFINED);
    case "object":
      if (value === null) return w.u8(T_NULL);
      if (isJsonSafe(value)) {
        w.u8(T_JSON);
        w.utf8(JSON.stringify(value));
        return;
      }
  }
  w.u8(T_BINARY);
  try {
    new Encoder(w).value(value);
  } catch (error) {
    if (error instanceof Uncloneable) toTypeError(error, options);
    throw error;
  }
}

/**
 * Encodes a structured-cloneable value into a new byte array.
 *
 * @param value The value: anything `structuredClone` accepts, except shared
 * memory.
 * @param options How to name the value in error messages.
 * @returns The encoding, in a buffer of its own.
 * @throws {TypeError} naming the part that cannot be cloned (a function, a
 * symbol, a `WeakMap`, a `SharedArrayBuffer` or shared object...).
 *
 * @example Usage
 * ```ts
 * import { decodeValue, encodeValue } from "./value_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeValue({ when: new Date(0), tags: new Set(["a"]) });
 * assert.deepEqual(decodeValue(bytes), { when: new Date(0), tags: new Set(["a"]) });
 * ```
 */
export function encodeValue(
  value: unknown,
  options: EncodeValueOptions = {},
): Uint8Array {
  const w = encodeValueToScratch(value, options);
  return w.bytes.slice(0, w.length);
}

/**
 * Encodes a value without copying the result: the bytes are a view of a
 * buffer this module reuses, valid only until the next call of an encode
 * function in this thread. Copy them (into shared memory) at once.
 *
 * @param value The value to encode.
 * @param options How to name the value in error messages.
 * @returns A view of the encoding in a reused buffer.
 * @throws {TypeError} as {@linkcode encodeValue}.
 *
 * @example Usage
 * ```ts
 * import { decodeValue, encodeValueTransient } from "./value_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const shared = new Uint8Array(new SharedArrayBuffer(64));
 * const bytes = encodeValueTransient([1, "two"]);
 * shared.set(bytes);
 * assert.deepEqual(decodeValue(shared.subarray(0, bytes.length)), [1, "two"]);
 * ```
 */
export function encodeValueTransient(
  value: unknown,
  options: EncodeValueOptions = {},
): Uint8Array {
  const w = encodeValueToScratch(value, options);
  return w.bytes.subarray(0, w.length);
}

/** An encoding in a reused buffer: bytes `0 .. length` of `bytes`. */
export interface ScratchEncoding {
  /** The reused buffer; only its first `length` bytes are the encoding. */
  readonly bytes: Uint8Array;
  /** The number of bytes of the encoding. */
  readonly length: number;
}

/**
 * The allocation-free form of {@linkcode encodeValueTransient} for hot paths:
 * the encoding is bytes `0 .. length` of a reused buffer, valid only until the
 * next call of an encode function in this thread.
 *
 * @param value The value to encode.
 * @param options How to name the value in error messages.
 * @returns The reused buffer and the encoding's length.
 * @throws {TypeError} as {@linkcode encodeValue}.
 *
 * @example Usage
 * ```ts
 * import { decodeValueAt, encodeValueToScratch } from "./value_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const shared = new Uint8Array(new SharedArrayBuffer(64));
 * const { bytes, length } = encodeValueToScratch(3.5);
 * shared.set(bytes.subarray(0, length), 8);
 * assert.equal(decodeValueAt(shared, 8, 8 + length), 3.5);
 * ```
 */
export function encodeValueToScratch(
  value: unknown,
  options: EncodeValueOptions = {},
): ScratchEncoding {
  const w = takeWriter();
  try {
    encodeInto(w, value, options);
    return w;
  } finally {
    w.busy = false;
  }
}

/** Reads the binary encoding. */
class Decoder {
  readonly refs: unknown[] = [];
  pos: number;
  readonly view: DataView;

  constructor(readonly bytes: Uint8Array, start: number) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  corrupt(): never {
    throw new RangeError(
      `Cannot decode the value: the bytes are not a valid encoding (at byte ${this.pos})`,
    );
  }

  u8(): number {
    if (this.pos >= this.bytes.length) this.corrupt();
    return this.bytes[this.pos++];
  }

  u32(): number {
    if (this.pos + 4 > this.bytes.length) this.corrupt();
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  f64(): number {
    if (this.pos + 8 > this.bytes.length) this.corrupt();
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 56) this.corrupt();
    }
  }

  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) this.corrupt();
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    const tag = this.u8();
    if (tag === V_STRING) return utf8(this.take(this.u32()));
    if (tag === V_STRING16) return utf16(this.take(this.u32()));
    return this.corrupt();
  }

  bigint(): bigint {
    const negative = this.u8() === 1;
    const bytes = this.take(this.varint());
    let value = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) {
      value = (value << 8n) | BigInt(bytes[i]);
    }
    return negative ? -value : value;
  }

  value(): unknown {
    const tag = this.u8();
    switch (tag) {
      case V_UNDEFINED:
        return undefined;
      case V_NULL:
        return null;
      case V_TRUE:
        return true;
      case V_FALSE:
        return false;
      case V_NUMBER:
        return this.f64();
      case V_INT: {
        const z = this.varint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case V_BIGINT:
        return this.bigint();
      case V_STRING:
      case V_STRING16:
        this.pos--;
        return this.string();
      case V_REF: {
        const id = this.varint();
        if (id >= this.refs.length) this.corrupt();
        return this.refs[id];
      }
      case V_ARRAY: {
        const length = this.varint();
        if (length > this.bytes.length - this.pos) this.corrupt();
        const out: unknown[] = new Array(length);
        this.refs.push(out);
        for (let i = 0; i < length; i++) {
          if (this.bytes[this.pos] === V_HOLE) this.pos++;
          else out[i] = this.value();
        }
        return out;
      }
      case V_OBJECT: {
        const out: Record<string, unknown> = {};
        this.refs.push(out);
        this.fill(out, this.varint());
        return out;
      }
      case V_DATE: {
        const out = new Date(this.f64());
        this.refs.push(out);
        return out;
      }
      case V_REGEXP: {
        const id = this.reserve();
        const source = this.string();
        const out = new RegExp(source, this.string());
        this.refs[id] = out;
        return out;
      }
      case V_MAP: {
        const out = new Map();
        this.refs.push(out);
        const size = this.varint();
        for (let i = 0; i < size; i++) {
          const key = this.value();
          out.set(key, this.value());
        }
        return out;
      }
      case V_SET: {
        const out = new Set();
        this.refs.push(out);
        const size = this.varint();
        for (let i = 0; i < size; i++) out.add(this.value());
        return out;
      }
      case V_ARRAYBUFFER: {
        const length = this.varint();
        const resizable = this.u8() === 1;
        const out = resizable
          ? new ArrayBuffer(length, { maxByteLength: this.varint() })
          : new ArrayBuffer(length);
        new Uint8Array(out).set(this.take(length));
        this.refs.push(out);
        return out;
      }
      case V_TYPED: {
        const id = this.reserve();
        const Ctor = typedArrays[this.u8()] ?? this.corrupt();
        const buffer = this.value();
        if (!(buffer instanceof ArrayBuffer)) this.corrupt();
        const offset = this.varint();
        const out = new Ctor(buffer, offset, this.varint());
        this.refs[id] = out;
        return out;
      }
      case V_DATAVIEW: {
        const id = this.reserve();
        const buffer = this.value();
        if (!(buffer instanceof ArrayBuffer)) this.corrupt();
        const offset = this.varint();
        const out = new DataView(buffer, offset, this.varint());
        this.refs[id] = out;
        return out;
      }
      case V_ERROR:
        return this.error();
      case V_BOXED_NUMBER:
        return this.boxed(Object(this.f64()));
      case V_BOXED_STRING: {
        const id = this.reserve();
        return (this.refs[id] = Object(this.string()));
      }
      case V_BOXED_BOOLEAN:
        return this.boxed(Object(this.u8() === 1));
      case V_BOXED_BIGINT: {
        const id = this.reserve();
        return (this.refs[id] = Object(this.bigint()));
      }
    }
    return this.corrupt();
  }

  reserve(): number {
    this.refs.push(undefined);
    return this.refs.length - 1;
  }

  boxed(value: object): object {
    this.refs.push(value);
    return value;
  }

  fill(out: Record<string, unknown>, count: number): void {
    for (let i = 0; i < count; i++) {
      const key = this.string();
      const value = this.value();
      if (key === "__proto__") {
        Object.defineProperty(out, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else out[key] = value;
    }
  }

  error(): Error {
    const id = this.reserve();
    const aggregate = this.u8() === 1;
    const name = this.string();
    const message = this.string();
    const stack = this.u8() === 1 ? this.string() : undefined;
    const Ctor = Object.hasOwn(errorClasses, name) ? errorClasses[name] : Error;
    const error = aggregate
      ? new AggregateError([], message)
      : new Ctor(message);
    this.refs[id] = error;
    if (error.name !== name) define(error, "name", name);
    if (stack !== undefined) define(error, "stack", stack);
    else delete (error as { stack?: string }).stack;
    if (this.u8() === 1) define(error, "cause", this.value());
    if (aggregate) {
      const errors = this.value();
      define(error, "errors", Array.isArray(errors) ? errors : []);
    }
    this.fill(error as unknown as Record<string, unknown>, this.varint());
    return error;
  }
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

function utf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (end - start < 32) {
    let out = "";
    for (let i = start; i < end; i++) {
      const byte = bytes[i];
      if (byte >= 0x80) return textDecoder.decode(bytes.subarray(start, end));
      out += String.fromCharCode(byte);
    }
    return out;
  }
  return textDecoder.decode(bytes.subarray(start, end));
}

function utf16(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const units = bytes.length >> 1;
  let out = "";
  for (let i = 0; i < units; i += 4096) {
    const end = Math.min(units, i + 4096);
    const chunk: number[] = [];
    for (let j = i; j < end; j++) chunk.push(view.getUint16(2 * j, true));
    out += String.fromCharCode(...chunk);
  }
  return out;
}

const numberBytes = new Uint8Array(8);
const numberView = new DataView(numberBytes.buffer);

/**
 * Decodes bytes written by {@linkcode encodeValue} (a view of shared memory
 * works too, as long as nobody writes to it meanwhile).
 *
 * @param bytes The encoding, exactly (a `subarray` of a larger buffer is fine).
 * @returns A fresh copy of the encoded value.
 * @throws {RangeError} when the bytes are not a valid encoding.
 *
 * @example Usage
 * ```ts
 * import { decodeValue, encodeValue } from "./value_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const cyclic: { self?: unknown } = {};
 * cyclic.self = cyclic;
 * const copy = decodeValue(encodeValue(cyclic)) as { self: unknown };
 * assert.equal(copy.self, copy);
 * ```
 */
export function decodeValue(bytes: Uint8Array): unknown {
  return decodeValueAt(bytes, 0, bytes.length);
}

/**
 * Decodes the encoding held in `bytes[start .. end)`, without making a view
 * of it first (the allocation-free form of {@linkcode decodeValue}).
 *
 * @param bytes A buffer that holds the encoding.
 * @param start Where the encoding starts.
 * @param end Where it ends (exclusive).
 * @returns A fresh copy of the encoded value.
 * @throws {RangeError} when the bytes are not a valid encoding.
 *
 * @example Usage
 * ```ts
 * import { decodeValueAt, encodeValue } from "./value_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeValue("hi");
 * const padded = new Uint8Array(bytes.length + 4);
 * padded.set(bytes, 4);
 * assert.equal(decodeValueAt(padded, 4, padded.length), "hi");
 * ```
 */
export function decodeValueAt(
  bytes: Uint8Array,
  start: number,
  end: number,
): unknown {
  if (!(start >= 0 && start < end && end <= bytes.length)) {
    throw new RangeError(
      `Cannot decode the value: there are no bytes between ${start} and ${end}`,
    );
  }
  switch (bytes[start]) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_TRUE:
      return true;
    case T_FALSE:
      return false;
    case T_NUMBER:
      if (end - start !== 9) break;
      for (let i = 0; i < 8; i++) numberBytes[i] = bytes[start + 1 + i];
      return numberView.getFloat64(0, true);
    case T_STRING:
      return utf8(bytes, start + 1, end);
    case T_STRING16:
      return utf16(bytes.subarray(start + 1, end));
    case T_JSON:
      return JSON.parse(utf8(bytes, start + 1, end));
    case T_BINARY: {
      const decoder = new Decoder(bytes.subarray(0, end), start + 1);
      const value = decoder.value();
      if (decoder.pos !== end) break;
      return value;
    }
  }
  throw new RangeError(
    "Cannot decode the value: the bytes are not a valid encoding",
  );
}
