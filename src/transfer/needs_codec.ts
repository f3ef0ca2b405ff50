/**
 * Whether a value needs the args codec (`codec.ts`) to cross threads, or can
 * go to `postMessage` as it is. A thread's worker asks this of its target's
 * return value without loading the codec (which brings the value codec and
 * `node:util`: a start cost for every thread), so this module imports
 * nothing and is inlined into the worker entry's one-module copy. The codec's
 * own walk (`check` in `codec.ts`) must visit the same parts but also names
 * the path of what it refuses; the bounds they share live here.
 *
 * @module
 */

/**
 * Holes above which an array travels as its entries: Bun's `postMessage`
 * visits every index up to the length (minutes for one element at index
 * 2 ** 32 - 2), V8's its elements.
 */
export const SPARSE_HOLES = 1024;

/** `MAX_DEPTH` of `value_codec.ts` (a test keeps them equal), without loading it. */
export const CODEC_MAX_DEPTH = 1000;

// The symbol shareable classes implement (transfer/shareable.ts), by its
// global registry key: importing that module here would slow every start.
const toShared = Symbol.for("@threading/threading.toShared");

/**
 * Whether a return value needs the codec: it holds a function or a symbol
 * (which the codec explains), a shared object (which it turns into a
 * handle), or nests deeper than the codec's bound (`MAX_DEPTH` of
 * `value_codec.ts`, 1000, which the codec refuses). Plain data goes to
 * `postMessage` as it is (which refuses a proxy: the failure path names it).
 */
export function needsCodec(
  value: unknown,
  seen: Set<object>,
  depth = 0,
): boolean {
  if (typeof value === "function" || typeof value === "symbol") return true;
  if (typeof value !== "object" || value === null) return false;
  if (toShared in value || depth >= CODEC_MAX_DEPTH) return true;
  if (seen.has(value)) return false;
  seen.add(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      if (needsCodec(k, seen, depth + 1) || needsCodec(v, seen, depth + 1)) {
        return true;
      }
    }
    return false;
  }
  if (value instanceof Set) {
    for (const v of value) if (needsCodec(v, seen, depth + 1)) return true;
    return false;
  }
  if (
    !Array.isArray(value) &&
    Object.prototype.toString.call(value) !== "[object Object]"
  ) return false;
  // Own keys, not indices up to the length: a sparse array costs its
  // elements. One with many holes needs the codec (Bun's postMessage would
  // visit every index).
  const keys = Object.keys(value);
  if (Array.isArray(value) && value.length - keys.length > SPARSE_HOLES) {
    return true;
  }
  for (const key of keys) {
    const item = (value as Record<string, unknown>)[key];
    if (needsCodec(item, seen, depth + 1)) return true;
  }
  return false;
}
