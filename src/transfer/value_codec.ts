/**
 * The value codec: turns a structured-cloneable value into bytes and back, so
 * that queues, the shared map and the executor's task and result rings
 * (through `executor/_ring_codec.ts`) keep values in shared memory: the
 * library's one encoding of a value. A value is encoded once, copied into
 * shared memory, and decoded in whichever thread takes it.
 *
 * Layout: the first byte says how the rest is encoded.
 * - `undefined`, `null`, booleans: that byte alone; a number: a float64; a
 *   string: its UTF-8 (UTF-16 when it holds lone surrogates, which UTF-8
 *   cannot carry);
 * - anything else: a tagged recursive binary encoding of the structured-clone
 *   types: numbers (int32 or float64, so `NaN`, ±`Infinity` and `-0` too),
 *   bigints, strings (short ASCII ones in a byte per character), `Date`,
 *   `RegExp`, `Map`, `Set`, `ArrayBuffer`, typed arrays and `DataView`
 *   (copied; views of one buffer still share it), errors (name, message,
 *   stack, cause, own properties), boxed primitives, arrays (element by
 *   element; one with holes or named properties by its own keys, so that a
 *   sparse array costs its elements, not its length) and objects (their
 *   keys together, then their values), with cycles and shared references
 *   preserved. Class instances become plain objects of their own
 *   enumerable properties, as with `structuredClone`.
 * - shared memory travels live: a `SharedArrayBuffer` (alone, or under a
 *   typed array or `DataView`) is written as its id in the shared-buffer
 *   directory (`_directory.ts`), to which the encoding thread posts the
 *   buffer before the bytes are handed out; a shared object (lock, queue,
 *   map... anything with `[toShared]()`) as its tag and data, whose buffers
 *   go by id the same way. Decoding fetches unknown ids from the directory
 *   synchronously and revives a view over the same memory.
 *
 * Written in plain JavaScript, this beats `JSON.stringify` + UTF-8 (and
 * `node:v8` `serialize`, which leaks memory on Deno and writes another format
 * on Bun) on small items on all three runtimes; encoding writes the keys of
 * an object of a shape it met before as one cached block, decoding recognizes
 * such objects by the bytes of their keys, and keeps a small cache of short
 * strings.
 *
 * What cannot be encoded throws a `TypeError` naming the part (`item.cb`)
 * before anything is written anywhere: functions, symbols, `WeakMap`,
 * `WeakSet`, `WeakRef`, proxies, host objects such as `Blob` or
 * `MessagePort` (and shared memory in a worker that the library did not
 * start, which has no link to the directory). A value nested more than
 * {@linkcode MAX_DEPTH} levels deep throws a `RangeError`: refused when it is
 * put, never lost when it is taken.
 *
 * @module
 */
import { types } from "node:util";
import { describe } from "../validate.ts";
import { knownErrors } from "./error_codec.ts";
import {
  bufferById,
  knownBufferId,
  newBufferId,
  registerBuffers,
  sharingUnavailable,
} from "./_directory.ts";
import {
  isShareable,
  reviveShared,
  type SharedState,
  toShared,
} from "./shareable.ts";
import { assign, defineHidden } from "./_assign.ts";

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
const T_BINARY = 8;
/** As `T_BINARY`, with references to objects met before (`V_REF`). */
const T_BINARY_REFS = 9;

// Value tags of the binary encoding.
const V_UNDEFINED = 0;
const V_NULL = 1;
const V_TRUE = 2;
const V_FALSE = 3;
const V_INT32 = 4;
const V_NUMBER = 5;
const V_BIGINT = 6;
const V_STRING = 7;
const V_REF = 8;
const V_HOLE = 9;
const V_ARRAY = 10;
const V_OBJECT = 11;
const V_DATE = 12;
const V_REGEXP = 13;
const V_MAP = 14;
const V_SET = 15;
const V_ARRAYBUFFER = 16;
const V_TYPED = 17;
const V_DATAVIEW = 18;
const V_ERROR = 19;
const V_BOXED_NUMBER = 20;
const V_BOXED_STRING = 21;
const V_BOXED_BOOLEAN = 22;
const V_BOXED_BIGINT = 23;
/** A `SharedArrayBuffer`, by its id in the shared-buffer directory. */
const V_SAB = 24;
/** A shared object: its registered tag, then the data of its `[toShared]()`. */
const V_SHARED = 25;
/**
 * An array with holes or named properties: its length, the count of its
 * elements, each as its index and value, then the count of its named
 * properties, each as its key and value (all in `Object.keys` order).
 */
const V_SPARSE_ARRAY = 26;

/**
 * How deep objects may nest in a value (arrays, maps... each count one
 * level). Encoding refuses deeper values: decoding recurses, and a thread
 * that took an item off a queue must be able to decode it whatever its
 * stack (at 1,000 levels it needs a small part of the smallest default
 * stack of the three runtimes; a value nested some 3,000 levels deep could
 * overflow it).
 */
export const MAX_DEPTH = 1000;

// The first byte of a string's body: below 0x80 the length of an ASCII
// string that follows, one byte a character; else one of these, then a u32
// byte length and the bytes.
const S_UTF8 = 0xfe;
const S_UTF16 = 0xff;

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

const textEncoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF: it is part of the string, not a byte-order mark.
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The reason a part of a value cannot be encoded, and where it is. */
class Uncloneable {
  readonly segments: string[] = [];
  constructor(
    readonly reason: string,
    readonly shared: boolean,
    readonly tooDeep = false,
  ) {}
}

/**
 * Adds a segment to the path of an `Uncloneable` (other errors pass
 * unchanged, and make no segment: they may be a stack overflow, where
 * little more can run).
 */
function within(
  error: unknown,
  segment: (arg: never) => string,
  arg: unknown,
): unknown {
  if (error instanceof Uncloneable && !error.tooDeep) {
    error.segments.push((segment as (arg: unknown) => string)(arg));
  }
  return error;
}

const indexSegment = (i: number): string => `[${i}]`;
const fixedSegment = (text: string): string => text;
const mapSegment = (key: unknown): string => `.get(${describeKey(key)})`;

function keySegment(key: string): string {
  let plain = key.length > 0;
  for (let i = 0; i < key.length && plain; i++) {
    const c = key.charCodeAt(i);
    plain = c === 36 || c === 95 || (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) || (i > 0 && c >= 48 && c <= 57);
  }
  return plain ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function toTypeError(error: Uncloneable, options: EncodeValueOptions): never {
  const path = (options.path ?? "value") + error.segments.reverse().join("");
  const action = options.action ?? "encode the value";
  if (error.tooDeep) {
    throw new RangeError(
      `Cannot ${action}: ${path} ${error.reason}. Flatten the data, or send the deep part as a string (JSON.stringify)`,
    );
  }
  const advice = error.shared
    ? "Start the threads that share it with Thread or ThreadPoolExecutor, or pass it to a thread through Thread args"
    : "Only structured-cloneable data can be stored";
  throw new TypeError(`Cannot ${action}: ${path} ${error.reason}. ${advice}`);
}

/** Whether an error is the engine's stack overflow. */
function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError &&
    /call stack|stack overflow|too much recursion/i.test(error.message);
}

const isProxy: (value: unknown) => boolean = types.isProxy;

/**
 * Whether an array has neither holes nor named properties: every index below
 * its length, and no other own enumerable key. Engines keep no count of an
 * array's named properties, so this counts its own values (which `Object.keys`
 * does too, making a string of every index on the way: slower in V8 from 16
 * elements). Holes come first, by a read of each element, so that the count
 * is the length exactly when there are no named properties; a long array is
 * counted by its keys at once, since it may be sparse (index 2 ** 32 - 2
 * alone), where reading every index would cost its length.
 */
function isDense(value: unknown[], length: number): boolean {
  if (length > DENSE_SCAN_LIMIT) {
    const keys = Object.keys(value);
    return keys.length === length && keys[length - 1] === String(length - 1);
  }
  for (let i = 0; i < length; i++) {
    if (value[i] === undefined && !(i in value)) return false;
  }
  return (length < 16 ? Object.keys(value) : Object.values(value)).length ===
    length;
}

/** The longest array {@linkcode isDense} scans for holes element by element. */
const DENSE_SCAN_LIMIT = 1 << 16;

/** Whether `key`, an own key of an array, is an array index. */
function isIndexKey(key: string): boolean {
  const n = Number(key);
  return n >>> 0 === n && n !== 4294967295 && String(n) === key;
}

/** The `index`-th key `for-in` visits (for error messages). */
function forInKey(value: object, index: number): string {
  let i = 0;
  for (const key in value) if (i++ === index) return key;
  return "";
}

function describeKey(key: unknown): string {
  if (typeof key === "string") return JSON.stringify(key);
  if (typeof key === "object" && key !== null) {
    return `a key ${describe(key).replace(/ \(object\)$/, "")}`;
  }
  return describe(key).replace(/ \((?:number|boolean|undefined|bigint)\)$/, "");
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

/**
 * The encoded keys of an object shape met before: an object whose `for-in`
 * keys turn out the same (compared key by key as they come, which is cheap:
 * property names are interned strings) gets these bytes instead of its keys
 * encoded one by one. The encoding is the same either way.
 */
interface KeyBlock {
  readonly keys: string[];
  /** The keys as `literal` writes them. */
  readonly bytes: Uint8Array;
  /** Objects in a row that began with the same key but had another shape. */
  misses: number;
}
const MAX_BLOCKS = 8;
const MAX_BLOCK_KEYS = 32;
const MAX_BLOCK_BYTES = 512;
/** After so many misses in a row, a block gives way to the new shape. */
const BLOCK_MISSES = 16;
const EMPTY_KEYS: string[] = [];

/** The encoder: a growable byte buffer and the objects met so far. */
class Encoder {
  bytes: Uint8Array;
  view: DataView;
  pos = 0;
  busy = false;
  /** `bytes.subarray(1)`, where top-level strings start. */
  from1: Uint8Array;
  // Objects met so far, by id (for shared references and cycles), the first
  // `seenCount` cells; a Map joins in once there are many.
  readonly seen: (object | undefined)[] = [];
  seenCount = 0;
  seenIds: Map<object, number> | undefined = undefined;
  /** Whether a `V_REF` was written (the decoder then keeps every object). */
  wroteRef = false;
  /** Buffers new to the directory, as `id, buffer` pairs, sent on success. */
  fresh: (SharedArrayBuffer | number)[] = [];
  /** Values of the objects being written, below `sp`. */
  readonly stack: unknown[] = [];
  sp = 0;
  /** The keys of the object being written (its first `MAX_BLOCK_KEYS`). */
  readonly keyList: string[] = [];
  /** Key blocks of the object shapes met lately, found by their first key. */
  readonly blocks: KeyBlock[] = [];
  /** Which block the next new shape replaces once all are taken. */
  nextBlock = 0;
  /** How many objects enclose the one being written. */
  depth = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.from1 = this.bytes.subarray(1);
  }

  get length(): number {
    return this.pos;
  }

  reset(): void {
    this.pos = 0;
    this.sp = 0;
    this.depth = 0;
    this.wroteRef = false;
    if (this.fresh.length > 0) this.fresh = [];
    this.forget();
  }

  /** Lets go of the objects met (cheaper than `seen.length = 0`). */
  forget(): void {
    const seen = this.seen;
    for (let i = 0; i < this.seenCount; i++) seen[i] = undefined;
    this.seenCount = 0;
    this.seenIds = undefined;
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
    if (this.pos >= this.bytes.length) this.grow(this.pos + 1);
    this.bytes[this.pos++] = value;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  varint(value: number): void {
    this.reserve(8);
    const bytes = this.bytes;
    while (value >= 0x80) {
      bytes[this.pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    bytes[this.pos++] = value;
  }

  /** Writes UTF-8 without a length (top-level strings); returns the byte count. */
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

  /** Writes UTF-16 code units without a length. */
  utf16(text: string): void {
    const length = text.length;
    this.reserve(length * 2);
    for (let i = 0; i < length; i++) {
      this.view.setUint16(this.pos + 2 * i, text.charCodeAt(i), true);
    }
    this.pos += length * 2;
  }

  /** Writes a string's body: short ASCII inline, else a kind and a length. */
  string(text: string): void {
    const length = text.length;
    if (length < 0x80) {
      this.reserve(length + 1);
      const bytes = this.bytes;
      const start = this.pos;
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        bytes[start + 1 + i] = code;
      }
      if (i === length) {
        bytes[start] = length;
        this.pos = start + 1 + length;
        return;
      }
    }
    if (text.isWellFormed()) {
      this.reserve(5);
      this.bytes[this.pos] = S_UTF8;
      const at = this.pos + 1;
      this.pos += 5;
      const written = this.utf8(text); // may grow the buffer: then the view
      this.view.setUint32(at, written, true);
    } else {
      this.u8(S_UTF16);
      this.reserve(4);
      this.view.setUint32(this.pos, text.length * 2, true);
      this.pos += 4;
      this.utf16(text);
    }
  }

  /** Notes an object met for the first time; returns its id if met before. */
  idOf(value: object): number {
    const seen = this.seen;
    const count = this.seenCount;
    if (this.seenIds !== undefined) {
      const id = this.seenIds.get(value);
      if (id !== undefined) return id;
      this.seenIds.set(value, count);
    } else {
      for (let i = 0; i < count; i++) if (seen[i] === value) return i;
      if (count === 32) {
        this.seenIds = new Map();
        for (let i = 0; i < count; i++) this.seenIds.set(seen[i]!, i);
        this.seenIds.set(value, count);
      }
    }
    seen[count] = value;
    this.seenCount = count + 1;
    return -1;
  }

  value(value: unknown): void {
    // Comparisons with typeof strings, not a switch on typeof: V8 compiles
    // these to type checks, the switch to a call that makes the string. Kept
    // small, so that it is inlined where objects and arrays write values.
    if (typeof value === "number") return this.number(value);
    if (typeof value === "string") {
      this.u8(V_STRING);
      return this.string(value);
    }
    if (typeof value === "object" && value !== null) return this.object(value);
    this.scalar(value);
  }

  number(value: number): void {
    if ((value | 0) === value && (value !== 0 || 1 / value > 0)) {
      this.reserve(5);
      this.bytes[this.pos] = V_INT32;
      this.view.setInt32(this.pos + 1, value, true);
      this.pos += 5;
      return;
    }
    this.u8(V_NUMBER);
    this.f64(value);
  }

  /** `null`, booleans, `undefined` and bigints; throws for functions and symbols. */
  scalar(value: unknown): void {
    if (value === null) return this.u8(V_NULL);
    if (typeof value === "boolean") return this.u8(value ? V_TRUE : V_FALSE);
    if (value === undefined) return this.u8(V_UNDEFINED);
    if (typeof value === "bigint") {
      this.u8(V_BIGINT);
      return this.bigint(value);
    }
    if (typeof value === "function") {
      throw new Uncloneable(
        `is a function (${describe(value)}), which cannot be cloned`,
        false,
      );
    }
    throw new Uncloneable(
      `is a symbol (${String(value)}), which cannot be cloned`,
      false,
    );
  }

  bigint(value: bigint): void {
    const negative = value < 0n;
    let magnitude = negative ? -value : value;
    const digits: number[] = [];
    while (magnitude > 0n) {
      digits.push(Number(magnitude & 0xffn));
      magnitude >>= 8n;
    }
    this.u8(negative ? 1 : 0);
    this.varint(digits.length);
    this.reserve(digits.length);
    for (const digit of digits) this.bytes[this.pos++] = digit;
  }

  object(value: object): void {
    if (++this.depth > MAX_DEPTH) {
      throw new Uncloneable(
        `nests objects more than ${MAX_DEPTH} levels deep, deeper than every thread could decode`,
        false,
        true,
      );
    }
    if (isProxy(value)) {
      throw new Uncloneable("is a Proxy, which cannot be cloned", false);
    }
    this.objectBody(value);
    this.depth--;
  }

  objectBody(value: object): void {
    if (Array.isArray(value)) {
      if (this.ref(value)) return;
      return this.array(value);
    }
    // Shared objects are class instances: a plain object is never one.
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      if (this.ref(value)) return;
      return this.literal(value as Record<string, unknown>);
    }
    if (isShareable(value)) {
      if (this.ref(value)) return;
      return this.shareable(value);
    }
    if (value instanceof SharedArrayBuffer) {
      if (this.ref(value)) return;
      return this.sharedBuffer(value);
    }
    if (this.ref(value)) return;
    if (value instanceof ArrayBuffer) return this.arrayBuffer(value);
    if (ArrayBuffer.isView(value)) return this.view_(value);
    if (value instanceof Date) {
      this.u8(V_DATE);
      return this.f64(value.getTime());
    }
    if (value instanceof RegExp) {
      this.u8(V_REGEXP);
      this.string(value.source);
      return this.string(value.flags);
    }
    if (value instanceof Map) return this.map(value);
    if (value instanceof Set) return this.set(value);
    if (value instanceof Error) return this.error(value);
    const tag = Object.prototype.toString.call(value);
    switch (tag) {
      case "[object Number]":
        this.u8(V_BOXED_NUMBER);
        return this.f64(Number.prototype.valueOf.call(value));
      case "[object String]":
        this.u8(V_BOXED_STRING);
        return this.string(String.prototype.valueOf.call(value));
      case "[object Boolean]":
        this.u8(V_BOXED_BOOLEAN);
        return this.u8(Boolean.prototype.valueOf.call(value) ? 1 : 0);
      case "[object BigInt]":
        this.u8(V_BOXED_BIGINT);
        return this.bigint(BigInt.prototype.valueOf.call(value));
    }
    if (tag !== "[object Object]" && isNativeInstance(value)) {
      throw new Uncloneable(
        `is a ${objectName(value)}, which cannot be cloned`,
        false,
      );
    }
    this.plain(value as Record<string, unknown>);
  }

  /** A shared object: its tag and data, whose buffers go by id. */
  shareable(value: object): void {
    const unavailable = sharingUnavailable();
    if (unavailable !== null) throw new Uncloneable(unavailable, true);
    const state: SharedState = (value as { [toShared](): SharedState })
      [toShared]();
    this.u8(V_SHARED);
    this.string(state.tag);
    this.value(state.data);
  }

  /** A `SharedArrayBuffer`: its directory id (registered once encoding succeeds). */
  sharedBuffer(value: SharedArrayBuffer): void {
    const unavailable = sharingUnavailable();
    if (unavailable !== null) throw new Uncloneable(unavailable, true);
    let id = knownBufferId(value);
    if (id < 0) {
      id = newBufferId();
      this.fresh.push(id, value);
    }
    this.u8(V_SAB);
    this.varint(id);
  }

  /** Writes a reference when `value` was met before; returns whether it did. */
  ref(value: object): boolean {
    const id = this.idOf(value);
    if (id < 0) return false;
    this.wroteRef = true;
    this.u8(V_REF);
    this.varint(id);
    return true;
  }

  array(value: unknown[]): void {
    const length = value.length;
    if (!isDense(value, length)) {
      return this.sparseArray(value, Object.keys(value));
    }
    this.u8(V_ARRAY);
    this.varint(length);
    let i = 0;
    try {
      for (; i < length; i++) this.value(value[i]);
    } catch (error) {
      throw within(error, indexSegment, i);
    }
  }

  /** An array with holes or named properties: its own keys one by one. */
  sparseArray(value: unknown[], keys: string[]): void {
    this.u8(V_SPARSE_ARRAY);
    this.varint(value.length);
    let elements = 0;
    while (elements < keys.length && isIndexKey(keys[elements])) elements++;
    this.varint(elements);
    let i = 0;
    try {
      for (; i < elements; i++) {
        const index = Number(keys[i]);
        this.varint(index);
        this.value(value[index]);
      }
    } catch (error) {
      throw within(error, indexSegment, Number(keys[i]));
    }
    this.varint(keys.length - elements);
    try {
      for (; i < keys.length; i++) {
        this.string(keys[i]);
        this.value((value as unknown as Record<string, unknown>)[keys[i]]);
      }
    } catch (error) {
      throw within(error, keySegment, keys[i]);
    }
  }

  /**
   * An object literal's own keys, by `for-in` (faster than `Object.keys`).
   * An object is `V_OBJECT`, its key count and its keys' byte length (u32
   * each), its keys, then its values in the same order: the keys together, so
   * that a decoder recognizes a shape it met before by its bytes alone.
   */
  literal(value: Record<string, unknown>): void {
    const at = this.objectHead();
    const stack = this.stack;
    const base = this.sp;
    const list = this.keyList;
    let top = base;
    // The block of the shape met before with the same first key, and how
    // many of its keys matched so far (-1 once the keys went another way:
    // they are then written one by one).
    let block: KeyBlock | null = null;
    let keys = EMPTY_KEYS;
    let same = -1;
    for (const key in value) {
      if (top === base) {
        block = this.blockFor(key);
        if (block !== null) {
          keys = block.keys;
          same = 0;
        }
      }
      if (same >= 0) {
        if (same < keys.length && keys[same] === key) {
          same++;
          stack[top++] = value[key];
          continue;
        }
        this.keysOf(keys, same);
        same = -1;
      }
      this.string(key);
      if (top - base < MAX_BLOCK_KEYS) list[top - base] = key;
      stack[top++] = value[key];
    }
    if (same >= 0 && same === keys.length) {
      // The shape of the block: its bytes are the keys.
      const encoded = block!.bytes;
      const length = encoded.length;
      this.reserve(length);
      const bytes = this.bytes;
      const pos = this.pos;
      for (let i = 0; i < length; i++) bytes[pos + i] = encoded[i];
      this.pos = pos + length;
      block!.misses = 0;
    } else {
      if (same > 0) this.keysOf(keys, same);
      if (block !== null) block.misses++;
      this.remember(at, top - base, block);
    }
    this.objectTail(value, at, base, top, null);
  }

  /** The key block whose first key is `key`, or null. */
  blockFor(key: string): KeyBlock | null {
    const blocks = this.blocks;
    for (let b = 0; b < blocks.length; b++) {
      if (blocks[b].keys[0] === key) return blocks[b];
    }
    return null;
  }

  /** Writes the first `count` of `keys` (matched to a block before the object went another way). */
  keysOf(keys: string[], count: number): void {
    for (let i = 0; i < count; i++) {
      this.string(keys[i]);
      this.keyList[i] = keys[i];
    }
  }

  /**
   * Remembers the shape of the object whose `count` keys were just written
   * after `at` (their strings in `keyList`), unless it is too large or a
   * block with the same first key still serves.
   */
  remember(at: number, count: number, stale: KeyBlock | null): void {
    const length = this.pos - at - 8;
    if (count === 0 || count > MAX_BLOCK_KEYS || length > MAX_BLOCK_BYTES) {
      return;
    }
    if (stale !== null && stale.misses < BLOCK_MISSES) return;
    const block: KeyBlock = {
      keys: this.keyList.slice(0, count),
      bytes: this.bytes.slice(at + 8, this.pos),
      misses: 0,
    };
    const blocks = this.blocks;
    const index = stale !== null ? blocks.indexOf(stale) : -1;
    if (index >= 0) blocks[index] = block;
    else if (blocks.length < MAX_BLOCKS) blocks.push(block);
    else blocks[this.nextBlock++ % MAX_BLOCKS] = block;
  }

  /** Any other object's own enumerable keys (laid out as {@linkcode literal}). */
  plain(value: Record<string, unknown>): void {
    const keys = Object.keys(value);
    const at = this.objectHead();
    const stack = this.stack;
    const base = this.sp;
    let top = base;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      this.string(key);
      stack[top++] = value[key];
    }
    this.objectTail(value, at, base, top, keys);
  }

  /** Writes `V_OBJECT` and room for the counts; returns where they go. */
  objectHead(): number {
    this.reserve(9);
    this.bytes[this.pos] = V_OBJECT;
    const at = this.pos + 1;
    this.pos = at + 8;
    return at;
  }

  /**
   * Fills in the counts of the keys just written, then writes the values
   * read meanwhile, at `stack[base..top)` (letting go of them). `keys` names
   * them in errors (`null`: `value`'s own `for-in` keys).
   */
  objectTail(
    value: Record<string, unknown>,
    at: number,
    base: number,
    top: number,
    keys: string[] | null,
  ): void {
    this.view.setUint32(at, top - base, true);
    this.view.setUint32(at + 4, this.pos - at - 8, true);
    const stack = this.stack;
    this.sp = top;
    let i = base;
    try {
      for (; i < top; i++) {
        const item = stack[i];
        stack[i] = undefined;
        this.value(item);
      }
    } catch (error) {
      const index = i - base;
      throw within(
        error,
        (index: number) => keySegment(keys?.[index] ?? forInKey(value, index)),
        index,
      );
    } finally {
      this.sp = base;
    }
  }

  /** Lets go of the values of objects whose writing failed. */
  dropStack(): void {
    this.stack.fill(undefined);
    this.sp = 0;
  }

  map(value: Map<unknown, unknown>): void {
    this.u8(V_MAP);
    this.varint(value.size);
    let at: unknown;
    try {
      for (const [k, v] of value) {
        at = k;
        this.value(k);
        this.value(v);
      }
    } catch (error) {
      throw within(error, mapSegment, at);
    }
  }

  set(value: Set<unknown>): void {
    this.u8(V_SET);
    this.varint(value.size);
    try {
      for (const v of value) this.value(v);
    } catch (error) {
      throw within(error, fixedSegment, " (an element)");
    }
  }

  arrayBuffer(value: ArrayBuffer): void {
    if ((value as { detached?: boolean }).detached === true) {
      throw new Uncloneable(
        "is a detached ArrayBuffer, which cannot be cloned",
        false,
      );
    }
    const length = value.byteLength;
    this.u8(V_ARRAYBUFFER);
    this.varint(length);
    const resizable = (value as { resizable?: boolean }).resizable === true;
    this.u8(resizable ? 1 : 0);
    if (resizable) {
      this.varint((value as { maxByteLength: number }).maxByteLength);
    }
    this.reserve(length);
    this.bytes.set(new Uint8Array(value), this.pos);
    this.pos += length;
  }

  view_(value: ArrayBufferView): void {
    if (value instanceof DataView) {
      this.u8(V_DATAVIEW);
      this.object(value.buffer);
      this.varint(value.byteOffset);
      return this.varint(value.byteLength);
    }
    const kind = typedArrays.findIndex((C) => value instanceof C);
    if (kind < 0) {
      throw new Uncloneable(
        `is a ${objectName(value)}, which cannot be cloned`,
        false,
      );
    }
    this.u8(V_TYPED);
    this.u8(kind);
    this.object(value.buffer);
    this.varint(value.byteOffset);
    this.varint((value as unknown as { length: number }).length);
  }

  error(value: Error): void {
    const aggregate = value instanceof AggregateError;
    this.u8(V_ERROR);
    this.u8(aggregate ? 1 : 0);
    this.string(String(value.name));
    this.string(String(value.message));
    const stack = value.stack;
    if (typeof stack === "string") {
      this.u8(1);
      this.string(stack);
    } else this.u8(0);
    const hasCause = Object.hasOwn(value, "cause");
    try {
      this.u8(hasCause ? 1 : 0);
      if (hasCause) this.value(value.cause);
    } catch (error) {
      throw within(error, fixedSegment, ".cause");
    }
    try {
      if (aggregate) this.value(value.errors);
    } catch (error) {
      throw within(error, fixedSegment, ".errors");
    }
    const keys = Object.keys(value).filter((k) =>
      k !== "cause" && k !== "stack" && k !== "message" && k !== "name" &&
      !(aggregate && k === "errors")
    );
    this.varint(keys.length);
    let key = "";
    try {
      for (key of keys) {
        this.string(key);
        this.value((value as unknown as Record<string, unknown>)[key]);
      }
    } catch (error) {
      throw within(error, keySegment, key);
    }
  }
}

const pooled = new Encoder(256);

function takeEncoder(): Encoder {
  if (pooled.busy) return new Encoder(256);
  pooled.busy = true;
  pooled.reset();
  // Do not keep a huge buffer alive for ever after one huge value.
  if (pooled.bytes.length > 1 << 20) pooled.replace(new Uint8Array(256));
  return pooled;
}

function encodeInto(
  e: Encoder,
  value: unknown,
  options: EncodeValueOptions,
): void {
  if (typeof value === "number") {
    e.u8(T_NUMBER);
    return e.f64(value);
  }
  if (typeof value === "string") {
    if (value.isWellFormed()) {
      e.u8(T_STRING);
      e.utf8(value);
    } else {
      e.u8(T_STRING16);
      e.utf16(value);
    }
    return;
  }
  if (typeof value === "boolean") return e.u8(value ? T_TRUE : T_FALSE);
  if (value === undefined) return e.u8(T_UNDEFINED);
  if (value === null) return e.u8(T_NULL);
  e.u8(T_BINARY);
  try {
    e.value(value);
    if (e.wroteRef) e.bytes[0] = T_BINARY_REFS;
    if (e.fresh.length > 0) {
      // Before anyone can read the bytes: the directory then has them.
      registerBuffers(e.fresh);
      e.fresh = [];
    }
  } catch (error) {
    e.dropStack();
    if (error instanceof Uncloneable) toTypeError(error, options);
    if (isStackOverflow(error)) {
      throw new RangeError(
        `Cannot ${options.action ?? "encode the value"}: ${
          options.path ?? "value"
        } nests objects too deeply for the stack left to this call. Flatten the data, or send it from a shallower call`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    e.forget();
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
  const e = takeEncoder();
  try {
    encodeInto(e, value, options);
    return e;
  } finally {
    e.busy = false;
  }
}

// Short ASCII strings recur (object keys above all): decoding looks them up
// here before making a new string.
const stringCache: (string | undefined)[] = new Array(512);

// Strings of one character (tags, flags) need no lookup at all.
const oneChar: string[] = Array.from(
  { length: 256 },
  (_, code) => String.fromCharCode(code),
);

function shortString(bytes: Uint8Array, start: number, length: number): string {
  if (length === 1) return oneChar[bytes[start]];
  let hash = length;
  for (let i = 0; i < length; i++) hash = (hash * 31 + bytes[start + i]) | 0;
  const slot = hash & 511;
  const cached = stringCache[slot];
  if (cached !== undefined && cached.length === length) {
    let i = 0;
    while (i < length && cached.charCodeAt(i) === bytes[start + i]) i++;
    if (i === length) return cached;
  }
  let out = "";
  for (let i = 0; i < length; i++) out += String.fromCharCode(bytes[start + i]);
  stringCache[slot] = out;
  return out;
}

// Objects of a recurring shape (the same keys in the same order, as queue
// items often are) are recognized by the bytes of their keys, which the
// encoding keeps together, and built by a function made for that shape,
// which returns an object literal: much faster than reading the keys one by
// one and adding properties one by one. A shape gets its function the second
// time it is seen; there is a bound on how many functions are ever made, and
// none if the runtime forbids it.
interface Shape {
  readonly keys: string[];
  /** The encoded keys (a copy, in memory of this thread). */
  readonly bytes: Uint8Array;
  /** The same, as little-endian 32-bit words (the last `length % 4` bytes left out). */
  readonly words: Int32Array;
  make: ((stack: unknown[], base: number) => Record<string, unknown>) | null;
  /** Whether making `make` was tried. */
  tried: boolean;
}
const MAX_SHAPE_KEYS = 32;
const MAX_SHAPE_BYTES = 1024;
const SHAPE_SLOTS = 256;
const shapes: (Shape | undefined)[] = new Array(SHAPE_SLOTS);
let shapesLeft = 2048;

function shapeMaker(
  keys: string[],
): ((stack: unknown[], base: number) => Record<string, unknown>) | null {
  if (shapesLeft <= 0 || keys.includes("__proto__")) return null;
  shapesLeft--;
  const fields = keys.map((key, i) => `${JSON.stringify(key)}: s[b + ${i}]`);
  try {
    return new Function("s", "b", `return { ${fields.join(", ")} };`) as (
      stack: unknown[],
      base: number,
    ) => Record<string, unknown>;
  } catch {
    shapesLeft = 0; // code generation is disallowed here
    return null;
  }
}

// Below this length, building an ASCII string a character at a time beats
// TextDecoder (by 3x on Deno, whose decoder copies a view of shared memory).
const MEDIUM_ASCII = 64;

function mediumAscii(bytes: Uint8Array, start: number, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String.fromCharCode(bytes[start + i]);
  return out;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  if (length < 16) return shortString(bytes, start, length);
  if (length < MEDIUM_ASCII) return mediumAscii(bytes, start, length);
  return textDecoder.decode(bytes.subarray(start, start + length));
}

function utf8(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length < MEDIUM_ASCII) {
    let i = start;
    while (i < end && bytes[i] < 0x80) i++;
    if (i === end) {
      return length < 16
        ? shortString(bytes, start, length)
        : mediumAscii(bytes, start, length);
    }
  }
  return textDecoder.decode(bytes.subarray(start, end));
}

function utf16(bytes: Uint8Array, start: number, end: number): string {
  const view = new DataView(
    bytes.buffer,
    bytes.byteOffset + start,
    end - start,
  );
  const units = (end - start) >> 1;
  let out = "";
  for (let i = 0; i < units; i += 4096) {
    const stop = Math.min(units, i + 4096);
    const chunk: number[] = [];
    for (let j = i; j < stop; j++) chunk.push(view.getUint16(2 * j, true));
    out += String.fromCharCode(...chunk);
  }
  return out;
}

const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_WORDS = new Int32Array(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/**
 * Reads the binary encoding. One instance is reused (decoding runs no user
 * code, so it never nests); it keeps the objects it makes, for `V_REF`, only
 * when the encoding has references.
 */
class Decoder {
  refs: unknown[] = [];
  track = false;
  /** Key/value pairs of the objects being decoded, from `sp` down. */
  readonly stack: unknown[] = [];
  sp = 0;
  bytes: Uint8Array = EMPTY_BYTES;
  view: DataView = EMPTY_VIEW;
  /** `bytes.byteOffset`: `view` spans the whole underlying buffer. */
  base = 0;
  /** The array `view` was made for. */
  lastBytes: Uint8Array = EMPTY_BYTES;
  pos = 0;
  end = 0;

  start(bytes: Uint8Array, start: number, end: number, track: boolean): void {
    // Callers decode from one buffer again and again: reuse its view.
    if (bytes !== this.lastBytes) {
      this.view = new DataView(bytes.buffer);
      this.base = bytes.byteOffset;
      this.lastBytes = bytes;
    }
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.track = track;
    this.sp = 0;
  }

  finish(): void {
    // Keep no big buffer alive (the view would).
    if (this.bytes.length > 1 << 20) {
      this.view = EMPTY_VIEW;
      this.lastBytes = EMPTY_BYTES;
    }
    this.bytes = EMPTY_BYTES;
    if (this.track) this.refs = [];
  }

  keep(value: unknown): void {
    if (this.track) this.refs.push(value);
  }

  /** Reserves the id of an object made after its parts; -1 when not tracking. */
  reserve(): number {
    if (!this.track) return -1;
    this.refs.push(undefined);
    return this.refs.length - 1;
  }

  fillIn<T>(id: number, value: T): T {
    if (id >= 0) this.refs[id] = value;
    return value;
  }

  corrupt(): never {
    throw new RangeError(
      `Cannot decode the value: the bytes are not a valid encoding (at byte ${this.pos})`,
    );
  }

  need(n: number): void {
    if (this.pos + n > this.end) this.corrupt();
  }

  u8(): number {
    if (this.pos >= this.end) this.corrupt();
    return this.bytes[this.pos++];
  }

  f64(): number {
    this.need(8);
    const value = this.view.getFloat64(this.base + this.pos, true);
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

  string(): string {
    const head = this.u8();
    const start = this.pos;
    if (head < 0x80) {
      this.need(head);
      this.pos += head;
      return ascii(this.bytes, start, head);
    }
    this.need(4);
    const length = this.view.getUint32(this.base + start, true);
    this.pos += 4;
    this.need(length);
    this.pos += length;
    if (head === S_UTF8) return utf8(this.bytes, start + 4, start + 4 + length);
    if (head === S_UTF16) {
      return utf16(this.bytes, start + 4, start + 4 + length);
    }
    return this.corrupt();
  }

  bigint(): bigint {
    const negative = this.u8() === 1;
    const length = this.varint();
    this.need(length);
    let value = 0n;
    for (let i = this.pos + length - 1; i >= this.pos; i--) {
      value = (value << 8n) | BigInt(this.bytes[i]);
    }
    this.pos += length;
    return negative ? -value : value;
  }

  value(): unknown {
    const tag = this.u8();
    switch (tag) {
      case V_INT32: {
        this.need(4);
        const value = this.view.getInt32(this.base + this.pos, true);
        this.pos += 4;
        return value;
      }
      case V_STRING:
        return this.string();
      case V_OBJECT: {
        this.need(8);
        const count = this.view.getUint32(this.base + this.pos, true);
        const keyBytes = this.view.getUint32(this.base + this.pos + 4, true);
        this.pos += 8;
        // Every key takes at least a byte, every value too.
        if (keyBytes > this.end - this.pos || count > keyBytes) this.corrupt();
        const shape = this.shape(count, keyBytes);
        if (this.track) {
          // Made first: its values may refer back to it.
          const out: Record<string, unknown> = {};
          this.keep(out);
          const keys = shape.keys;
          for (let i = 0; i < count; i++) assign(out, keys[i], this.value());
          return out;
        }
        return this.literal(shape, count);
      }
      case V_ARRAY: {
        const length = this.varint();
        if (length > this.end - this.pos) this.corrupt();
        const out: unknown[] = new Array(length);
        this.keep(out);
        for (let i = 0; i < length; i++) {
          if (this.bytes[this.pos] === V_HOLE) this.pos++;
          else out[i] = this.value();
        }
        return out;
      }
      case V_SPARSE_ARRAY:
        return this.sparseArray();
      case V_NUMBER:
        return this.f64();
      case V_UNDEFINED:
        return undefined;
      case V_NULL:
        return null;
      case V_TRUE:
        return true;
      case V_FALSE:
        return false;
      case V_BIGINT:
        return this.bigint();
      case V_REF: {
        const id = this.varint();
        if (!this.track || id >= this.refs.length) this.corrupt();
        return this.refs[id];
      }
      case V_DATE: {
        const out = new Date(this.f64());
        this.keep(out);
        return out;
      }
      case V_REGEXP: {
        const id = this.reserve();
        const source = this.string();
        const out = new RegExp(source, this.string());
        return this.fillIn(id, out);
      }
      case V_MAP: {
        const out = new Map();
        this.keep(out);
        const size = this.varint();
        for (let i = 0; i < size; i++) {
          const key = this.value();
          out.set(key, this.value());
        }
        return out;
      }
      case V_SET: {
        const out = new Set();
        this.keep(out);
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
        this.need(length);
        new Uint8Array(out).set(
          this.bytes.subarray(this.pos, this.pos + length),
        );
        this.pos += length;
        this.keep(out);
        return out;
      }
      case V_TYPED: {
        const id = this.reserve();
        const Ctor = typedArrays[this.u8()] ?? this.corrupt();
        const buffer = this.value();
        if (!isBuffer(buffer)) this.corrupt();
        const offset = this.varint();
        const out = new Ctor(buffer as ArrayBuffer, offset, this.varint());
        return this.fillIn(id, out);
      }
      case V_DATAVIEW: {
        const id = this.reserve();
        const buffer = this.value();
        if (!isBuffer(buffer)) this.corrupt();
        const offset = this.varint();
        const out = new DataView(buffer, offset, this.varint());
        return this.fillIn(id, out);
      }
      case V_ERROR:
        return this.error();
      case V_BOXED_NUMBER: {
        const id = this.reserve();
        return this.fillIn(id, Object(this.f64()));
      }
      case V_BOXED_STRING: {
        const id = this.reserve();
        return this.fillIn(id, Object(this.string()));
      }
      case V_BOXED_BOOLEAN: {
        const id = this.reserve();
        return this.fillIn(id, Object(this.u8() === 1));
      }
      case V_BOXED_BIGINT: {
        const id = this.reserve();
        return this.fillIn(id, Object(this.bigint()));
      }
      case V_SAB: {
        const out = bufferById(this.varint());
        this.keep(out);
        return out;
      }
      case V_SHARED: {
        const id = this.reserve();
        const tag = this.string();
        return this.fillIn(id, reviveShared({ tag, data: this.value() }));
      }
    }
    return this.corrupt();
  }

  /**
   * The shape of the object whose `count` keys take the next `keyBytes`
   * bytes: one met before when its bytes are the same, else read (and
   * remembered when small). Moves past the keys.
   */
  shape(count: number, keyBytes: number): Shape {
    const bytes = this.bytes;
    const view = this.view;
    const start = this.pos;
    const at = this.base + start;
    const end = start + keyBytes;
    const whole = keyBytes >> 2;
    // The slot: from the counts and the first and last four bytes (keys that
    // differ elsewhere only share a slot, and take it from each other).
    let hash = (count * 31 + keyBytes) | 0;
    if (whole > 0) {
      hash = (hash * 31 + view.getInt32(at, true)) | 0;
      hash = (hash * 31 + view.getInt32(at + keyBytes - 4, true)) | 0;
    } else {
      for (let i = start; i < end; i++) hash = (hash * 31 + bytes[i]) | 0;
    }
    hash ^= hash >>> 16;
    hash ^= hash >>> 8;
    const slot = hash & (SHAPE_SLOTS - 1);
    const known = shapes[slot];
    if (
      known !== undefined && known.bytes.length === keyBytes &&
      known.keys.length === count
    ) {
      const words = known.words;
      let w = 0;
      while (w < whole && view.getInt32(at + 4 * w, true) === words[w]) w++;
      let i = 4 * w;
      if (w === whole) {
        const expected = known.bytes;
        while (i < keyBytes && expected[i] === bytes[start + i]) i++;
      }
      if (i === keyBytes) {
        this.pos = end;
        if (!known.tried) {
          // The second time a shape is seen: a one-off costs no compilation.
          known.tried = true;
          known.make = shapeMaker(known.keys);
        }
        return known;
      }
    }
    const keys: string[] = new Array(count);
    for (let i = 0; i < count; i++) keys[i] = this.string();
    if (this.pos !== end) this.corrupt();
    if (count > MAX_SHAPE_KEYS || keyBytes > MAX_SHAPE_BYTES) {
      return {
        keys,
        bytes: EMPTY_BYTES,
        words: EMPTY_WORDS,
        make: null,
        tried: true,
      };
    }
    const words = new Int32Array(whole);
    for (let w = 0; w < whole; w++) words[w] = view.getInt32(at + 4 * w, true);
    const shape: Shape = {
      keys,
      bytes: bytes.slice(start, end),
      words,
      make: null,
      tried: false,
    };
    shapes[slot] = shape;
    return shape;
  }

  /** An object without references back to it: values on a stack, then built. */
  literal(shape: Shape, count: number): Record<string, unknown> {
    const stack = this.stack;
    const base = this.sp;
    this.sp = base + count;
    for (let i = 0; i < count; i++) stack[base + i] = this.value();
    const make = shape.make;
    let out: Record<string, unknown>;
    if (make !== null) out = make(stack, base);
    else {
      out = {};
      const keys = shape.keys;
      for (let i = 0; i < count; i++) assign(out, keys[i], stack[base + i]);
    }
    for (let i = base; i < base + count; i++) stack[i] = undefined;
    this.sp = base;
    return out;
  }

  /** An array written by the encoder's `sparseArray`. */
  sparseArray(): unknown[] {
    const length = this.varint();
    if (length > 4294967295) this.corrupt();
    const out: unknown[] = new Array(length);
    this.keep(out);
    const elements = this.varint();
    if (elements > this.end - this.pos) this.corrupt();
    for (let i = 0; i < elements; i++) {
      const index = this.varint();
      if (index >= length) this.corrupt();
      out[index] = this.value();
    }
    const named = this.varint();
    if (named > this.end - this.pos) this.corrupt();
    for (let i = 0; i < named; i++) {
      const key = this.string();
      if (key === "length" || isIndexKey(key)) this.corrupt();
      assign(out as unknown as Record<string, unknown>, key, this.value());
    }
    return out;
  }

  /** Own properties as key/value pairs (errors' extra properties). */
  fill(out: Record<string, unknown>, count: number): void {
    for (let i = 0; i < count; i++) {
      const key = this.string();
      assign(out, key, this.value());
    }
  }

  error(): Error {
    const id = this.reserve();
    const aggregate = this.u8() === 1;
    const name = this.string();
    const message = this.string();
    const stack = this.u8() === 1 ? this.string() : undefined;
    const Ctor = Object.hasOwn(knownErrors, name) ? knownErrors[name] : Error;
    const error = aggregate
      ? new AggregateError([], message)
      : new Ctor(message);
    this.fillIn(id, error);
    if (error.name !== name) defineHidden(error, "name", name);
    if (stack !== undefined) defineHidden(error, "stack", stack);
    else delete (error as { stack?: string }).stack;
    if (this.u8() === 1) defineHidden(error, "cause", this.value());
    if (aggregate) {
      const errors = this.value();
      defineHidden(error, "errors", Array.isArray(errors) ? errors : []);
    }
    this.fill(error as unknown as Record<string, unknown>, this.varint());
    return error;
  }
}

function isBuffer(value: unknown): value is ArrayBuffer | SharedArrayBuffer {
  return value instanceof ArrayBuffer || value instanceof SharedArrayBuffer;
}

const decoder = new Decoder();
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
      return utf16(bytes, start + 1, end);
    case T_BINARY:
    case T_BINARY_REFS: {
      const d = decoder;
      d.start(bytes, start + 1, end, bytes[start] === T_BINARY_REFS);
      try {
        const value = d.value();
        if (d.pos === end) return value;
      } finally {
        d.finish();
      }
      break;
    }
  }
  throw new RangeError(
    "Cannot decode the value: the bytes are not a valid encoding",
  );
}
