/**
 * The args codec: turns values into what `postMessage` can carry, with shared
 * objects anywhere inside (nested in arrays, plain objects, maps and sets)
 * replaced by handles that the receiving thread revives as live views.
 *
 * @module
 */
import { describe } from "../wait_options.ts";
import {
  isShareable,
  reviveShared,
  type SharedState,
  toShared,
} from "./shareable.ts";

const HANDLE = "__threading_shared__";

/** A value ready for `postMessage`, flagged when it holds shared handles. */
export interface Encoded {
  /** Whether the receiver has handles to revive. */
  h: boolean;
  /** The value with shared objects replaced by handles. */
  v: unknown;
}

/**
 * Encodes `value` for another thread. `path` names the value in error messages
 * (`args[1]`).
 *
 * @throws {TypeError} naming the path of a function, symbol or other value that
 * cannot be cloned.
 */
export function encode(value: unknown, path: string): Encoded {
  const state = { handles: false, memo: new Map<object, unknown>() };
  const v = walkEncode(value, path, state);
  return { h: state.handles, v };
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
  const culprit = findUncloneable(value, path) ?? { path, value };
  return new TypeError(
    `Cannot send ${culprit.path} to another thread: ${
      describe(culprit.value)
    } cannot be cloned. Send structured-cloneable data (or shared objects such as locks and queues) instead`,
    { cause },
  );
}

function walkable(value: object): boolean {
  if (Array.isArray(value) || value instanceof Map || value instanceof Set) {
    return true;
  }
  return Object.prototype.toString.call(value) === "[object Object]";
}

function walkEncode(
  value: unknown,
  path: string,
  state: { handles: boolean; memo: Map<object, unknown> },
): unknown {
  if (typeof value === "function") {
    throw new TypeError(
      `Cannot send ${path} to another thread: functions cannot be cloned (${
        describe(value)
      }). Pass data, or import the function inside the thread`,
    );
  }
  if (typeof value === "symbol") {
    throw new TypeError(
      `Cannot send ${path} to another thread: symbols cannot be cloned`,
    );
  }
  if (typeof value !== "object" || value === null) return value;
  if (isShareable(value)) {
    state.handles = true;
    const shared: SharedState = value[toShared]();
    return { [HANDLE]: shared.tag, data: shared.data };
  }
  if (!walkable(value)) return value;
  const seen = state.memo.get(value);
  if (seen !== undefined) return seen;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    state.memo.set(value, out);
    for (let i = 0; i < value.length; i++) {
      out.push(walkEncode(value[i], `${path}[${i}]`, state));
    }
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    state.memo.set(value, out);
    for (const [k, v] of value) {
      out.set(
        walkEncode(k, `${path} (a key)`, state),
        walkEncode(v, `${path}.get(${String(k)})`, state),
      );
    }
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    state.memo.set(value, out);
    for (const v of value) {
      out.add(walkEncode(v, `${path} (an element)`, state));
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  state.memo.set(value, out);
  for (const key of Object.keys(value)) {
    out[key] = walkEncode(
      (value as Record<string, unknown>)[key],
      `${path}.${key}`,
      state,
    );
  }
  return out;
}

function walkDecode(value: unknown, memo: Map<object, unknown>): unknown {
  if (typeof value !== "object" || value === null || !walkable(value)) {
    return value;
  }
  const seen = memo.get(value);
  if (seen !== undefined) return seen;
  if (Array.isArray(value)) {
    memo.set(value, value);
    for (let i = 0; i < value.length; i++) {
      value[i] = walkDecode(value[i], memo);
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
  if (typeof record[HANDLE] === "string") {
    const revived = reviveShared({
      tag: record[HANDLE] as string,
      data: record.data,
    });
    memo.set(value, revived);
    return revived;
  }
  memo.set(value, value);
  for (const key of Object.keys(record)) {
    record[key] = walkDecode(record[key], memo);
  }
  return value;
}

function findUncloneable(
  value: unknown,
  path: string,
): { path: string; value: unknown } | null {
  try {
    structuredClone(value);
    return null;
  } catch {
    // Look deeper for the part that fails.
  }
  if (typeof value === "object" && value !== null && walkable(value)) {
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [`${path}[${i}]`, v])
      : value instanceof Map
      ? [...value].map(([k, v]) => [`${path}.get(${String(k)})`, v])
      : value instanceof Set
      ? [...value].map((v) => [`${path} (an element)`, v])
      : Object.keys(value).map((
        k,
      ) => [`${path}.${k}`, (value as Record<string, unknown>)[k]]);
    for (const [p, v] of entries) {
      const found = findUncloneable(v, p);
      if (found !== null) return found;
    }
  }
  return { path, value };
}
