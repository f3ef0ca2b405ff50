/**
 * `SharedMap`: a map that every thread sees, over shared memory.
 *
 * @module
 */
import { ConcurrentModificationError } from "../errors.ts";
import { adopted, adopting, notMemoryOf } from "../_shm/adopt.ts";
import { lock, unlock } from "../_shm/spin_lock.ts";
import {
  registerShareable,
  type SharedState,
  toShared,
} from "../transfer/shareable.ts";
import {
  decodeValueAt,
  encodeValueToScratch,
} from "../transfer/value_codec.ts";
import { invalid } from "../validate.ts";
import {
  copied,
  createMapState,
  hashKey,
  HashTable,
  HEADER_BYTES,
  LOCK,
  MAGIC,
  type MapState,
  MOD,
  SIZE,
  trimCopied,
} from "./_hash_table.ts";

const MAP_MAGIC = 0x4d415053;
const TAG = "SharedMap";
const KEY_NUMBER = 1;
const KEY_STRING = 2;
const KEY_STRING16 = 3;

// The encoded key of the current call.
let keyBytes = new Uint8Array(64);
let keyView = new DataView(keyBytes.buffer);
let keyLength = 0;
const textEncoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF: it is part of the string, not a byte-order mark.
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

function keyRoom(n: number): void {
  if (keyBytes.length < n) {
    keyBytes = new Uint8Array(Math.max(n, keyBytes.length * 2));
    keyView = new DataView(keyBytes.buffer);
  }
}

/** Encodes `key` into `keyBytes`; returns its hash. */
function encodeKey(key: unknown, action: string): number {
  if (typeof key === "number") {
    keyRoom(9);
    keyBytes[0] = KEY_NUMBER;
    // SameValueZero, as Map: -0 is 0, every NaN is one key.
    keyView.setFloat64(1, key === 0 ? 0 : key === key ? key : NaN, true);
    keyLength = 9;
  } else if (typeof key === "string") {
    if (key.isWellFormed()) {
      keyRoom(1 + key.length * 3);
      keyBytes[0] = KEY_STRING;
      let n = 0;
      const length = key.length;
      for (; n < length; n++) {
        const code = key.charCodeAt(n);
        if (code >= 0x80) break;
        keyBytes[1 + n] = code;
      }
      if (n < length) {
        n = textEncoder.encodeInto(key, keyBytes.subarray(1)).written;
      }
      keyLength = 1 + n;
    } else {
      keyRoom(1 + key.length * 2);
      keyBytes[0] = KEY_STRING16;
      for (let i = 0; i < key.length; i++) {
        keyView.setUint16(1 + 2 * i, key.charCodeAt(i), true);
      }
      keyLength = 1 + key.length * 2;
    }
  } else {
    throw invalid(action, "key", "a string or a number", key);
  }
  return hashKey(keyBytes, keyLength);
}

/** Decodes a key copied to `copied.bytes[0 .. length)`. */
function decodeKey(length: number): string | number {
  const bytes = copied.bytes;
  if (bytes[0] === KEY_NUMBER) {
    return new DataView(bytes.buffer, bytes.byteOffset).getFloat64(1, true);
  }
  if (bytes[0] === KEY_STRING) {
    if (length < 32) {
      let out = "";
      for (let i = 1; i < length; i++) {
        if (bytes[i] >= 0x80) {
          return textDecoder.decode(bytes.subarray(1, length));
        }
        out += String.fromCharCode(bytes[i]);
      }
      return out;
    }
    return textDecoder.decode(bytes.subarray(1, length));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  let out = "";
  for (let i = 1; i < length; i += 2) {
    out += String.fromCharCode(view.getUint16(i, true));
  }
  return out;
}

type Mode = "keys" | "values" | "entries";

/**
 * A map that every thread sees: Python's dict shared by threads, as a
 * `Map`-like object over shared memory. Keys are strings or numbers (number
 * keys come back as numbers; `1` and `"1"` are different keys, `-0` is `0`);
 * values are anything structured-cloneable and are copied in by `set` and
 * out by `get`, so changing an object after `set` does not change the map.
 * Shared objects in values (locks, events, queues, maps, `SharedArrayBuffer`s
 * and views over them) are not copied: `get` returns them live, over the same
 * memory, in any thread. The process keeps each `SharedArrayBuffer` stored
 * this way until it exits.
 *
 * Each call is atomic. Iteration is lazy, in insertion order: the `next()`
 * after any thread added or deleted a key throws
 * {@linkcode ConcurrentModificationError} (Python's "dictionary changed size
 * during iteration"); changing the value of an existing key is allowed. Hold
 * a `Lock` around an iteration and the changes, as in Python. Pass the map to
 * threads in their `args`: it arrives there as a live view of the same memory.
 *
 * @typeParam K The type of the keys: strings, numbers or both.
 * @typeParam V The type of the values.
 *
 * @example Usage
 * ```ts
 * import { SharedMap, Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const scores = new SharedMap<string, number>([["ann", 1]]);
 * const thread = new Thread({
 *   target: (m: SharedMap<string, number>) => m.set("bob", 2).size,
 *   args: [scores],
 * });
 * thread.start();
 * assert.equal(await thread.join(), 2);
 * assert.deepEqual([...scores], [["ann", 1], ["bob", 2]]);
 * ```
 */
export class SharedMap<K extends string | number = string | number, V = unknown>
  implements Iterable<[K, V]> {
  readonly #t: HashTable;

  /**
   * Creates a map, optionally filled from `[key, value]` pairs.
   *
   * @param entries Initial entries, as for `Map`.
   * @throws {TypeError} for a bad key or a value that cannot be cloned.
   */
  constructor(entries?: Iterable<readonly [K, V]> | null) {
    this.#t = adopted<HashTable>(TAG) ??
      new HashTable(createMapState(MAP_MAGIC));
    if (entries !== undefined && entries !== null) {
      for (const [key, value] of entries) this.set(key, value);
    }
  }

  /** The number of entries now (other threads may change it at once). */
  get size(): number {
    return Atomics.load(this.#t.h, SIZE);
  }

  /**
   * Returns a copy of the value stored under `key`, or `undefined`.
   *
   * @param key The key.
   * @returns A copy of the value, or `undefined` when the key is absent.
   * @throws {TypeError} when `key` is not a string or a number.
   */
  get(key: K): V | undefined {
    const hash = encodeKey(key, "get a SharedMap entry");
    const t = this.#t;
    let length = -1;
    lock(t.h, LOCK, "map");
    try {
      t.refresh();
      const e = t.find(keyBytes, keyLength, hash);
      if (e >= 0) length = t.copyValue(e, 0);
    } finally {
      unlock(t.h, LOCK);
    }
    if (length < 0) return undefined;
    const value = decodeValueAt(copied.bytes, 0, length) as V;
    trimCopied();
    return value;
  }

  /**
   * Stores a copy of `value` under `key`.
   *
   * @param key The key.
   * @param value The value (encoded at once).
   * @returns The map, to chain calls.
   * @throws {TypeError} when `key` is not a string or a number, or `value`
   * cannot be cloned (naming the part); nothing is stored then.
   */
  set(key: K, value: V): this {
    const action = "set a SharedMap entry";
    if (typeof key !== "string" && typeof key !== "number") {
      encodeKey(key, action);
    }
    const { bytes, length } = encodeValueToScratch(value, {
      path: "value",
      action,
    });
    // After the value: encoding it may run getters that use a map.
    const hash = encodeKey(key, action);
    const t = this.#t;
    lock(t.h, LOCK, "map");
    try {
      t.refresh();
      const e = t.find(keyBytes, keyLength, hash);
      t.set(keyBytes, keyLength, hash, bytes, length, e);
    } finally {
      unlock(t.h, LOCK);
    }
    return this;
  }

  /**
   * Tells whether `key` is in the map.
   *
   * @param key The key.
   * @returns Whether the map has an entry for it now.
   * @throws {TypeError} when `key` is not a string or a number.
   */
  has(key: K): boolean {
    const hash = encodeKey(key, "look up a SharedMap key");
    const t = this.#t;
    lock(t.h, LOCK, "map");
    try {
      t.refresh();
      return t.find(keyBytes, keyLength, hash) >= 0;
    } finally {
      unlock(t.h, LOCK);
    }
  }

  /**
   * Removes the entry for `key`.
   *
   * @param key The key.
   * @returns Whether there was such an entry.
   * @throws {TypeError} when `key` is not a string or a number.
   */
  delete(key: K): boolean {
    const hash = encodeKey(key, "delete a SharedMap entry");
    const t = this.#t;
    lock(t.h, LOCK, "map");
    try {
      t.refresh();
      const e = t.find(keyBytes, keyLength, hash);
      if (e < 0) return false;
      t.delete(e);
      return true;
    } finally {
      unlock(t.h, LOCK);
    }
  }

  /** Removes every entry. */
  clear(): void {
    const t = this.#t;
    lock(t.h, LOCK, "map");
    try {
      t.refresh();
      t.clear();
    } finally {
      unlock(t.h, LOCK);
    }
  }

  /**
   * The keys, in insertion order, read lazily.
   *
   * @returns An iterator whose `next()` throws
   * {@linkcode ConcurrentModificationError} after a key was added or deleted.
   */
  keys(): IterableIterator<K> {
    return this.#iterate<K>("keys");
  }

  /**
   * Copies of the values, in insertion order, read lazily.
   *
   * @returns An iterator whose `next()` throws
   * {@linkcode ConcurrentModificationError} after a key was added or deleted.
   */
  values(): IterableIterator<V> {
    return this.#iterate<V>("values");
  }

  /**
   * The `[key, value]` pairs, in insertion order, read lazily.
   *
   * @returns An iterator whose `next()` throws
   * {@linkcode ConcurrentModificationError} after a key was added or deleted.
   */
  entries(): IterableIterator<[K, V]> {
    return this.#iterate<[K, V]>("entries");
  }

  /**
   * The `[key, value]` pairs, as {@linkcode SharedMap.entries}.
   *
   * @returns An iterator over the entries.
   */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.#iterate<[K, V]>("entries");
  }

  #iterate<T>(mode: Mode): IterableIterator<T> {
    const t = this.#t;
    const mod = Atomics.load(t.h, MOD);
    let position = 0;
    let done = false;
    const next = (): IteratorResult<T> => {
      if (done) return { done: true, value: undefined };
      let keyLength = 0;
      let valueLength = 0;
      lock(t.h, LOCK, "map");
      try {
        if (Atomics.load(t.h, MOD) !== mod) {
          done = true;
          throw new ConcurrentModificationError();
        }
        t.refresh();
        const e = t.nextEntry(position);
        if (e < 0) {
          done = true;
          return { done: true, value: undefined };
        }
        position = e + 1;
        if (mode !== "values") keyLength = t.copyKey(e);
        if (mode !== "keys") valueLength = t.copyValue(e, keyLength);
      } finally {
        unlock(t.h, LOCK);
      }
      let value: unknown;
      if (mode === "keys") value = decodeKey(keyLength);
      else {
        const decoded = decodeValueAt(
          copied.bytes,
          keyLength,
          keyLength + valueLength,
        );
        value = mode === "values" ? decoded : [decodeKey(keyLength), decoded];
        trimCopied();
      }
      return { done: false, value: value as T };
    };
    return {
      next,
      [Symbol.iterator]() {
        return this;
      },
    };
  }

  /**
   * Describes the map for another thread: its tag and buffers.
   *
   * @ignore
   */
  [toShared](): SharedState {
    return { tag: TAG, data: this.#t.state };
  }
}

registerShareable(TAG, (data) => {
  const state = data as MapState;
  if (
    typeof state !== "object" || state === null ||
    !(state.header instanceof SharedArrayBuffer) ||
    state.header.byteLength !== HEADER_BYTES ||
    !(state.table instanceof SharedArrayBuffer) ||
    !(state.arena instanceof SharedArrayBuffer) ||
    Atomics.load(new Int32Array(state.header), MAGIC) !== MAP_MAGIC
  ) {
    throw notMemoryOf("a SharedMap");
  }
  return adopting(TAG, new HashTable(state), () => new SharedMap());
});
