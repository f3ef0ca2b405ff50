/**
 * Where the items of LIFO and priority queues live (and helpers every queue
 * uses): encoded bytes in a growable `SharedArrayBuffer`, ordered last-in
 * first-out (a byte stack) or by priority (a binary heap of entries beside a
 * compacting byte arena). The first-in first-out ring is in `_fifo_core.ts`.
 * Every method runs under the queue's lock; a method that must grow the
 * storage grows it before changing anything else, so a failed growth leaves
 * the queue as it was.
 *
 * @module
 */
import { growBuffer, INITIAL_BYTES } from "../_shm/growable_buffer.ts";

// The queue header: an Int32Array (and a Uint32Array, a Float64Array) over a
// small SharedArrayBuffer of its own. What every put and get touches shares
// the first 64 bytes (one cache line, when the buffer is so aligned); the
// futex words that sleepers wait on, and what only `attach` reads, follow.
/** The lock cell (see `_shm/spin_lock.ts`). */
export const LOCK = 0;
/** The number of items (read without the lock by `qsize()` and spinners). */
export const COUNT = 1;
/** Items put and not yet marked done by `taskDone()`. */
export const UNFINISHED = 2;
/** 1 once `shutdown()` was called. */
export const SHUTDOWN = 3;
/** Threads registered as sleeping until an item arrives. */
export const GET_WAITERS = 4;
/** Threads registered as sleeping until there is room. */
export const PUT_WAITERS = 5;
/** The maximum number of items; 0 for unbounded. */
export const MAXSIZE = 6;
/** The data buffer's capacity in bytes (u32). */
const CAP = 7;
// Store positions (u32), per kind: LIFO top / arena top...
const A = 8;
// ...arena garbage...
const B = 9;
// ...heap capacity in entries.
const C = 10;
/** Threads registered as sleeping in `join()`. */
export const JOIN_WAITERS = 11;
/** The put sequence number of priority queues, a float64 at this Float64Array index. */
export const SEQ = 7;
/** Futex word bumped when an item arrives for a sleeping getter. */
export const NOT_EMPTY = 16;
/** Futex word bumped when room appears for a sleeping putter. */
export const NOT_FULL = 17;
/** Futex word bumped when the unfinished count drops to 0. */
export const ALL_DONE = 18;
/** Identifies a queue header, so that a wrong buffer is refused. */
export const MAGIC = 24;
/** Which store: {@linkcode FIFO}, {@linkcode LIFO} or {@linkcode PRIORITY}. */
export const KIND = 25;
/** The header's size in bytes. */
export const HEADER_BYTES = 128;

/** First in, first out. */
export const FIFO = 1;
/** Last in, first out. */
export const LIFO = 2;
/** Lowest priority first, first in first out among equals. */
export const PRIORITY = 3;

const HEAP_ENTRY_BYTES = 24;

/** Where `take()` copies an item's bytes (decoded after the lock is released). */
export const taken: { bytes: Uint8Array; view: DataView; priority: number } = {
  bytes: new Uint8Array(1024),
  view: new DataView(new ArrayBuffer(0)),
  priority: 0,
};
taken.view = new DataView(taken.bytes.buffer);

/** `taken.bytes` (and `taken.view`), grown to hold `length` bytes. */
export function takenBuffer(length: number): Uint8Array {
  if (taken.bytes.length < length) {
    taken.bytes = new Uint8Array(Math.max(length, taken.bytes.length * 2));
    taken.view = new DataView(taken.bytes.buffer);
  }
  return taken.bytes;
}

/** Drops a huge take buffer once its item was decoded. */
export function trimTaken(): void {
  if (taken.bytes.length > 1 << 20) {
    taken.bytes = new Uint8Array(1024);
    taken.view = new DataView(taken.bytes.buffer);
  }
}

const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/**
 * A `DataView` over the same bytes as a byte array (index `i` of one is
 * index `i` of the other), made again only when the array changes: the
 * arrays that items come from (an encoder's reused buffer) rarely do.
 */
export class ViewOf {
  #bytes: Uint8Array = EMPTY_BYTES;
  #view: DataView = EMPTY_VIEW;

  /** The view over `bytes`. */
  of(bytes: Uint8Array): DataView {
    if (bytes !== this.#bytes) {
      this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      this.#bytes = bytes;
    }
    return this.#view;
  }
}

/** Up to this many bytes, `copy` moves 32-bit words rather than calling `set`. */
const COPY_BY_WORDS = 192;

/**
 * Copies `length` bytes from `from` at `start` to `to` at `at`; `fromView`
 * and `toView` are `DataView`s over the same bytes as the arrays. Short
 * items move four bytes at a time through the views: on V8, a byte loop over
 * shared memory costs several nanoseconds a byte, and `set` of a `subarray`
 * a hundred nanoseconds before the first byte.
 */
export function copy(
  from: Uint8Array,
  fromView: DataView,
  start: number,
  length: number,
  to: Uint8Array,
  toView: DataView,
  at: number,
): void {
  if (length > COPY_BY_WORDS) {
    to.set(from.subarray(start, start + length), at);
    return;
  }
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    toView.setInt32(at + i, fromView.getInt32(start + i, true), true);
  }
  for (; i < length; i++) to[at + i] = from[start + i];
}

/** The operations every order implements (always under the queue's lock). */
export interface Store {
  /** Adds an item: bytes `0 .. length` of `source` (`view` is over the same bytes). */
  push(
    source: Uint8Array,
    view: DataView,
    length: number,
    priority: number,
    count: number,
  ): void;
  /** Removes the next item into `taken.bytes`; returns its length. */
  take(count: number): number;
  /** Drops every item. */
  clear(): void;
}

/** Views over the data buffer, rebuilt when another thread grew it. */
class Views {
  bytes: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  cap = -1;

  constructor(readonly h: Uint32Array, readonly buffer: SharedArrayBuffer) {}

  refresh(): number {
    const cap = this.h[CAP];
    if (cap !== this.cap) {
      this.bytes = new Uint8Array(this.buffer, 0, cap);
      this.view = new DataView(this.buffer, 0, cap);
      this.cap = cap;
    }
    return cap;
  }

  grow(min: number): number {
    const cap = growBuffer(this.buffer, min, "put the item in the queue");
    this.h[CAP] = cap;
    return this.refresh();
  }
}

/** Records `[bytes][u32 length]` on a stack that grows when full. */
class LifoStore implements Store {
  readonly #d: Views;
  readonly #h: Uint32Array;

  constructor(h: Uint32Array, buffer: SharedArrayBuffer) {
    this.#h = h;
    this.#d = new Views(h, buffer);
  }

  push(source: Uint8Array, view: DataView, length: number): void {
    const h = this.#h;
    const d = this.#d;
    const top = h[A];
    if (top + length + 4 > d.refresh()) d.grow(top + length + 4);
    copy(source, view, 0, length, d.bytes, d.view, top);
    d.view.setUint32(top + length, length, true);
    h[A] = top + length + 4;
  }

  take(): number {
    const h = this.#h;
    const d = this.#d;
    d.refresh();
    const top = h[A];
    const length = d.view.getUint32(top - 4, true);
    const start = top - 4 - length;
    copy(d.bytes, d.view, start, length, takenBuffer(length), taken.view, 0);
    h[A] = start;
    return length;
  }

  clear(): void {
    this.#h[A] = 0;
  }
}

/**
 * A binary heap of 24-byte entries `[f64 priority][f64 sequence][u32 offset]
 * [u32 length]` in its own growable buffer, ordered by (priority, sequence);
 * the items' bytes sit in a bump-allocated arena that is compacted when half
 * of it is garbage.
 */
class PriorityStore implements Store {
  readonly #d: Views;
  readonly #h: Uint32Array;
  readonly #hf: Float64Array;
  readonly #heap: SharedArrayBuffer;
  #f: Float64Array = new Float64Array(0);
  #u: Uint32Array = new Uint32Array(0);
  #heapCap = -1;

  constructor(
    h: Uint32Array,
    buffer: SharedArrayBuffer,
    heap: SharedArrayBuffer,
  ) {
    this.#h = h;
    this.#hf = new Float64Array(h.buffer, 0, HEADER_BYTES / 8);
    this.#d = new Views(h, buffer);
    this.#heap = heap;
  }

  #refreshHeap(): number {
    const cap = this.#h[C];
    if (cap !== this.#heapCap) {
      this.#f = new Float64Array(this.#heap, 0, cap * 3);
      this.#u = new Uint32Array(this.#heap, 0, cap * 6);
      this.#heapCap = cap;
    }
    return cap;
  }

  push(
    source: Uint8Array,
    view: DataView,
    length: number,
    priority: number,
    count: number,
  ): void {
    const h = this.#h;
    const d = this.#d;
    if (count + 1 > this.#refreshHeap()) {
      const bytes = growBuffer(
        this.#heap,
        (count + 1) * HEAP_ENTRY_BYTES,
        "put the item in the queue",
      );
      h[C] = Math.floor(bytes / HEAP_ENTRY_BYTES);
      this.#refreshHeap();
    }
    let top = h[A];
    if (top + length > d.refresh()) {
      if (h[B] > 0 && h[B] * 2 >= top) {
        this.#compact(count);
        top = h[A];
      }
      if (top + length > d.cap) d.grow(top + length);
    }
    copy(source, view, 0, length, d.bytes, d.view, top);
    h[A] = top + length;
    const seq = this.#hf[SEQ]++;
    const f = this.#f;
    const u = this.#u;
    f[3 * count] = priority;
    f[3 * count + 1] = seq;
    u[6 * count + 4] = top;
    u[6 * count + 5] = length;
    this.#siftUp(count);
  }

  take(count: number): number {
    const h = this.#h;
    const d = this.#d;
    d.refresh();
    this.#refreshHeap();
    const f = this.#f;
    const u = this.#u;
    const offset = u[4];
    const length = u[5];
    taken.priority = f[0];
    copy(d.bytes, d.view, offset, length, takenBuffer(length), taken.view, 0);
    const last = count - 1;
    if (last === 0) {
      this.clear();
      return length;
    }
    for (let k = 0; k < 6; k++) u[k] = u[6 * last + k];
    this.#siftDown(0, last);
    h[B] += length;
    return length;
  }

  clear(): void {
    this.#h[A] = 0;
    this.#h[B] = 0;
  }

  #less(i: number, j: number): boolean {
    const f = this.#f;
    const a = f[3 * i];
    const b = f[3 * j];
    return a < b || (a === b && f[3 * i + 1] < f[3 * j + 1]);
  }

  #swap(i: number, j: number): void {
    const u = this.#u;
    for (let k = 0; k < 6; k++) {
      const t = u[6 * i + k];
      u[6 * i + k] = u[6 * j + k];
      u[6 * j + k] = t;
    }
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(i: number, n: number): void {
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.#less(right, left) ? right : left;
      if (!this.#less(child, i)) return;
      this.#swap(i, child);
      i = child;
    }
  }

  #compact(count: number): void {
    const u = this.#u;
    const bytes = this.#d.bytes;
    const order = Array.from({ length: count }, (_, i) => i);
    order.sort((i, j) => u[6 * i + 4] - u[6 * j + 4]);
    let at = 0;
    for (const i of order) {
      const offset = u[6 * i + 4];
      const length = u[6 * i + 5];
      if (offset !== at) bytes.copyWithin(at, offset, offset + length);
      u[6 * i + 4] = at;
      at += length;
    }
    this.#h[A] = at;
    this.#h[B] = 0;
  }
}

/** Prepares the header of a new queue of `kind` (its storage is empty). */
export function initStore(h: Uint32Array, kind: number): void {
  h[CAP] = INITIAL_BYTES;
  h[A] = 0;
  h[B] = 0;
  h[C] = kind === PRIORITY ? Math.floor(INITIAL_BYTES / HEAP_ENTRY_BYTES) : 0;
}

/** The store of `kind` over a queue's header and buffers. */
export function openStore(
  kind: number,
  h: Uint32Array,
  buffer: SharedArrayBuffer,
  heap: SharedArrayBuffer | null,
): Store {
  if (kind === PRIORITY) return new PriorityStore(h, buffer, heap!);
  return new LifoStore(h, buffer);
}
