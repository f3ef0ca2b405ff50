/**
 * The executor's fast value transport: values that JSON represents exactly
 * (finite numbers but -0, strings, booleans, null, dense arrays without
 * named properties and plain objects of those) travel as UTF-8 text through
 * shared memory. Anything else (undefined inside a value, NaN, bigint, Map,
 * Date, typed arrays, shared objects, an object met twice, proxies) reports
 * "not representable" and takes the message path, which keeps
 * structured-clone semantics. Swappable for a binary codec.
 *
 * @module
 */

import { types } from "node:util";

const isProxy: (value: unknown) => boolean = types.isProxy;
const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF: it is part of the string, not a byte-order mark.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const MAX_DEPTH = 64;

/** The value as text, or `undefined` when text would not represent it exactly. */
export function toText(value: unknown): string | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && !Object.is(value, -0)
      ? String(value)
      : undefined;
  }
  met.count = 0;
  met.set = undefined;
  const representable = exact(value, 0);
  for (let i = 0; i < met.count; i++) met.list[i] = undefined;
  met.set = undefined;
  if (!representable) return undefined;
  return JSON.stringify(value);
}

/** Parses text made by {@linkcode toText}. */
export function fromText(text: string): unknown {
  return JSON.parse(text);
}

// The objects met in the value being checked: JSON would write an object
// met twice twice, and the copies would no longer be one object.
const met: { list: (object | undefined)[]; count: number; set?: Set<object> } =
  { list: [], count: 0 };

/** Notes an object; returns false when it was met before. */
function firstMeeting(value: object): boolean {
  if (met.set !== undefined) {
    if (met.set.has(value)) return false;
    met.set.add(value);
    return true;
  }
  const list = met.list;
  for (let i = 0; i < met.count; i++) if (list[i] === value) return false;
  if (met.count === 16) met.set = new Set(list.slice(0, 16) as object[]);
  list[met.count++] = value;
  met.set?.add(value);
  return true;
}

function exact(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "string":
    case "boolean":
      return true;
    case "object": {
      if (value === null) return true;
      // A proxy takes the message path, which refuses it as structuredClone does.
      if (depth >= MAX_DEPTH || isProxy(value) || !firstMeeting(value)) {
        return false;
      }
      if (Array.isArray(value)) {
        // As many own keys as elements: no holes, no named properties
        // (which JSON would drop).
        if (Object.keys(value).length !== value.length) return false;
        for (let i = 0; i < value.length; i++) {
          if (!exact(value[i], depth + 1)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (
          key === "__proto__" ||
          !exact((value as Record<string, unknown>)[key], depth + 1)
        ) return false;
      }
      // Symbol keys and non-enumerable properties are not cloned either.
      return true;
    }
    default:
      return false;
  }
}

/**
 * Writes `text` as UTF-8 at `offset`; the caller guarantees room for
 * `text.length * 3` bytes.
 *
 * @returns The number of bytes written.
 */
export function writeText(
  bytes: Uint8Array,
  offset: number,
  text: string,
): number {
  const n = text.length;
  if (n < 64) {
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        return encoder.encodeInto(text, bytes.subarray(offset)).written;
      }
      bytes[offset + i] = c;
    }
    return n;
  }
  return encoder.encodeInto(text, bytes.subarray(offset)).written;
}

/** Reads `length` bytes of UTF-8 at `offset`. */
export function readText(
  bytes: Uint8Array,
  offset: number,
  length: number,
): string {
  if (length < 64) {
    let ascii = "";
    for (let i = 0; i < length; i++) {
      const c = bytes[offset + i];
      if (c >= 0x80) {
        return decoder.decode(bytes.slice(offset, offset + length));
      }
      ascii += String.fromCharCode(c);
    }
    return ascii;
  }
  return decoder.decode(bytes.slice(offset, offset + length));
}
