/**
 * The engine of `Queue` and `SimpleQueue`: a ring of `[u32 length][bytes]`
 * records in a growable buffer, with one lock for putters and another for
 * getters (Michael and Scott's two-lock queue), each side's state on a cache
 * line of its own. Putters own the tail and getters the head; each side
 * keeps its last view of the other's position and reads the real one only
 * when that view says full (or empty), so a steady flow from one thread to
 * another moves little more than the items' own cache lines.
 *
 * A put writes its record, then publishes it by storing the tail; a get
 * copies its record out, then frees the space by storing the head. Growing
 * the ring takes both locks (putter's first), and so does `shutdown`. A side
 * that finds the other side's sleepers (their count is read after its own
 * publishing store, and sleepers re-check after counting themselves in, so
 * one of the two always sees the other) wakes them under their lock, after
 * releasing its own: no thread ever waits for one lock while holding the
 * other, except the putter that grows the ring (putter's lock, then
 * getter's).
 *
 * @module
 */
import { notify } from "../_shm/futex.ts";
import { lock, lockUnlessBroken, unlock } from "../_shm/spin_lock.ts";
import {
  checkState,
  clampMaxsize,
  DONE,
  NOT_NOW,
  QUEUE_MAGIC,
  QueueCore,
  type QueueState,
  SHUT,
  SPINS,
  WAIT,
} from "./_queue_core.ts";
import { copy, FIFO, taken, takenBuffer, ViewOf } from "./_stores.ts";
import { growableBuffer, growBuffer } from "../_shm/growable_buffer.ts";

// The header: Int32 (and Uint32) cells in 64-byte groups.
// The putters' side:
const P_LOCK = 0;
const KNOWN_HEAD = 2; // the putters' last view of HEAD (u32)
const PUT_COUNT = 3; // items ever put (int32, wrapping)
const WRAP_AT = 4; // where the last wrap-around left the end of the ring (u32)
const KNOWN_GET_COUNT = 5; // the putters' last view of GET_COUNT
// The getters' side:
const G_LOCK = 16;
const HEAD = 17; // where the next record is (u32)
const KNOWN_TAIL = 18; // the getters' last view of TAIL (u32)
const GET_COUNT = 19; // items ever taken (int32, wrapping)
// Read by both, rarely written:
const MAXSIZE = 32;
const SHUTDOWN = 33;
const CAP = 34; // the ring's size in bytes (u32)
/** Getters registered as sleeping (exported for tests). */
export const GET_WAITERS = 35;
/** Putters registered as sleeping (exported for tests). */
export const PUT_WAITERS = 36;
// Task tracking:
const T_LOCK = 48;
const DONE_COUNT = 49; // tasks ever marked done (int32, wrapping)
const JOIN_WAITERS = 50;
// Futex words:
const NOT_EMPTY = 64;
const NOT_FULL = 65;
const ALL_DONE = 66;
// Identity:
const MAGIC = 80;
const KIND = 81;
// Where the next record goes (u32): written by putters once a put, read by
// getters that caught up with them. On a line of its own, so that a getter
// waiting for the next item does not pull the putters' lock and counters
// away from the putter at every read.
const TAIL = 96;
const HEADER_BYTES = 512;

/** A length that says: the ring goes on at 0. */
const MARKER = 0xffffffff;
const NO_WRAP = 0xffffffff;
const INITIAL_BYTES = 1024;

const WORDS = {
  notEmpty: NOT_EMPTY,
  notFull: NOT_FULL,
  allDone: ALL_DONE,
  getWaiters: GET_WAITERS,
  putWaiters: PUT_WAITERS,
  joinWaiters: JOIN_WAITERS,
};

/** The first-in first-out engine with a putters' and a getters' lock. */
export class FifoQueueCore extends QueueCore {
  readonly #u: Uint32Array;
  #bytes: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  #cap = -1;
  /** A view over the bytes of the items put by this thread. */
  readonly #source = new ViewOf();

  private constructor(state: QueueState) {
    super(state, false, WORDS);
    this.#u = new Uint32Array(state.header);
  }

  /** A new empty queue; `maxsize` ≤ 0 means unbounded. */
  static create(maxsize: number): FifoQueueCore {
    const header = new SharedArrayBuffer(HEADER_BYTES);
    const h = new Int32Array(header);
    const u = new Uint32Array(header);
    h[MAGIC] = QUEUE_MAGIC;
    h[KIND] = FIFO;
    h[MAXSIZE] = clampMaxsize(maxsize);
    u[CAP] = INITIAL_BYTES;
    u[WRAP_AT] = NO_WRAP;
    return new FifoQueueCore({
      header,
      data: growableBuffer(INITIAL_BYTES),
      heap: null,
    });
  }

  /** A view over a queue made in another thread. */
  static attach(data: unknown, what: string): FifoQueueCore {
    return new FifoQueueCore(
      checkState(data, HEADER_BYTES, false, MAGIC, KIND, FIFO, what),
    );
  }

  get maxsize(): number {
    return Atomics.load(this.h, MAXSIZE);
  }

  set maxsize(value: number) {
    const h = this.h;
    lock(h, P_LOCK);
    Atomics.store(h, MAXSIZE, clampMaxsize(value));
    Atomics.add(h, NOT_FULL, 1);
    Atomics.store(h, PUT_WAITERS, 0);
    unlock(h, P_LOCK);
    notify(h, NOT_FULL);
  }

  qsize(): number {
    // PUT_COUNT first: getters that run between the two reads can only lower
    // the result, so a reader outside the locks never sees more than maxsize
    // (putters and getters move on concurrently in this two-lock ring).
    const put = Atomics.load(this.h, PUT_COUNT);
    return Math.max(0, (put - Atomics.load(this.h, GET_COUNT)) | 0);
  }

  /** Items held, as seen by a putter holding the putters' lock: never an underestimate. */
  #held(): number {
    // GET_COUNT first: it never passes a PUT_COUNT read after it.
    const got = Atomics.load(this.h, GET_COUNT);
    return (Atomics.load(this.h, PUT_COUNT) - got) | 0;
  }

  full(): boolean {
    const max = Atomics.load(this.h, MAXSIZE);
    return max > 0 && this.qsize() >= max;
  }

  get isShutdown(): boolean {
    return Atomics.load(this.h, SHUTDOWN) !== 0;
  }

  get unfinishedTasks(): number {
    const done = Atomics.load(this.h, DONE_COUNT);
    return (Atomics.load(this.h, PUT_COUNT) - done) | 0;
  }

  /** The ring's views, rebuilt when another thread grew it. */
  #refresh(): number {
    const cap = this.#u[CAP];
    if (cap !== this.#cap) {
      this.#bytes = new Uint8Array(this.state.data, 0, cap);
      this.#view = new DataView(this.state.data, 0, cap);
      this.#cap = cap;
    }
    return cap;
  }

  // ---- putters' side (under P_LOCK) ----

  protected tryPut(
    bytes: Uint8Array,
    length: number,
    _priority: number,
    register: boolean,
    seq: number,
  ): number {
    const h = this.h;
    let wake = false;
    lock(h, P_LOCK);
    try {
      if (seq === seq) this.leave(PUT_WAITERS, NOT_FULL, seq);
      for (;;) {
        if (h[SHUTDOWN] !== 0) return SHUT;
        const max = h[MAXSIZE];
        if (max > 0) {
          const put = h[PUT_COUNT];
          if (((put - h[KNOWN_GET_COUNT]) | 0) >= max) {
            const got = Atomics.load(h, GET_COUNT);
            h[KNOWN_GET_COUNT] = got;
            if (((put - got) | 0) >= max) {
              if (!register) return NOT_NOW;
              Atomics.add(h, PUT_WAITERS, 1);
              const word = Atomics.load(h, NOT_FULL);
              // A get that made room after this line sees PUT_WAITERS > 0.
              if (((put - Atomics.load(h, GET_COUNT)) | 0) >= max) {
                this.seq = word;
                return WAIT;
              }
              this.leave(PUT_WAITERS, NOT_FULL, word);
              continue;
            }
          }
        }
        this.#write(bytes, length);
        wake = Atomics.load(h, GET_WAITERS) > 0;
        return DONE;
      }
    } finally {
      unlock(h, P_LOCK);
      if (wake) this.#wake(G_LOCK, GET_WAITERS, NOT_EMPTY);
    }
  }

  /** Writes a record at the tail (wrapping or growing the ring) and publishes it. */
  #write(source: Uint8Array, length: number): void {
    const h = this.h;
    const u = this.#u;
    const need = 4 + length;
    let cap = this.#refresh();
    let tail = u[TAIL];
    let at = place(tail, u[KNOWN_HEAD], need, cap);
    if (at < 0) {
      const head = Atomics.load(u, HEAD);
      u[KNOWN_HEAD] = head;
      at = place(tail, head, need, cap);
    }
    if (at < 0) {
      tail = this.#grow(need);
      cap = this.#cap;
      at = tail;
    }
    const view = this.#view;
    if (at === 0 && tail !== 0) {
      // Wrap around: mark where the records stop, if there is room to.
      if (cap - tail >= 4) view.setUint32(tail, MARKER, true);
      u[WRAP_AT] = tail;
    }
    view.setUint32(at, length, true);
    copy(
      source,
      this.#source.of(source),
      0,
      length,
      this.#bytes,
      view,
      at + 4,
    );
    // The count first: qsize() must never see the item taken before it was
    // put. A plain store is enough: the store of TAIL publishes it with the
    // record to every thread that sees the record (and an atomic store costs
    // a call on Node 20, which does not inline Atomics).
    h[PUT_COUNT] = (h[PUT_COUNT] + 1) | 0;
    Atomics.store(u, TAIL, at + need);
  }

  /**
   * Grows the ring so that `need` more bytes fit at the tail, taking the
   * getters' lock to move wrapped-around records behind the others;
   * returns the (new) tail.
   */
  #grow(need: number): number {
    const h = this.h;
    const u = this.#u;
    lock(h, G_LOCK);
    try {
      const head = u[HEAD];
      const tail = u[TAIL];
      const action = "put the item in the queue";
      if (head <= tail) {
        u[CAP] = growBuffer(this.state.data, tail + need + 1, action);
        this.#refresh();
        u[KNOWN_HEAD] = head;
        return tail;
      }
      // Records are in [head, wrapAt) and then [0, tail): move the second
      // part behind the first.
      const wrapAt = u[WRAP_AT];
      u[CAP] = growBuffer(this.state.data, wrapAt + tail + need + 1, action);
      this.#refresh();
      this.#bytes.copyWithin(wrapAt, 0, tail);
      const moved = wrapAt + tail;
      Atomics.store(u, TAIL, moved);
      u[KNOWN_TAIL] = moved;
      u[KNOWN_HEAD] = head;
      u[WRAP_AT] = NO_WRAP;
      return moved;
    } finally {
      unlock(h, G_LOCK);
    }
  }

  // ---- getters' side (under G_LOCK) ----

  protected tryGet(register: boolean, seq: number): number {
    const h = this.h;
    const u = this.#u;
    let wake = false;
    lock(h, G_LOCK);
    try {
      if (seq === seq) this.leave(GET_WAITERS, NOT_EMPTY, seq);
      for (;;) {
        let head = u[HEAD];
        let tail = u[KNOWN_TAIL];
        if (head === tail) {
          tail = Atomics.load(u, TAIL);
          u[KNOWN_TAIL] = tail;
        }
        if (head === tail) {
          if (h[SHUTDOWN] !== 0) return SHUT;
          if (!register) return NOT_NOW;
          Atomics.add(h, GET_WAITERS, 1);
          const word = Atomics.load(h, NOT_EMPTY);
          // A put published after this line sees GET_WAITERS > 0.
          if (Atomics.load(u, TAIL) === head) {
            this.seq = word;
            return WAIT;
          }
          this.leave(GET_WAITERS, NOT_EMPTY, word);
          continue;
        }
        const cap = this.#refresh();
        const view = this.#view;
        if (cap - head < 4 || view.getUint32(head, true) === MARKER) head = 0;
        const length = view.getUint32(head, true);
        copy(
          this.#bytes,
          view,
          head + 4,
          length,
          takenBuffer(length),
          taken.view,
          0,
        );
        this.length = length;
        Atomics.store(u, HEAD, head + 4 + length);
        Atomics.store(h, GET_COUNT, (h[GET_COUNT] + 1) | 0);
        wake = Atomics.load(h, PUT_WAITERS) > 0;
        return DONE;
      }
    } finally {
      unlock(h, G_LOCK);
      if (wake) this.#wake(P_LOCK, PUT_WAITERS, NOT_FULL);
    }
  }

  // ---- waiting ----

  /** Wakes everyone counted in `waiters` (taking their lock to reset it). */
  #wake(lockIndex: number, waiters: number, word: number): void {
    const h = this.h;
    // The put or get before this is done: a broken lock must not fail it.
    const held = lockUnlessBroken(h, lockIndex);
    Atomics.add(h, word, 1);
    if (held) {
      Atomics.store(h, waiters, 0);
      unlock(h, lockIndex);
    }
    notify(h, word);
  }

  protected unregister(word: number, seq: number): void {
    const h = this.h;
    const [lockIndex, waiters] = word === NOT_EMPTY
      ? [G_LOCK, GET_WAITERS]
      : word === NOT_FULL
      ? [P_LOCK, PUT_WAITERS]
      : [T_LOCK, JOIN_WAITERS];
    lock(h, lockIndex);
    this.leave(waiters, word, seq);
    unlock(h, lockIndex);
  }

  protected spinWhileEmpty(): void {
    const h = this.h;
    const u = this.#u;
    for (let i = 0; i < SPINS; i++) {
      if (
        Atomics.load(u, TAIL) !== Atomics.load(u, HEAD) ||
        Atomics.load(h, SHUTDOWN) !== 0
      ) return;
    }
  }

  protected spinWhileFull(): void {
    const h = this.h;
    for (let i = 0; i < SPINS; i++) {
      const max = Atomics.load(h, MAXSIZE);
      if (max <= 0 || this.#held() < max || Atomics.load(h, SHUTDOWN) !== 0) {
        return;
      }
    }
  }

  // ---- tasks (under T_LOCK) ----

  taskDone(): boolean {
    const h = this.h;
    let wake = false;
    lock(h, T_LOCK);
    try {
      const done = h[DONE_COUNT];
      const unfinished = (Atomics.load(h, PUT_COUNT) - done) | 0;
      if (unfinished <= 0) return false;
      Atomics.store(h, DONE_COUNT, (done + 1) | 0);
      wake = this.lastTaskDone(unfinished);
      return true;
    } finally {
      unlock(h, T_LOCK);
      if (wake) notify(h, ALL_DONE);
    }
  }

  protected tryJoin(register: boolean, seq: number): number {
    const h = this.h;
    lock(h, T_LOCK);
    try {
      return this.joinStep(
        (Atomics.load(h, PUT_COUNT) - h[DONE_COUNT]) | 0,
        register,
        seq,
      );
    } finally {
      unlock(h, T_LOCK);
    }
  }

  shutdown(immediate: boolean): void {
    const h = this.h;
    const u = this.#u;
    lock(h, P_LOCK);
    try {
      lock(h, G_LOCK);
    } catch (error) {
      unlock(h, P_LOCK); // broken by a dead getter: no thread is left waiting
      throw error;
    }
    try {
      lock(h, T_LOCK);
    } catch (error) {
      unlock(h, G_LOCK);
      unlock(h, P_LOCK);
      throw error;
    }
    try {
      Atomics.store(h, SHUTDOWN, 1);
      if (immediate) {
        // Drop every record: the getters' head jumps to the tail.
        const put = h[PUT_COUNT];
        const dropped = (put - h[GET_COUNT]) | 0;
        const tail = u[TAIL];
        Atomics.store(u, HEAD, tail);
        u[KNOWN_TAIL] = tail;
        u[KNOWN_HEAD] = tail;
        Atomics.store(h, GET_COUNT, put);
        const unfinished = (put - h[DONE_COUNT]) | 0;
        Atomics.store(
          h,
          DONE_COUNT,
          (h[DONE_COUNT] + Math.max(0, Math.min(dropped, unfinished))) | 0,
        );
      }
      this.bumpAll();
    } finally {
      unlock(h, T_LOCK);
      unlock(h, G_LOCK);
      unlock(h, P_LOCK);
    }
    this.wakeAll();
  }
}

/**
 * Where a record of `need` bytes goes, given the tail and a view of the head
 * (one that lags behind the real head only under-counts the room): at the
 * tail, at 0 (wrapping around), or -1 when it does not fit. One byte always
 * stays free, so that `head === tail` means empty.
 */
function place(tail: number, head: number, need: number, cap: number): number {
  if (tail >= head) {
    // Records (if any) are in [head, tail).
    if (tail + need <= cap) return tail;
    return need < head ? 0 : -1;
  }
  // Records are in [head, end) and then [0, tail).
  return tail + need < head ? tail : -1;
}
