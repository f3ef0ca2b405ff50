/**
 * How a shared object arriving from another thread becomes a live view over
 * the same memory, the one way for every shareable class:
 *
 * 1. its memory carries a type tag from birth ({@linkcode newCells}, or a
 *    magic word of the class's own header);
 * 2. the class's reviver checks the tag of what arrived
 *    ({@linkcode checkedCells}, or {@linkcode notMemoryOf} for a header of
 *    its own), so that memory of the wrong kind is refused, not misread;
 * 3. the reviver builds the object with the class's own constructor inside
 *    {@linkcode adopting}, and the constructor takes the checked memory with
 *    {@linkcode adopted} instead of allocating new memory.
 *
 * The sync primitives (`Lock`, `RLock`, `Event`, `Semaphore`, `Barrier`)
 * share one layout: their own cells, then an object id, then the type tag
 * ({@linkcode primitiveCells}, {@linkcode adoptedCells},
 * {@linkcode checkedPrimitiveCells}).
 *
 * @module
 */
import { newObjectId } from "./object_id.ts";

// What the constructor running inside `adopting()` takes, and for which tag.
let pendingTag: string | undefined;
let pending: unknown;

/**
 * The type tag the memory of class tag `tag` carries: a 32-bit FNV-1a hash
 * of the tag, never 0 (fresh memory's value).
 */
export function typeTag(tag: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) {
    hash = Math.imul(hash ^ tag.charCodeAt(i), 0x01000193);
  }
  return hash | 0 || 1;
}

/** Fresh shared memory of `words` cells, cell `tagIndex` holding the type tag of `tag`. */
export function newCells(
  words: number,
  tagIndex: number,
  tag: string,
): Int32Array {
  const cells = new Int32Array(new SharedArrayBuffer(words * 4));
  cells[tagIndex] = typeTag(tag);
  return cells;
}

/** The error for memory that arrived as `what` (`"a Lock"`) but is not one. */
export function notMemoryOf(what: string): TypeError {
  return new TypeError(
    `Cannot receive ${what}: the shared memory it arrived with is not ${what}`,
  );
}

/**
 * A view over `data` when it is the memory of a `tag` object: a
 * `SharedArrayBuffer` of `words` cells whose cell `tagIndex` holds the type
 * tag.
 *
 * @throws {TypeError} from {@linkcode notMemoryOf} otherwise.
 */
export function checkedCells(
  data: unknown,
  words: number,
  tagIndex: number,
  tag: string,
  what: string,
): Int32Array {
  if (data instanceof SharedArrayBuffer && data.byteLength === words * 4) {
    const cells = new Int32Array(data);
    if (Atomics.load(cells, tagIndex) === typeTag(tag)) return cells;
  }
  throw notMemoryOf(what);
}

/**
 * Builds an object of class tag `tag` over checked `memory` with the class's
 * own constructor (`make`), which takes the memory with {@linkcode adopted}.
 */
export function adopting<T>(tag: string, memory: unknown, make: () => T): T {
  pendingTag = tag;
  pending = memory;
  try {
    return make();
  } finally {
    pendingTag = undefined;
    pending = undefined;
  }
}

/**
 * In a constructor of class tag `tag`: the memory {@linkcode adopting}
 * hands over (taken once), or `undefined` when the object is new.
 */
export function adopted<M>(tag: string): M | undefined {
  if (pendingTag !== tag) return undefined;
  const memory = pending as M;
  pendingTag = undefined;
  pending = undefined;
  return memory;
}

/**
 * Fresh memory of a sync primitive of class tag `tag`: `fields` cells of its
 * own, then a new object id (at index `fields`), then the type tag.
 */
export function primitiveCells(tag: string, fields: number): Int32Array {
  const cells = newCells(fields + 2, fields + 1, tag);
  cells[fields] = newObjectId();
  return cells;
}

/**
 * In the constructor of a sync primitive of class tag `tag`: the memory
 * {@linkcode adopting} hands over, or fresh {@linkcode primitiveCells}.
 */
export function adoptedCells(tag: string, fields: number): Int32Array {
  return adopted<Int32Array>(tag) ?? primitiveCells(tag, fields);
}

/**
 * {@linkcode checkedCells} for the memory of a sync primitive laid out by
 * {@linkcode primitiveCells}.
 *
 * @throws {TypeError} from {@linkcode notMemoryOf} when it is not one.
 */
export function checkedPrimitiveCells(
  data: unknown,
  tag: string,
  fields: number,
  what: string,
): Int32Array {
  return checkedCells(data, fields + 2, fields + 1, tag, what);
}
