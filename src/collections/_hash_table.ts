/**
 * The hash table under `SharedMap`, in shared memory, after CPython's compact
 * dict: an `entries` array in insertion order (hash, where the key and value
 * bytes are, their lengths) and an open-addressing `index` of entry numbers,
 * both in one growable buffer that is rebuilt when it fills up; keys' and
 * values' bytes in a growable arena that is compacted when half of it is
 * garbage. Every method runs under the map's lock (see `_shm/spin_lock.ts`) and grows
 * storage before it changes anything, so a failed growth changes nothing.
 *
 * @module
 */
import { growableBuffer, growBuffer } from "../_shm/growable_buffer.ts";

/** The lock cell. */
export const LOCK = 0;
/** Identifies a map header. */
export const MAGIC = 1;
/** The number of entries. */
export const SIZE = 2;
/** Bumped by every change of the set of keys; iterators compare it. */
export const MOD = 3;
// u32 cells of the header:
const TABLE_CAP = 4; // index slots, a power of 2
const ENTRY_CAP = 5; // entries that fit before a rebuild
const ENTRY_USED = 6; // entries appended, deleted ones included
const ARENA_CAP = 7; // arena bytes
const ARENA_TOP = 8; // arena bytes in use (garbage included)
const GARBAGE = 9; // arena bytes no entry uses any more
const TABLE_BYTES = 10; // bytes the entries and index need
/** The header's size in bytes. */
export const HEADER_BYTES = 64;

// An entry: 6 u32 cells.
const E_HASH = 0;
const E_OFFSET = 1;
const E_KEY = 2; // key length; 0 marks a deleted entry
const E_VALUE = 3; // value length
const E_CAPACITY = 4; // bytes reserved for the value
const ENTRY_CELLS = 6;

const EMPTY = -1;
const DELETED = -2;
const MIN_TABLE = 8;
const INITIAL_ARENA = 1024;

/** The buffers a map is made of; what crosses to other threads. */
export interface MapState {
  /** Counters and positions. */
  header: SharedArrayBuffer;
  /** Entries and index (growable). */
  table: SharedArrayBuffer;
  /** Keys' and values' bytes (growable). */
  arena: SharedArrayBuffer;
}

function tableBytes(tableCap: number): number {
  return entryCap(tableCap) * ENTRY_CELLS * 4 + tableCap * 4;
}

function entryCap(tableCap: number): number {
  return Math.floor((tableCap * 2) / 3);
}

/** Makes the buffers of an empty map. */
export function createMapState(magic: number): MapState {
  const header = new SharedArrayBuffer(HEADER_BYTES);
  const h = new Uint32Array(header);
  h[MAGIC] = magic;
  const bytes = tableBytes(MIN_TABLE);
  const table = growableBuffer(bytes);
  h[TABLE_CAP] = MIN_TABLE;
  h[ENTRY_CAP] = entryCap(MIN_TABLE);
  h[TABLE_BYTES] = bytes;
  new Int32Array(table, entryCap(MIN_TABLE) * ENTRY_CELLS * 4, MIN_TABLE).fill(
    EMPTY,
  );
  h[ARENA_CAP] = INITIAL_ARENA;
  return { header, table, arena: growableBuffer(INITIAL_ARENA) };
}

/** Where a copied-out key or value is (decoded after the lock is released). */
export const copied: { bytes: Uint8Array } = { bytes: new Uint8Array(256) };

function copyOut(from: Uint8Array, start: number, length: number, at: number) {
  let to = copied.bytes;
  if (to.length < at + length) {
    const bigger = new Uint8Array(Math.max(at + length, to.length * 2));
    bigger.set(to.subarray(0, at));
    copied.bytes = to = bigger;
  }
  if (length < 64) {
    for (let i = 0; i < length; i++) to[at + i] = from[start + i];
  } else to.set(from.subarray(start, start + length), at);
}

/** Drops a huge copy buffer once its value was decoded. */
export function trimCopied(): void {
  if (copied.bytes.length > 1 << 20) copied.bytes = new Uint8Array(256);
}

/** FNV-1a over bytes `0 .. length` of `key`. */
export function hashKey(key: Uint8Array, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    hash = Math.imul(hash ^ key[i], 0x01000193);
  }
  return hash >>> 0;
}

/** The operations of the map on its shared memory (all under the lock). */
export class HashTable {
  readonly state: MapState;
  readonly h: Int32Array;
  readonly #u: Uint32Array;
  #entries: Uint32Array = new Uint32Array(0);
  #index: Int32Array = new Int32Array(0);
  #tableBytes = -1;
  #tableCap = -1;
  #arena: Uint8Array = new Uint8Array(0);
  #arenaCap = -1;
  /** The index slot the last `find` stopped at. */
  #slot = 0;

  constructor(state: MapState) {
    this.state = state;
    this.h = new Int32Array(state.header);
    this.#u = new Uint32Array(state.header);
  }

  /** Rebuilds the views when another thread grew or rebuilt the storage. */
  refresh(): void {
    const u = this.#u;
    if (
      u[TABLE_BYTES] !== this.#tableBytes || u[TABLE_CAP] !== this.#tableCap
    ) {
      const tableCap = u[TABLE_CAP];
      const entries = u[ENTRY_CAP];
      this.#entries = new Uint32Array(
        this.state.table,
        0,
        entries * ENTRY_CELLS,
      );
      this.#index = new Int32Array(
        this.state.table,
        entries * ENTRY_CELLS * 4,
        tableCap,
      );
      this.#tableBytes = u[TABLE_BYTES];
      this.#tableCap = tableCap;
    }
    if (u[ARENA_CAP] !== this.#arenaCap) {
      this.#arena = new Uint8Array(this.state.arena, 0, u[ARENA_CAP]);
      this.#arenaCap = u[ARENA_CAP];
    }
  }

  /** The entry holding the key, or -1; `#slot` is where it is or would go. */
  find(key: Uint8Array, length: number, hash: number): number {
    const entries = this.#entries;
    const index = this.#index;
    const arena = this.#arena;
    const mask = this.#tableCap - 1;
    let free = -1;
    for (let slot = hash & mask;; slot = (slot + 1) & mask) {
      const e = index[slot];
      if (e === EMPTY) {
        this.#slot = free >= 0 ? free : slot;
        return -1;
      }
      if (e === DELETED) {
        if (free < 0) free = slot;
        continue;
      }
      const at = e * ENTRY_CELLS;
      if (entries[at + E_HASH] !== hash || entries[at + E_KEY] !== length) {
        continue;
      }
      const offset = entries[at + E_OFFSET];
      let same = true;
      for (let i = 0; i < length; i++) {
        if (arena[offset + i] !== key[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.#slot = slot;
        return e;
      }
    }
  }

  /** Copies entry `e`'s value to `copied.bytes` at `at`; returns its length. */
  copyValue(e: number, at: number): number {
    const base = e * ENTRY_CELLS;
    const length = this.#entries[base + E_VALUE];
    copyOut(
      this.#arena,
      this.#entries[base + E_OFFSET] + this.#entries[base + E_KEY],
      length,
      at,
    );
    return length;
  }

  /** Copies entry `e`'s key to `copied.bytes` at 0; returns its length. */
  copyKey(e: number): number {
    const base = e * ENTRY_CELLS;
    const length = this.#entries[base + E_KEY];
    copyOut(this.#arena, this.#entries[base + E_OFFSET], length, 0);
    return length;
  }

  /** The first live entry at or after `from`, or -1. */
  nextEntry(from: number): number {
    const used = this.#u[ENTRY_USED];
    const entries = this.#entries;
    for (let e = from; e < used; e++) {
      if (entries[e * ENTRY_CELLS + E_KEY] !== 0) return e;
    }
    return -1;
  }

  /** Sets the value of the key (`find` was just called for it). */
  set(
    key: Uint8Array,
    keyLength: number,
    hash: number,
    value: Uint8Array,
    valueLength: number,
    found: number,
  ): void {
    const u = this.#u;
    if (found >= 0) {
      const base = found * ENTRY_CELLS;
      if (valueLength <= this.#entries[base + E_CAPACITY]) {
        const offset = this.#entries[base + E_OFFSET] + keyLength;
        this.#arena.set(value.subarray(0, valueLength), offset);
        this.#entries[base + E_VALUE] = valueLength;
        return;
      }
      const offset = this.#alloc(keyLength + valueLength);
      this.#write(offset, key, keyLength, value, valueLength);
      const entries = this.#entries;
      // Read after #alloc, which may have compacted the old bytes.
      const old = keyLength + entries[base + E_CAPACITY];
      entries[base + E_OFFSET] = offset;
      entries[base + E_VALUE] = valueLength;
      entries[base + E_CAPACITY] = valueLength;
      u[GARBAGE] += old;
      return;
    }
    if (u[ENTRY_USED] >= u[ENTRY_CAP]) {
      this.#rebuild();
      this.find(key, keyLength, hash);
    }
    const offset = this.#alloc(keyLength + valueLength);
    this.#write(offset, key, keyLength, value, valueLength);
    const e = u[ENTRY_USED];
    const base = e * ENTRY_CELLS;
    const entries = this.#entries;
    entries[base + E_HASH] = hash;
    entries[base + E_OFFSET] = offset;
    entries[base + E_KEY] = keyLength;
    entries[base + E_VALUE] = valueLength;
    entries[base + E_CAPACITY] = valueLength;
    this.#index[this.#slot] = e;
    u[ENTRY_USED] = e + 1;
    Atomics.store(this.h, SIZE, this.h[SIZE] + 1);
    Atomics.add(this.h, MOD, 1);
  }

  /** Deletes entry `found` (`find` was just called for its key). */
  delete(found: number): void {
    const u = this.#u;
    const base = found * ENTRY_CELLS;
    u[GARBAGE] += this.#entries[base + E_KEY] +
      this.#entries[base + E_CAPACITY];
    this.#entries[base + E_KEY] = 0;
    this.#index[this.#slot] = DELETED;
    Atomics.store(this.h, SIZE, this.h[SIZE] - 1);
    Atomics.add(this.h, MOD, 1);
    if (this.h[SIZE] === 0) this.#reset();
  }

  /** Deletes every entry. */
  clear(): void {
    if (this.h[SIZE] === 0) return;
    Atomics.store(this.h, SIZE, 0);
    Atomics.add(this.h, MOD, 1);
    this.#reset();
  }

  #reset(): void {
    const u = this.#u;
    u[ENTRY_USED] = 0;
    u[ARENA_TOP] = 0;
    u[GARBAGE] = 0;
    this.#index.fill(EMPTY);
  }

  #write(
    offset: number,
    key: Uint8Array,
    keyLength: number,
    value: Uint8Array,
    valueLength: number,
  ): void {
    const arena = this.#arena;
    for (let i = 0; i < keyLength; i++) arena[offset + i] = key[i];
    arena.set(value.subarray(0, valueLength), offset + keyLength);
  }

  /** Reserves `n` arena bytes, compacting or growing the arena first if needed. */
  #alloc(n: number): number {
    const u = this.#u;
    if (u[ARENA_TOP] + n > u[ARENA_CAP] && u[GARBAGE] * 2 >= u[ARENA_TOP]) {
      this.#compact();
    }
    if (u[ARENA_TOP] + n > u[ARENA_CAP]) {
      u[ARENA_CAP] = growBuffer(
        this.state.arena,
        u[ARENA_TOP] + n,
        "set a SharedMap entry",
      );
      this.refresh();
    }
    const offset = u[ARENA_TOP];
    u[ARENA_TOP] = offset + n;
    return offset;
  }

  /** Moves the live keys and values to the start of the arena. */
  #compact(): void {
    const u = this.#u;
    const entries = this.#entries;
    const live: number[] = [];
    for (let e = 0; e < u[ENTRY_USED]; e++) {
      if (entries[e * ENTRY_CELLS + E_KEY] !== 0) live.push(e);
    }
    live.sort((a, b) =>
      entries[a * ENTRY_CELLS + E_OFFSET] - entries[b * ENTRY_CELLS + E_OFFSET]
    );
    let top = 0;
    for (const e of live) {
      const base = e * ENTRY_CELLS;
      const offset = entries[base + E_OFFSET];
      const length = entries[base + E_KEY] + entries[base + E_VALUE];
      if (offset !== top) this.#arena.copyWithin(top, offset, offset + length);
      entries[base + E_OFFSET] = top;
      entries[base + E_CAPACITY] = entries[base + E_VALUE];
      top += length;
    }
    u[ARENA_TOP] = top;
    u[GARBAGE] = 0;
  }

  /**
   * Rebuilds entries (dropping deleted ones) and index, with room for twice
   * the live entries; entry numbers change, so iterators must already have
   * been invalidated (a key is being added).
   */
  #rebuild(): void {
    const u = this.#u;
    const size = this.h[SIZE];
    let tableCap = MIN_TABLE;
    while (entryCap(tableCap) < (size + 1) * 2) tableCap *= 2;
    const bytes = tableBytes(tableCap);
    if (bytes > this.state.table.byteLength) {
      growBuffer(this.state.table, bytes, "set a SharedMap entry");
    }
    const entries = this.#entries;
    const live = new Uint32Array(size * ENTRY_CELLS);
    let n = 0;
    for (let e = 0; e < u[ENTRY_USED]; e++) {
      const base = e * ENTRY_CELLS;
      if (entries[base + E_KEY] === 0) continue;
      live.set(entries.subarray(base, base + ENTRY_CELLS), n * ENTRY_CELLS);
      n++;
    }
    u[TABLE_CAP] = tableCap;
    u[ENTRY_CAP] = entryCap(tableCap);
    u[TABLE_BYTES] = bytes;
    u[ENTRY_USED] = n;
    this.refresh();
    this.#entries.set(live);
    const index = this.#index;
    index.fill(EMPTY);
    const mask = tableCap - 1;
    for (let e = 0; e < n; e++) {
      let slot = this.#entries[e * ENTRY_CELLS + E_HASH] & mask;
      while (index[slot] !== EMPTY) slot = (slot + 1) & mask;
      index[slot] = e;
    }
  }
}
