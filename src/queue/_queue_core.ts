/**
 * The engine under every queue class: counters, futex words and the items'
 * bytes, all in shared memory. Two engines share the waiting logic here:
 * `_fifo_core.ts` (first-in first-out, with separate locks for putters and
 * getters) and `_locked_core.ts` (LIFO and priority, one lock).
 *
 * Waiting follows CPython's `queue.Queue` (a mutex and three conditions),
 * built on futex words: a thread that must wait registers in a waiter count
 * and notes a futex word, under a lock; releases the lock and sleeps while
 * the word is unchanged. Whoever changes the state for the waiters bumps the
 * word, resets the count to 0 (everyone counted is being woken) under the
 * same lock, and wakes them all after unlocking; so a sleeper that wakes late
 * costs one wake-up, not one per item, and producers wake nobody when nobody
 * sleeps. A thread that comes back without having been woken (timeout,
 * abort, spurious wake-up) finds the word unchanged and removes itself from
 * the count. Wake-ups are only hints: everyone re-checks under the lock.
 *
 * Items are never handed to a particular waiter, and a put or get becomes
 * visible all at once: a thread that ends while it waits, or a wait that
 * times out or is aborted, leaves every committed item in place and the
 * queue usable. Both sides spin briefly before sleeping, so a busy queue
 * rarely makes a system call.
 *
 * @module
 */
import { notify } from "../_shm/futex.ts";
import {
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TimeoutError,
} from "../errors.ts";
import { decodeValueAt } from "../transfer/value_codec.ts";
import { taken, trimTaken } from "./_stores.ts";
import { notMemoryOf } from "../_shm/adopt.ts";
import { deadlineOf } from "../_shm/deadline.ts";
import { sleepOn, waitLoopAsync, waitLoopSync } from "../_shm/wait_loop.ts";

/** The buffers a queue is made of; what crosses to other threads. */
export interface QueueState {
  /** Counters, futex words and positions. */
  header: SharedArrayBuffer;
  /** The items' bytes (growable). */
  data: SharedArrayBuffer;
  /** The priority heap's entries (growable), for priority queues. */
  heap: SharedArrayBuffer | null;
}

/** Identifies a queue header, so that a wrong buffer is refused. */
export const QUEUE_MAGIC = 0x51554555;

/**
 * The tag under which every queue class adopts the engine of a queue that
 * arrived from another thread (`adopting` of `_shm/adopt.ts`).
 */
export const QUEUE_CORE = "threading.QueueCore";
/** The largest `maxsize` stored; larger ones behave the same. */
export const MAX_MAXSIZE = 0x7fffffff;

// Outcomes of one attempt.
/** The attempt did it. */
export const DONE = 0;
/** The queue is shut down. */
export const SHUT = 1;
/** It cannot be done now, and the caller did not ask to wait. */
export const NOT_NOW = 2;
/** The caller is registered as a sleeper on the futex word `seq`. */
export const WAIT = 3;

/** How many times a thread re-reads shared state before it sleeps. */
export const SPINS = 2000;

/** Blocking options after validation. */
export interface Blocking {
  block: boolean;
  timeout: number;
  signal: AbortSignal | undefined;
}

/**
 * Cells of an engine's header: the futex word each kind of sleeper waits on,
 * and the count of those sleepers.
 */
export interface Words {
  notEmpty: number;
  notFull: number;
  allDone: number;
  getWaiters: number;
  putWaiters: number;
  joinWaiters: number;
}

/** The shared engine of `Queue`, `LifoQueue`, `PriorityQueue` and `SimpleQueue`. */
export abstract class QueueCore {
  readonly state: QueueState;
  protected readonly h: Int32Array;
  readonly #pairs: boolean;
  readonly #words: Words;
  /** Set by an attempt that returned WAIT: the futex word's value to sleep on. */
  protected seq = 0;
  /** Set by `tryGet` on DONE: the length of the item copied to `taken.bytes`. */
  protected length = 0;

  protected constructor(state: QueueState, pairs: boolean, words: Words) {
    this.state = state;
    this.h = new Int32Array(state.header);
    this.#pairs = pairs;
    this.#words = words;
  }

  abstract get maxsize(): number;
  abstract set maxsize(value: number);
  abstract qsize(): number;
  abstract full(): boolean;
  abstract get isShutdown(): boolean;
  abstract get unfinishedTasks(): number;
  /** Marks one task done; false when there was none to mark. */
  abstract taskDone(): boolean;
  /** Python 3.13's `shutdown(immediate)`. */
  abstract shutdown(immediate: boolean): void;

  /**
   * One put attempt. `seq` is the word noted when the caller last registered
   * as a sleeping putter, or `NaN`; the attempt first undoes that
   * registration. On WAIT the caller is registered again (word in `seq`).
   */
  protected abstract tryPut(
    bytes: Uint8Array,
    length: number,
    priority: number,
    register: boolean,
    seq: number,
  ): number;
  /** One get attempt (as `tryPut`); on DONE the item is in `taken`. */
  protected abstract tryGet(register: boolean, seq: number): number;
  /** One join attempt (as `tryPut`): DONE when no task is unfinished. */
  protected abstract tryJoin(register: boolean, seq: number): number;
  /** Undoes a registration on `word` (an abort) unless a bump already did. */
  protected abstract unregister(word: number, seq: number): void;
  /** Re-reads shared state a while, until an item may be there. */
  protected abstract spinWhileEmpty(): void;
  /** Re-reads shared state a while, until there may be room. */
  protected abstract spinWhileFull(): void;

  // ---- sleepers' bookkeeping, under the lock that guards their count ----

  /** Registers the caller as a sleeper on `word`; its value goes to `seq`. */
  protected enter(waiters: number, word: number): number {
    Atomics.add(this.h, waiters, 1);
    this.seq = Atomics.load(this.h, word);
    return WAIT;
  }

  /** Undoes {@linkcode enter} unless a wake-up already did (moving `word` on). */
  protected leave(waiters: number, word: number, seq: number): void {
    if (Atomics.load(this.h, word) === seq) Atomics.sub(this.h, waiters, 1);
  }

  /** Moves `word` on and forgets its sleepers; notify it after unlocking. */
  protected bump(waiters: number, word: number): void {
    Atomics.add(this.h, word, 1);
    Atomics.store(this.h, waiters, 0);
  }

  /**
   * When some thread sleeps on `word`, {@linkcode bump}s it: whether to
   * notify it after unlocking.
   */
  protected bumpIfWaiting(waiters: number, word: number): boolean {
    if (this.h[waiters] <= 0) return false;
    this.bump(waiters, word);
    return true;
  }

  /** `tryJoin` under the join sleepers' lock, with the tasks unfinished. */
  protected joinStep(
    unfinished: number,
    register: boolean,
    seq: number,
  ): number {
    const { joinWaiters, allDone } = this.#words;
    if (seq === seq) this.leave(joinWaiters, allDone, seq);
    if (unfinished === 0) return DONE;
    return register ? this.enter(joinWaiters, allDone) : NOT_NOW;
  }

  /**
   * `taskDone` under the join sleepers' lock, once it marked one of
   * `unfinished` tasks done: whether to wake the joiners after unlocking.
   */
  protected lastTaskDone(unfinished: number): boolean {
    const { joinWaiters, allDone } = this.#words;
    return unfinished === 1 && this.bumpIfWaiting(joinWaiters, allDone);
  }

  /** `shutdown` under every lock: moves every sleeper's word on. */
  protected bumpAll(): void {
    const w = this.#words;
    this.bump(w.getWaiters, w.notEmpty);
    this.bump(w.putWaiters, w.notFull);
    this.bump(w.joinWaiters, w.allDone);
  }

  /** `shutdown` after unlocking: wakes every sleeper. */
  protected wakeAll(): void {
    const w = this.#words;
    notify(this.h, w.notEmpty);
    notify(this.h, w.notFull);
    notify(this.h, w.allDone);
  }

  // ---- put ----

  /** Blocks the thread until the item is in (or throws QueueFull/QueueShutDown). */
  putSync(
    bytes: Uint8Array,
    length: number,
    priority: number,
    block: boolean,
    timeout: number,
  ): void {
    const outcome = this.tryPut(bytes, length, priority, false, NaN);
    if (outcome === DONE) return;
    if (outcome === SHUT) throw new QueueShutDown();
    if (!block || timeout <= 0) throw new QueueFull();
    this.spinWhileFull();
    this.#blockSync(
      this.#words.notFull,
      timeout,
      (register, seq) => this.tryPut(bytes, length, priority, register, seq),
      () => undefined,
      () => new QueueFull(),
    );
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
    const outcome = this.tryPut(bytes, length, priority, false, NaN);
    if (outcome === DONE) return Promise.resolve();
    if (outcome === SHUT) return Promise.reject(new QueueShutDown());
    if (!block || timeout <= 0) return Promise.reject(new QueueFull());
    return this.#putSlow(bytes.slice(0, length), priority, timeout, signal);
  }

  #putSlow(
    bytes: Uint8Array,
    priority: number,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return this.#block(
      this.#words.notFull,
      timeout,
      signal,
      (register, seq) =>
        this.tryPut(bytes, bytes.length, priority, register, seq),
      () => undefined,
      () => new QueueFull(),
    );
  }

  // ---- get ----

  /** Decodes the item just taken; a priority queue's as `[priority, value]`. */
  #decodeTaken(): unknown {
    const priority = taken.priority;
    const value = decodeValueAt(taken.bytes, 0, this.length);
    trimTaken();
    return this.#pairs ? [priority, value] : value;
  }

  /** Blocks the thread until an item is taken (or throws QueueEmpty/QueueShutDown). */
  getSync(block: boolean, timeout: number): unknown {
    const outcome = this.tryGet(false, NaN);
    if (outcome === DONE) return this.#decodeTaken();
    if (outcome === SHUT) throw new QueueShutDown();
    if (!block || timeout <= 0) throw new QueueEmpty();
    this.spinWhileEmpty();
    return this.#blockSync(
      this.#words.notEmpty,
      timeout,
      (register, seq) => this.tryGet(register, seq),
      () => this.#decodeTaken(),
      () => new QueueEmpty(),
    );
  }

  /** Gets without blocking the event loop. */
  get(options: Blocking): Promise<unknown> {
    const { block, timeout, signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let outcome = this.tryGet(false, NaN);
    if (outcome === NOT_NOW && block && timeout > 0) {
      this.spinWhileEmpty();
      outcome = this.tryGet(false, NaN);
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

  #getSlow(
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    return this.#block(
      this.#words.notEmpty,
      timeout,
      signal,
      (register, seq) => this.tryGet(register, seq),
      () => this.#decodeTaken(),
      () => new QueueEmpty(),
    );
  }

  // ---- join ----

  joinSync(timeout: number): void {
    this.#blockSync(
      this.#words.allDone,
      timeout,
      (register, seq) => this.tryJoin(register, seq),
      () => undefined,
      () => joinTimeout(timeout),
    );
  }

  join(timeout: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryJoin(false, NaN) === DONE) return Promise.resolve();
    return this.#joinSlow(timeout, signal);
  }

  #joinSlow(
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return this.#block(
      this.#words.allDone,
      timeout,
      signal,
      (register, seq) => this.tryJoin(register, seq),
      () => undefined,
      () => joinTimeout(timeout),
    );
  }

  // ---- the wait loop of put, get and join ----

  /**
   * Blocks the thread until `attempt` (a `tryPut`, `tryGet` or `tryJoin`)
   * returns DONE, then returns `done()`; throws `QueueShutDown` on SHUT and
   * `notNow()` on NOT_NOW (no room, no item or tasks left once the deadline
   * passed). On WAIT it sleeps on futex word `word`.
   */
  #blockSync<T>(
    word: number,
    timeout: number,
    attempt: (register: boolean, seq: number) => number,
    done: () => T,
    notNow: () => Error,
  ): T {
    let seq = NaN;
    return waitLoopSync(deadlineOf(timeout), (left) => {
      const outcome = attempt(left > 0, seq);
      if (outcome === DONE) return done();
      if (outcome === SHUT) throw new QueueShutDown();
      if (outcome === NOT_NOW) throw notNow();
      seq = this.seq;
      return sleepOn(this.h, word, seq);
    });
  }

  /**
   * {@linkcode #blockSync} without blocking the event loop. Each attempt
   * takes back the registration of the sleep before it (a wake-up took it
   * already, or the attempt does); the one left when the loop ends (an
   * abort) is undone.
   */
  async #block<T>(
    word: number,
    timeout: number,
    signal: AbortSignal | undefined,
    attempt: (register: boolean, seq: number) => number,
    done: () => T,
    notNow: () => Error,
  ): Promise<T> {
    let seq = NaN;
    try {
      return await waitLoopAsync(deadlineOf(timeout), (left) => {
        const registered = seq;
        seq = NaN;
        const outcome = attempt(left > 0, registered);
        if (outcome === DONE) return done();
        if (outcome === SHUT) throw new QueueShutDown();
        if (outcome === NOT_NOW) throw notNow();
        seq = this.seq;
        return sleepOn(this.h, word, seq);
      }, signal);
    } finally {
      if (seq === seq) this.unregister(word, seq);
    }
  }
}

function joinTimeout(timeout: number): TimeoutError {
  return new TimeoutError(
    `The queue still had unfinished tasks after ${timeout} ms`,
  );
}

/** A validated `maxsize` as stored: 0 for unbounded. */
export function clampMaxsize(maxsize: number): number {
  return maxsize > 0 ? Math.min(maxsize, MAX_MAXSIZE) : 0;
}

/** Checks what arrived from another thread before viewing it as a queue. */
export function checkState(
  data: unknown,
  headerBytes: number,
  needsHeap: boolean,
  magicIndex: number,
  kindIndex: number,
  kind: number,
  what: string,
): QueueState {
  const state = data as QueueState;
  const valid = typeof state === "object" && state !== null &&
    state.header instanceof SharedArrayBuffer &&
    state.header.byteLength === headerBytes &&
    state.data instanceof SharedArrayBuffer &&
    (!needsHeap || state.heap instanceof SharedArrayBuffer);
  const h = valid ? new Int32Array(state.header) : null;
  if (
    h === null || Atomics.load(h, magicIndex) !== QUEUE_MAGIC ||
    Atomics.load(h, kindIndex) !== kind
  ) {
    throw notMemoryOf(`a ${what}`);
  }
  return state;
}
