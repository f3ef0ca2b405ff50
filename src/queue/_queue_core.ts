/**
 * The engine under every queue class: a header of counters and futex words
 * plus a store of encoded items, all in shared memory, guarded by the
 * internal mutex of `_mutex.ts`.
 *
 * Waiting follows CPython's `queue.Queue` (a mutex and three conditions),
 * built on futex words: a thread that must wait registers itself in a waiter
 * count and reads a futex word under the lock, releases the lock, and sleeps
 * while the word is unchanged; whoever changes the state bumps the word under
 * the lock and wakes every sleeper on it after releasing the lock. Wake-ups
 * are only hints (everyone re-checks under the lock), items are never handed
 * to a particular waiter, and a put or get becomes visible all at once when
 * the lock is released: a thread that ends while waiting, or a wait that
 * times out or is aborted, leaves every committed item in the queue and the
 * queue usable. Producers wake anybody only when somebody sleeps, and both
 * sides spin briefly before sleeping, so a busy queue rarely makes a system
 * call.
 *
 * @module
 */
import {
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TimeoutError,
} from "../errors.ts";
import { notify, waitAsync, waitSync } from "../sync/futex.ts";
import { decodeValueAt } from "../transfer/value_codec.ts";
import { lock, unlock } from "./_mutex.ts";
import {
  ALL_DONE,
  COUNT,
  FIFO,
  GET_WAITERS,
  growableBuffer,
  HEADER_BYTES,
  initStore,
  JOIN_WAITERS,
  KIND,
  LIFO,
  LOCK,
  MAGIC,
  MAXSIZE,
  NOT_EMPTY,
  NOT_FULL,
  openStore,
  PRIORITY,
  PUT_WAITERS,
  SHUTDOWN,
  type Store,
  taken,
  trimTaken,
  UNFINISHED,
} from "./_stores.ts";

export { FIFO, LIFO, PRIORITY };

/** The buffers a queue is made of; what crosses to other threads. */
export interface QueueState {
  /** Counters, futex words and store positions. */
  header: SharedArrayBuffer;
  /** The items' bytes (growable). */
  data: SharedArrayBuffer;
  /** The priority heap's entries (growable), for priority queues. */
  heap: SharedArrayBuffer | null;
}

const QUEUE_MAGIC = 0x51554555;
const MAX_MAXSIZE = 0x7fffffff;

// Outcomes of one attempt under the lock.
const DONE = 0;
const SHUT = 1;
const NOT_NOW = 2;
const WAIT = 3;

// How many times a thread re-reads the count before it sleeps.
const SPINS = 2000;

/** Blocking options after validation. */
export interface Blocking {
  block: boolean;
  timeout: number;
  signal: AbortSignal | undefined;
}

/** The shared engine of `Queue`, `LifoQueue`, `PriorityQueue` and `SimpleQueue`. */
export class QueueCore {
  readonly state: QueueState;
  readonly #h: Int32Array;
  readonly #store: Store;
  readonly #pairs: boolean;
  #seq = 0;

  private constructor(state: QueueState, kind: number) {
    this.state = state;
    this.#pairs = kind === PRIORITY;
    this.#h = new Int32Array(state.header);
    this.#store = openStore(
      kind,
      new Uint32Array(state.header),
      state.data,
      state.heap,
    );
  }

  /** A new empty queue of `kind`; `maxsize` ≤ 0 means unbounded. */
  static create(kind: number, maxsize: number): QueueCore {
    const header = new SharedArrayBuffer(HEADER_BYTES);
    const h = new Int32Array(header);
    h[MAGIC] = QUEUE_MAGIC;
    h[KIND] = kind;
    h[MAXSIZE] = clampMaxsize(maxsize);
    initStore(new Uint32Array(header), kind);
    return new QueueCore(
      {
        header,
        data: growableBuffer(),
        heap: kind === PRIORITY ? growableBuffer() : null,
      },
      kind,
    );
  }

  /** A view over a queue made in another thread. */
  static attach(data: unknown, kind: number, what: string): QueueCore {
    const state = data as QueueState;
    const valid = typeof state === "object" && state !== null &&
      state.header instanceof SharedArrayBuffer &&
      state.header.byteLength === HEADER_BYTES &&
      state.data instanceof SharedArrayBuffer &&
      (kind !== PRIORITY || state.heap instanceof SharedArrayBuffer);
    const h = valid ? new Int32Array(state.header) : null;
    if (
      h === null || Atomics.load(h, MAGIC) !== QUEUE_MAGIC ||
      Atomics.load(h, KIND) !== kind
    ) {
      throw new TypeError(
        `Cannot receive a ${what}: the shared memory it arrived with is not a ${what}`,
      );
    }
    return new QueueCore(state, kind);
  }

  get maxsize(): number {
    return Atomics.load(this.#h, MAXSIZE);
  }

  set maxsize(value: number) {
    const h = this.#h;
    lock(h, LOCK);
    Atomics.store(h, MAXSIZE, clampMaxsize(value));
    this.#bump(PUT_WAITERS, NOT_FULL);
    unlock(h, LOCK);
    notify(h, NOT_FULL);
  }

  qsize(): number {
    return Atomics.load(this.#h, COUNT);
  }

  full(): boolean {
    const max = Atomics.load(this.#h, MAXSIZE);
    return max > 0 && Atomics.load(this.#h, COUNT) >= max;
  }

  get isShutdown(): boolean {
    return Atomics.load(this.#h, SHUTDOWN) !== 0;
  }

  get unfinishedTasks(): number {
    return Atomics.load(this.#h, UNFINISHED);
  }

  // ---- waiting ----
  //
  // A thread about to sleep adds itself to a waiter count and notes the
  // futex word (`#seq`, copied by the caller at once). Whoever changes the
  // state for the waiters bumps the word, resets the count to 0 (everyone
  // counted is being woken) and wakes them all after unlocking; so a sleeper
  // that wakes late costs one wake-up, not one per item. A thread that comes
  // back without having been woken (timeout, abort, spurious wake-up) finds
  // the word unchanged and removes itself from the count.

  /** Under the lock: registers the caller as a sleeper on `word`. */
  #enter(waiters: number, word: number): number {
    this.#h[waiters]++;
    this.#seq = Atomics.load(this.#h, word);
    return WAIT;
  }

  /** Under the lock: undoes `#enter` unless a bump already did. */
  #leave(waiters: number, word: number, seq: number): void {
    if (Atomics.load(this.#h, word) === seq) this.#h[waiters]--;
  }

  /** Under the lock: wakes (after unlocking) everyone counted on `word`. */
  #bump(waiters: number, word: number): void {
    Atomics.add(this.#h, word, 1);
    this.#h[waiters] = 0;
  }

  #unregister(waiters: number, word: number, seq: number): void {
    const h = this.#h;
    lock(h, LOCK);
    this.#leave(waiters, word, seq);
    unlock(h, LOCK);
  }

  // ---- put ----

  /**
   * One attempt under the lock. `seq` is the word noted when the caller
   * registered as a sleeper, or `NaN`. On WAIT the caller registered again
   * and must sleep on `#seq`.
   */
  #tryPut(
    bytes: Uint8Array,
    length: number,
    priority: number,
    register: boolean,
    seq: number,
  ): number {
    const h = this.#h;
    let wake = false;
    lock(h, LOCK);
    try {
      if (seq === seq) this.#leave(PUT_WAITERS, NOT_FULL, seq);
      if (h[SHUTDOWN] !== 0) return SHUT;
      const count = h[COUNT];
      const max = h[MAXSIZE];
      if (max > 0 && count >= max) {
        return register ? this.#enter(PUT_WAITERS, NOT_FULL) : NOT_NOW;
      }
      this.#store.push(bytes, length, priority, count);
      Atomics.store(h, COUNT, count + 1);
      h[UNFINISHED]++;
      if (h[GET_WAITERS] > 0) {
        this.#bump(GET_WAITERS, NOT_EMPTY);
        wake = true;
      }
      return DONE;
    } finally {
      unlock(h, LOCK);
      if (wake) notify(h, NOT_EMPTY);
    }
  }

  #spinWhileFull(): void {
    const h = this.#h;
    for (let i = 0; i < SPINS; i++) {
      const max = Atomics.load(h, MAXSIZE);
      if (
        max <= 0 || Atomics.load(h, COUNT) < max ||
        Atomics.load(h, SHUTDOWN) !== 0
      ) return;
    }
  }

  /** Blocks the thread until the item is in (or throws QueueFull/QueueShutDown). */
  putSync(
    bytes: Uint8Array,
    length: number,
    priority: number,
    block: boolean,
    timeout: number,
  ): void {
    let outcome = this.#tryPut(bytes, length, priority, false, NaN);
    if (outcome === DONE) return;
    if (outcome === SHUT) throw new QueueShutDown();
    if (!block || timeout <= 0) throw new QueueFull();
    this.#spinWhileFull();
    const deadline = performance.now() + timeout;
    let seq = NaN;
    for (;;) {
      const left = deadline - performance.now();
      outcome = this.#tryPut(bytes, length, priority, left > 0, seq);
      if (outcome === DONE) return;
      if (outcome === SHUT) throw new QueueShutDown();
      if (outcome === NOT_NOW) throw new QueueFull();
      seq = this.#seq;
      waitSync(this.#h, NOT_FULL, seq, left);
    }
  }

  /**
   * Puts without blocking the event loop. Resolves at once when there is
   * room; otherwise copies the bytes (the caller's buffer is reused) and waits.
   */
  put(
    bytes: Uint8Array,
    length: number,
    priority: number,
    options: Blocking,
  ): Promise<void> {
    const { block, timeout, signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const outcome = this.#tryPut(bytes, length, priority, false, NaN);
    if (outcome === DONE) return Promise.resolve();
    if (outcome === SHUT) return Promise.reject(new QueueShutDown());
    if (!block || timeout <= 0) return Promise.reject(new QueueFull());
    return this.#putSlow(bytes.slice(0, length), priority, timeout, signal);
  }

  async #putSlow(
    bytes: Uint8Array,
    priority: number,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const deadline = performance.now() + timeout;
    let seq = NaN;
    try {
      for (;;) {
        const left = deadline - performance.now();
        const registered = seq;
        seq = NaN;
        const outcome = this.#tryPut(
          bytes,
          bytes.length,
          priority,
          left > 0,
          registered,
        );
        if (outcome === DONE) return;
        if (outcome === SHUT) throw new QueueShutDown();
        if (outcome === NOT_NOW) throw new QueueFull();
        seq = this.#seq;
        await waitAsync(this.#h, NOT_FULL, seq, left, signal);
      }
    } finally {
      if (seq === seq) this.#unregister(PUT_WAITERS, NOT_FULL, seq);
    }
  }

  // ---- get ----

  /** One attempt under the lock (as `#tryPut`); on DONE the item is in `taken`. */
  #tryGet(register: boolean, seq: number): number {
    const h = this.#h;
    let wake = false;
    lock(h, LOCK);
    try {
      if (seq === seq) this.#leave(GET_WAITERS, NOT_EMPTY, seq);
      const count = h[COUNT];
      if (count === 0) {
        if (h[SHUTDOWN] !== 0) return SHUT;
        return register ? this.#enter(GET_WAITERS, NOT_EMPTY) : NOT_NOW;
      }
      this.#length = this.#store.take(count);
      Atomics.store(h, COUNT, count - 1);
      if (h[PUT_WAITERS] > 0) {
        this.#bump(PUT_WAITERS, NOT_FULL);
        wake = true;
      }
      return DONE;
    } finally {
      unlock(h, LOCK);
      if (wake) notify(h, NOT_FULL);
    }
  }

  #length = 0;

  /** Decodes the item just taken; a priority queue's as `[priority, value]`. */
  #decodeTaken(): unknown {
    const priority = taken.priority;
    const value = decodeValueAt(taken.bytes, 0, this.#length);
    trimTaken();
    return this.#pairs ? [priority, value] : value;
  }

  #spinWhileEmpty(): void {
    const h = this.#h;
    for (let i = 0; i < SPINS; i++) {
      if (Atomics.load(h, COUNT) !== 0 || Atomics.load(h, SHUTDOWN) !== 0) {
        return;
      }
    }
  }

  /** Blocks the thread until an item is taken (or throws QueueEmpty/QueueShutDown). */
  getSync(block: boolean, timeout: number): unknown {
    let outcome = this.#tryGet(false, NaN);
    if (outcome === DONE) return this.#decodeTaken();
    if (outcome === SHUT) throw new QueueShutDown();
    if (!block || timeout <= 0) throw new QueueEmpty();
    this.#spinWhileEmpty();
    const deadline = performance.now() + timeout;
    let seq = NaN;
    for (;;) {
      const left = deadline - performance.now();
      outcome = this.#tryGet(left > 0, seq);
      if (outcome === DONE) return this.#decodeTaken();
      if (outcome === SHUT) throw new QueueShutDown();
      if (outcome === NOT_NOW) throw new QueueEmpty();
      seq = this.#seq;
      waitSync(this.#h, NOT_EMPTY, seq, left);
    }
  }

  /** Gets without blocking the event loop. */
  get(options: Blocking): Promise<unknown> {
    const { block, timeout, signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let outcome = this.#tryGet(false, NaN);
    if (outcome === NOT_NOW && block && timeout > 0) {
      this.#spinWhileEmpty();
      outcome = this.#tryGet(false, NaN);
    }
    if (outcome === DONE) {
      try {
        return Promise.resolve(this.#decodeTaken());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (outcome === SHUT) return Promise.reject(new QueueShutDown());
    if (!block || timeout <= 0) return Promise.reject(new QueueEmpty());
    return this.#getSlow(timeout, signal);
  }

  async #getSlow(
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const deadline = performance.now() + timeout;
    let seq = NaN;
    try {
      for (;;) {
        const left = deadline - performance.now();
        const registered = seq;
        seq = NaN;
        const outcome = this.#tryGet(left > 0, registered);
        if (outcome === DONE) return this.#decodeTaken();
        if (outcome === SHUT) throw new QueueShutDown();
        if (outcome === NOT_NOW) throw new QueueEmpty();
        seq = this.#seq;
        await waitAsync(this.#h, NOT_EMPTY, seq, left, signal);
      }
    } finally {
      if (seq === seq) this.#unregister(GET_WAITERS, NOT_EMPTY, seq);
    }
  }

  // ---- tasks ----

  /** Marks one task done; false when there was none to mark. */
  taskDone(): boolean {
    const h = this.#h;
    let wake = false;
    lock(h, LOCK);
    try {
      const unfinished = h[UNFINISHED];
      if (unfinished <= 0) return false;
      Atomics.store(h, UNFINISHED, unfinished - 1);
      if (unfinished === 1 && h[JOIN_WAITERS] > 0) {
        this.#bump(JOIN_WAITERS, ALL_DONE);
        wake = true;
      }
      return true;
    } finally {
      unlock(h, LOCK);
      if (wake) notify(h, ALL_DONE);
    }
  }

  /** One attempt of join (as `#tryPut`): DONE when no task is unfinished. */
  #tryJoin(register: boolean, seq: number): number {
    const h = this.#h;
    lock(h, LOCK);
    try {
      if (seq === seq) this.#leave(JOIN_WAITERS, ALL_DONE, seq);
      if (h[UNFINISHED] === 0) return DONE;
      return register ? this.#enter(JOIN_WAITERS, ALL_DONE) : NOT_NOW;
    } finally {
      unlock(h, LOCK);
    }
  }

  joinSync(timeout: number): void {
    const deadline = performance.now() + timeout;
    let seq = NaN;
    for (;;) {
      const left = deadline - performance.now();
      const outcome = this.#tryJoin(left > 0, seq);
      if (outcome === DONE) return;
      if (outcome === NOT_NOW) throw joinTimeout(timeout);
      seq = this.#seq;
      waitSync(this.#h, ALL_DONE, seq, left);
    }
  }

  join(timeout: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#tryJoin(false, NaN) === DONE) return Promise.resolve();
    return this.#joinSlow(timeout, signal);
  }

  async #joinSlow(
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const deadline = performance.now() + timeout;
    let seq = NaN;
    try {
      for (;;) {
        const left = deadline - performance.now();
        const registered = seq;
        seq = NaN;
        const outcome = this.#tryJoin(left > 0, registered);
        if (outcome === DONE) return;
        if (outcome === NOT_NOW) throw joinTimeout(timeout);
        seq = this.#seq;
        await waitAsync(this.#h, ALL_DONE, seq, left, signal);
      }
    } finally {
      if (seq === seq) this.#unregister(JOIN_WAITERS, ALL_DONE, seq);
    }
  }

  /** Python 3.13's `shutdown(immediate)`. */
  shutdown(immediate: boolean): void {
    const h = this.#h;
    lock(h, LOCK);
    try {
      Atomics.store(h, SHUTDOWN, 1);
      if (immediate) {
        const dropped = h[COUNT];
        this.#store.clear();
        Atomics.store(h, COUNT, 0);
        Atomics.store(h, UNFINISHED, Math.max(0, h[UNFINISHED] - dropped));
      }
      this.#bump(GET_WAITERS, NOT_EMPTY);
      this.#bump(PUT_WAITERS, NOT_FULL);
      this.#bump(JOIN_WAITERS, ALL_DONE);
    } finally {
      unlock(h, LOCK);
    }
    notify(h, NOT_EMPTY);
    notify(h, NOT_FULL);
    notify(h, ALL_DONE);
  }
}

function joinTimeout(timeout: number): TimeoutError {
  return new TimeoutError(
    `The queue still had unfinished tasks after ${timeout} ms`,
  );
}

function clampMaxsize(maxsize: number): number {
  return maxsize > 0 ? Math.min(maxsize, MAX_MAXSIZE) : 0;
}
