/**
 * The engine of `LifoQueue` and `PriorityQueue`: one lock (see `_shm/spin_lock.ts`)
 * guards the header and a store of `_stores.ts`. Critical sections are short
 * and never await or run user code: encoding happens before the lock,
 * decoding after it. (Both orders take from the end where they put, so two
 * locks would gain nothing.)
 *
 * @module
 */
import { notify } from "../_shm/futex.ts";
import { lock, unlock } from "../_shm/spin_lock.ts";
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
} from "./_queue_core.ts";
import {
  ALL_DONE,
  COUNT,
  GET_WAITERS,
  HEADER_BYTES,
  initStore,
  JOIN_WAITERS,
  KIND,
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
  UNFINISHED,
  ViewOf,
} from "./_stores.ts";
import { growableBuffer } from "../_shm/growable_buffer.ts";

const WORDS = {
  notEmpty: NOT_EMPTY,
  notFull: NOT_FULL,
  allDone: ALL_DONE,
  getWaiters: GET_WAITERS,
  putWaiters: PUT_WAITERS,
  joinWaiters: JOIN_WAITERS,
};

/** The waiter count that goes with each futex word. */
function waitersOf(word: number): number {
  return word === NOT_EMPTY
    ? GET_WAITERS
    : word === NOT_FULL
    ? PUT_WAITERS
    : JOIN_WAITERS;
}

/** One lock around a store of `kind` (`LIFO` or `PRIORITY`). */
export class LockedQueueCore extends QueueCore {
  readonly #store: Store;
  /** A view over the bytes of the items put by this thread. */
  readonly #source = new ViewOf();

  private constructor(state: QueueState, kind: number) {
    super(state, kind === PRIORITY, WORDS);
    this.#store = openStore(
      kind,
      new Uint32Array(state.header),
      state.data,
      state.heap,
    );
  }

  /** A new empty queue of `kind`; `maxsize` ≤ 0 means unbounded. */
  static create(kind: number, maxsize: number): LockedQueueCore {
    const header = new SharedArrayBuffer(HEADER_BYTES);
    const h = new Int32Array(header);
    h[MAGIC] = QUEUE_MAGIC;
    h[KIND] = kind;
    h[MAXSIZE] = clampMaxsize(maxsize);
    initStore(new Uint32Array(header), kind);
    return new LockedQueueCore(
      {
        header,
        data: growableBuffer(),
        heap: kind === PRIORITY ? growableBuffer() : null,
      },
      kind,
    );
  }

  /** A view over a queue made in another thread. */
  static attach(data: unknown, kind: number, what: string): LockedQueueCore {
    const state = checkState(
      data,
      HEADER_BYTES,
      kind === PRIORITY,
      MAGIC,
      KIND,
      kind,
      what,
    );
    return new LockedQueueCore(state, kind);
  }

  get maxsize(): number {
    return Atomics.load(this.h, MAXSIZE);
  }

  set maxsize(value: number) {
    const h = this.h;
    lock(h, LOCK);
    Atomics.store(h, MAXSIZE, clampMaxsize(value));
    this.bump(PUT_WAITERS, NOT_FULL);
    unlock(h, LOCK);
    notify(h, NOT_FULL);
  }

  qsize(): number {
    return Atomics.load(this.h, COUNT);
  }

  full(): boolean {
    const max = Atomics.load(this.h, MAXSIZE);
    return max > 0 && Atomics.load(this.h, COUNT) >= max;
  }

  get isShutdown(): boolean {
    return Atomics.load(this.h, SHUTDOWN) !== 0;
  }

  get unfinishedTasks(): number {
    return Atomics.load(this.h, UNFINISHED);
  }

  protected unregister(word: number, seq: number): void {
    const h = this.h;
    lock(h, LOCK);
    this.leave(waitersOf(word), word, seq);
    unlock(h, LOCK);
  }

  protected tryPut(
    bytes: Uint8Array,
    length: number,
    priority: number,
    register: boolean,
    seq: number,
  ): number {
    const h = this.h;
    let wake = false;
    lock(h, LOCK);
    try {
      if (seq === seq) this.leave(PUT_WAITERS, NOT_FULL, seq);
      if (h[SHUTDOWN] !== 0) return SHUT;
      const count = h[COUNT];
      const max = h[MAXSIZE];
      if (max > 0 && count >= max) {
        return register ? this.enter(PUT_WAITERS, NOT_FULL) : NOT_NOW;
      }
      this.#store.push(bytes, this.#source.of(bytes), length, priority, count);
      Atomics.store(h, COUNT, count + 1);
      h[UNFINISHED]++;
      wake = this.bumpIfWaiting(GET_WAITERS, NOT_EMPTY);
      return DONE;
    } finally {
      unlock(h, LOCK);
      if (wake) notify(h, NOT_EMPTY);
    }
  }

  protected tryGet(register: boolean, seq: number): number {
    const h = this.h;
    let wake = false;
    lock(h, LOCK);
    try {
      if (seq === seq) this.leave(GET_WAITERS, NOT_EMPTY, seq);
      const count = h[COUNT];
      if (count === 0) {
        if (h[SHUTDOWN] !== 0) return SHUT;
        return register ? this.enter(GET_WAITERS, NOT_EMPTY) : NOT_NOW;
      }
      this.length = this.#store.take(count);
      Atomics.store(h, COUNT, count - 1);
      wake = this.bumpIfWaiting(PUT_WAITERS, NOT_FULL);
      return DONE;
    } finally {
      unlock(h, LOCK);
      if (wake) notify(h, NOT_FULL);
    }
  }

  protected tryJoin(register: boolean, seq: number): number {
    const h = this.h;
    lock(h, LOCK);
    try {
      return this.joinStep(h[UNFINISHED], register, seq);
    } finally {
      unlock(h, LOCK);
    }
  }

  protected spinWhileEmpty(): void {
    const h = this.h;
    for (let i = 0; i < SPINS; i++) {
      if (Atomics.load(h, COUNT) !== 0 || Atomics.load(h, SHUTDOWN) !== 0) {
        return;
      }
    }
  }

  protected spinWhileFull(): void {
    const h = this.h;
    for (let i = 0; i < SPINS; i++) {
      const max = Atomics.load(h, MAXSIZE);
      if (
        max <= 0 || Atomics.load(h, COUNT) < max ||
        Atomics.load(h, SHUTDOWN) !== 0
      ) return;
    }
  }

  taskDone(): boolean {
    const h = this.h;
    let wake = false;
    lock(h, LOCK);
    try {
      const unfinished = h[UNFINISHED];
      if (unfinished <= 0) return false;
      Atomics.store(h, UNFINISHED, unfinished - 1);
      wake = this.lastTaskDone(unfinished);
      return true;
    } finally {
      unlock(h, LOCK);
      if (wake) notify(h, ALL_DONE);
    }
  }

  shutdown(immediate: boolean): void {
    const h = this.h;
    lock(h, LOCK);
    try {
      Atomics.store(h, SHUTDOWN, 1);
      if (immediate) {
        const dropped = h[COUNT];
        this.#store.clear();
        Atomics.store(h, COUNT, 0);
        Atomics.store(h, UNFINISHED, Math.max(0, h[UNFINISHED] - dropped));
      }
      this.bumpAll();
    } finally {
      unlock(h, LOCK);
    }
    this.wakeAll();
  }
}
