/**
 * The args codec: turns values into what `postMessage` can carry, with shared
 * objects anywhere inside (nested in arrays, plain objects, maps and sets)
 * replaced by handles that the receiving thread revives as live views.
 *
 * `postMessage` clones what it is given as `structuredClone` would, so a
 * value without shared objects goes to it as it is: holes, named array
 * properties, `__proto__` keys and sparse arrays arrive as they were. A value
 * with shared objects is copied with the same care (arrays by their own keys,
 * so that a sparse array costs its elements, not its length); so is one with
 * a sparse array, which travels as its length and entries (Bun's
 * `postMessage` would visit every index). Before either,
 * one walk checks the value: a function, a symbol or a proxy throws a
 * `TypeError` naming its path, and a value nested more than
 * {@linkcode MAX_DEPTH} levels deep a `RangeError`, as the queues do (the
 * receiving thread decodes it recursively).
 *
 * @module
 */
import { types } from "node:util";
import { describe } from "../validate.ts";
import {
  isShareable,
  reviveShared,
  type SharedState,
  toShared,
} from "./shareable.ts";
import { MAX_DEPTH } from "./value_codec.ts";
import { assign, defineHidden } from "./_assign.ts";
import { SPARSE_HOLES } from "./needs_codec.ts";

const HANDLE = "__threading_shared__";
/** Marks a sparse array sent as its length and own entries. */
const SPARSE = "__threading_sparse__";

/** A value ready for `postMessage`, flagged when it holds shared handles. */
export interface Encoded {
  /** Whether the receiver has handles to revive. */
  h: boolean;
  /** The value with shared objects replaced by handles. */
  v: unknown;
  /**
   * When `h`: the class tags of the shared objects among the handles, so
   * that the receiver loads only their classes; absent means "any".
   */
  t?: string[];
}

/**
 * Encodes `value` for another thread. `path` names the value in error messages
 * (`args[1]`).
 *
 * @throws {TypeError} naming the path of a function, symbol or proxy.
 * @throws {RangeError} for a value nested more than `MAX_DEPTH` levels deep.
 */
export function encode(value: unknown, path: string): Encoded {
  const segments: string[] = [];
  if (!check(value, path, segments, new Set(), 0)) {
    return { h: false, v: value };
  }
  const tags = new Set<string>();
  const v = copy(value, new Map(), tags);
  return { h: true, v, t: [...tags] };
}

/** Encodes and checks that every part can be cloned (one clone up front). */
export function encodeChecked(value: unknown, path: string): Encoded {
  const encoded = encode(value, path);
  try {
    structuredClone(encoded.v);
  } catch (error) {
    throw cloneError(encoded.v, path, error);
  }
  return encoded;
}

/** Rebuilds a value sent by {@linkcode encode}, reviving shared objects. */
export function decode(encoded: Encoded): unknown {
  return encoded.h ? walkDecode(encoded.v, new Map()) : encoded.v;
}

/** Builds the error for a value that `postMessage` refused, naming the part. */
export function cloneError(
  value: unknown,
  path: string,
  cause: unknown,
): TypeError {
  const culprit = findUncloneable(value, path, 0) ?? { path, value };
  return new TypeError(
    `Cannot send ${culprit.path} to another thread: ${
      kindOf(culprit.value)
    } cannot be cloned. Send structured-cloneable data (or shared objects such as locks and queues) instead`,
    { cause },
  );
}

/** What a value is, for error messages: `a WeakMap`, `a function (f)`. */
export function kindOf(value: unknown): string {
  if (typeof value === "function") return `a function (${describe(value)})`;
  if (typeof value === "symbol") return `a symbol (${String(value)})`;
  if (typeof value === "object" && value !== null) {
    if (types.isProxy(value)) return "a Proxy";
    let name: unknown;
    try {
      name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    } catch {
      name = undefined;
    }
    if (typeof name !== "string" || name === "") {
      name = Object.prototype.toString.call(value).slice(8, -1);
    }
    return `${/^[AEIOU]/.test(name as string) ? "an" : "a"} ${name}`;
  }
  return describe(value);
}

/** Whether `value` is an error, by its brand (not its prototype chain). */
function isError(value: object): value is Error {
  return !Array.isArray(value) &&
    Object.prototype.toString.call(value) === "[object Error]";
}

function walkable(value: object): boolean {
  if (Array.isArray(value) || value instanceof Map || value instanceof Set) {
    return true;
  }
  return Object.prototype.toString.call(value) === "[object Object]";
}

/** `.key`, or `["key"]` when it is not an identifier. */
function keySegment(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key)
    ? `.${key}`
    : `[${JSON.stringify(key)}]`;
}

/** `.get(key)` with the key as an error message can show it. */
function mapSegment(key: unknown): string {
  const shown = typeof key === "string"
    ? JSON.stringify(key)
    : typeof key === "object" && key !== null
    ? `a key ${kindOf(key).replace(/^an? /, "")}`
    : describe(key).replace(/ \([a-z]+\)$/, "");
  return `.get(${shown})`;
}

/** Whether `key`, an own key of an array, is an array index. */
function isIndexKey(key: string): boolean {
  const n = Number(key);
  return n >>> 0 === n && n !== 4294967295 && String(n) === key;
}

function segment(key: string, array: boolean): string {
  return array && isIndexKey(key) ? `[${key}]` : keySegment(key);
}

// `check` keeps the keys of its path raw, marked, and formats them only
// for an error message.
const ARRAY_KEY = "\u0001";
const OBJECT_KEY = "\u0002";

function pathOf(path: string, segments: string[]): string {
  return path +
    segments.map((s) =>
      s[0] === ARRAY_KEY
        ? segment(s.slice(1), true)
        : s[0] === OBJECT_KEY
        ? keySegment(s.slice(1))
        : s
    ).join("");
}

/**
 * Checks `value` (see the module doc); returns whether it holds shared
 * objects. `segments` is the path below `path` (built only for errors).
 */
function check(
  value: unknown,
  path: string,
  segments: string[],
  seen: Set<object>,
  depth: number,
): boolean {
  if (typeof value === "function") {
    throw new TypeError(
      `Cannot send ${
        pathOf(path, segments)
      } to another thread: functions cannot be cloned (${
        describe(value)
      }). Pass data, or import the function inside the thread`,
    );
  }
  if (typeof value === "symbol") {
    throw new TypeError(
      `Cannot send ${
        pathOf(path, segments)
      } to another thread: symbols cannot be cloned (${
        String(value)
      }). Send a string instead`,
    );
  }
  if (typeof value !== "object" || value === null) return false;
  if (types.isProxy(value)) {
    throw new TypeError(
      `Cannot send ${
        pathOf(path, segments)
      } to another thread: a Proxy cannot be cloned. Send the object it wraps, or a copy of its data`,
    );
  }
  if (isShareable(value)) return true;
  if (isError(value) && !seen.has(value)) {
    seen.add(value);
    if (!Object.hasOwn(value, "cause")) return false;
    segments.push(".cause");
    const shared = check(value.cause, path, segments, seen, depth + 1);
    segments.pop();
    return shared;
  }
  if (!walkable(value) || seen.has(value)) return false;
  if (depth >= MAX_DEPTH) {
    throw new RangeError(
      `Cannot send ${path} to another thread: it nests objects more than ${MAX_DEPTH} levels deep, deeper than every thread could decode. Flatten the data, or send the deep part as a string (JSON.stringify)`,
    );
  }
  seen.add(value);
  let shared = false;
  if (value instanceof Map) {
    for (const [k, v] of value) {
      segments.push(" (a key)");
      shared = check(k, path, segments, seen, depth + 1) || shared;
      segments[segments.length - 1] = mapSegment(k);
      shared = check(v, path, segments, seen, depth + 1) || shared;
      segments.pop();
    }
    return shared;
  }
  if (value instanceof Set) {
    segments.push(" (an element)");
    for (const v of value) {
      shared = check(v, path, segments, seen, depth + 1) || shared;
    }
    segments.pop();
    return shared;
  }
  const array = Array.isArray(value);
  const keys = Object.keys(value);
  if (array && value.length - keys.length > SPARSE_HOLES) shared = true;
  for (const key of keys) {
    segments.push((array ? ARRAY_KEY : OBJECT_KEY) + key);
    shared = check(
      (value as Record<string, unknown>)[key],
      path,
      segments,
      seen,
      depth + 1,
    ) || shared;
    segments.pop();
  }
  return shared;
}

/** A copy of a checked value with shared objects as handles. */
function copy(
  value: unknown,
  memo: Map<object, unknown>,
  tags: Set<string>,
): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (isShareable(value)) {
    const shared: SharedState = value[toShared]();
    tags.add(shared.tag);
    return { [HANDLE]: shared.tag, data: shared.data };
  }
  const error = isError(value);
  if (!error && !walkable(value)) return value;
  const known = memo.get(value);
  if (known !== undefined) return known;
  if (error) {
    // A copy, so that a cause that refers back into the value still does.
    const out = Object.setPrototypeOf(
      new Error(value.message),
      Object.getPrototypeOf(value),
    ) as Error;
    memo.set(value, out);
    defineHidden(out, "stack", value.stack);
    if (Object.hasOwn(value, "cause")) {
      defineHidden(out, "cause", copy(value.cause, memo, tags));
    }
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    memo.set(value, out);
    for (const [k, v] of value) {
      out.set(copy(k, memo, tags), copy(v, memo, tags));
    }
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    memo.set(value, out);
    for (const v of value) out.add(copy(v, memo, tags));
    return out;
  }
  const keys = Object.keys(value);
  if (Array.isArray(value) && value.length - keys.length > SPARSE_HOLES) {
    const entries: [string, unknown][] = [];
    const out = { [SPARSE]: value.length, entries };
    memo.set(value, out);
    for (const key of keys) {
      entries.push([
        key,
        copy((value as unknown as Record<string, unknown>)[key], memo, tags),
      ]);
    }
    return out;
  }
  const out = Array.isArray(value) ? new Array(value.length) : {};
  memo.set(value, out);
  for (const key of keys) {
    assign(
      out as Record<string, unknown>,
      key,
      copy((value as Record<string, unknown>)[key], memo, tags),
    );
  }
  return out;
}

function walkDecode(value: unknown, memo: Map<object, unknown>): unknown {
  if (typeof value !== "object" || value === null) return value;
  const error = isError(value);
  if (!error && !walkable(value)) return value;
  const seen = memo.get(value);
  if (seen !== undefined) return seen;
  if (error) {
    memo.set(value, value);
    if (Object.hasOwn(value, "cause")) {
      defineHidden(value, "cause", walkDecode(value.cause, memo));
    }
    return value;
  }
  if (value instanceof Map) {
    const out = new Map();
    memo.set(value, out);
    for (const [k, v] of value) {
      out.set(walkDecode(k, memo), walkDecode(v, memo));
    }
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    memo.set(value, out);
    for (const v of value) out.add(walkDecode(v, memo));
    return out;
  }
  const record = value as Record<string, unknown>;
  if (!Array.isArray(value) && typeof record[SPARSE] === "number") {
    const out: unknown[] = new Array(record[SPARSE] as number);
    memo.set(value, out);
    for (const [key, item] of record.entries as [string, unknown][]) {
      assign(
        out as unknown as Record<string, unknown>,
        key,
        walkDecode(item, memo),
      );
    }
    return out;
  }
  if (!Array.isArray(value) && typeof record[HANDLE] === "string") {
    const revived = reviveShared({
      tag: record[HANDLE] as string,
      data: record.data,
    });
    memo.set(value, revived);
    return revived;
  }
  memo.set(value, value);
  for (const key of Object.keys(record)) {
    const item = record[key];
    const revived = walkDecode(item, memo);
    if (revived !== item) assign(record, key, revived);
  }
  return value;
}

function findUncloneable(
  value: unknown,
  path: string,
  depth: number,
): { path: string; value: unknown } | null {
  try {
    structuredClone(value);
    return null;
  } catch {
    // Look deeper for the part that fails.
  }
  if (
    typeof value === "object" && value !== null && depth < MAX_DEPTH &&
    !types.isProxy(value) && walkable(value)
  ) {
    const entries: [string, unknown][] = value instanceof Map
      ? [...value].flatMap(([k, v]) => [
        [`${path} (a key)`, k],
        [`${path}${mapSegment(k)}`, v],
      ])
      : value instanceof Set
      ? [...value].map((v) => [`${path} (an element)`, v])
      : Object.keys(value).map((k) => [
        path + segment(k, Array.isArray(value)),
        (value as Record<string, unknown>)[k],
      ]);
    for (const [p, v] of entries) {
      const found = findUncloneable(v, p, depth + 1);
      if (found !== null) return found;
    }
  }
  return { path, value };
}
