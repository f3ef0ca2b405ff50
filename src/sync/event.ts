/**
 * `Event`: Python's `threading.Event` over shared memory.
 *
 * @module
 */
import {
  registerShareable,
  type SharedState,
  toShared,
} from "../transfer/shareable.ts";
import type { WaitOptions, WaitSyncOptions } from "../wait_options.ts";
import { optionsSignal, waitTimeout } from "./acquire_options.ts";
import { deadlineOf } from "../_shm/deadline.ts";
import {
  type Attempt,
  sleepOn,
  waitLoopAsync,
  waitLoopSync,
} from "../_shm/wait_loop.ts";
import { formatId } from "../_shm/object_id.ts";
import {
  adoptedCells,
  adopting,
  checkedPrimitiveCells,
} from "../_shm/adopt.ts";
import { notify } from "../_shm/futex.ts";

/** 1 while set. */
const FLAG = 0;
/** Moves on with every `set()` of a clear event; waiters sleep on it. */
const GENERATION = 1;
/** The object id (the type tag follows: see `_shm/adopt.ts`). */
const ID = 2;
const TAG = "threading.Event";

/**
 * A flag that threads wait for: Python's `threading.Event`. `set()` wakes
 * every waiter; `clear()` makes later waits block again.
 *
 * A wait that was in progress when `set()` was called returns `true` even if
 * `clear()` followed before the waiter ran again.
 *
 * @example Usage
 * ```ts
 * import { Event, Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const ready = new Event();
 * const thread = new Thread({
 *   target: (ready: Event) => ready.waitSync({ timeout: 10_000 }),
 *   args: [ready],
 * }).start();
 * ready.set();
 * assert.equal(await thread.join(), true);
 * ```
 */
export class Event {
  #cells: Int32Array;

  /** Creates a clear event. */
  constructor() {
    this.#cells = adoptedCells(TAG, ID);
  }

  /**
   * Sets the flag and wakes every thread waiting for it.
   *
   * @example Usage
   * ```ts
   * import { Event } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * event.set();
   * assert.equal(event.isSet(), true);
   * ```
   */
  set(): void {
    const cells = this.#cells;
    if (Atomics.exchange(cells, FLAG, 1) === 0) {
      Atomics.add(cells, GENERATION, 1);
      notify(cells, GENERATION);
    }
  }

  /**
   * Clears the flag: later waits block until the next `set()`.
   *
   * @example Usage
   * ```ts
   * import { Event } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * event.set();
   * event.clear();
   * assert.equal(event.isSet(), false);
   * ```
   */
  clear(): void {
    Atomics.store(this.#cells, FLAG, 0);
  }

  /**
   * Whether the flag is set.
   *
   * @example Usage
   * ```ts
   * import { Event } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Event().isSet(), false);
   * ```
   */
  isSet(): boolean {
    return Atomics.load(this.#cells, FLAG) === 1;
  }

  /**
   * Waits, without blocking the event loop, until the flag is set.
   *
   * @param options `timeout` in ms (`0` only checks), `signal` to give up.
   * @returns `true` when the flag is set or was set during the wait; `false`
   * when the timeout passed first.
   * @throws {TypeError} / {RangeError} at once for bad options.
   * @throws The signal's reason when it aborts.
   *
   * @example Usage
   * ```ts
   * import { Event } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * assert.equal(await event.wait({ timeout: 10 }), false);
   * setTimeout(() => event.set(), 10);
   * assert.equal(await event.wait(), true);
   * ```
   */
  wait(options?: WaitOptions): Promise<boolean> {
    const timeout = waitTimeout(options, "wait for event");
    const signal = optionsSignal(options, "wait for event");
    if (signal?.aborted) return Promise.reject(signal.reason);
    const cells = this.#cells;
    const generation = Atomics.load(cells, GENERATION);
    if (Atomics.load(cells, FLAG) === 1) return Promise.resolve(true);
    if (timeout === 0) return Promise.resolve(false);
    return this.#waitAsync(generation, deadlineOf(timeout), signal);
  }

  /**
   * Blocks the thread until the flag is set (Python's `wait()`).
   *
   * @param options `timeout` in ms (`0` only checks).
   * @returns `true` when the flag is set or was set during the wait; `false`
   * when the timeout passed first.
   * @throws {TypeError} / {RangeError} for bad options.
   *
   * @example Usage
   * ```ts
   * import { Event } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * assert.equal(event.waitSync({ timeout: 0 }), false);
   * event.set();
   * assert.equal(event.waitSync(), true);
   * ```
   */
  waitSync(options?: WaitSyncOptions): boolean {
    const timeout = waitTimeout(options, "wait for event");
    const cells = this.#cells;
    const generation = Atomics.load(cells, GENERATION);
    if (Atomics.load(cells, FLAG) === 1) return true;
    return waitLoopSync(deadlineOf(timeout), wakeOrTimeout(cells, generation));
  }

  /**
   * A description like Python's repr: `<threading.Event at 0x…: set>`.
   *
   * @example Usage
   * ```ts
   * import { Event } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * assert.match(String(new Event()), /^<threading\.Event at 0x[0-9a-f]+: unset>$/);
   * ```
   */
  toString(): string {
    return `<threading.Event at ${formatId(this.#cells[ID])}: ${
      this.isSet() ? "set" : "unset"
    }>`;
  }

  /**
   * Describes the event for another thread: its shared memory.
   *
   * @ignore
   */
  [toShared](): SharedState {
    return { tag: TAG, data: this.#cells.buffer };
  }

  #waitAsync(
    generation: number,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const attempt = wakeOrTimeout(this.#cells, generation);
    return waitLoopAsync(deadline, attempt, signal);
  }
}

/**
 * The attempt of a wait on an event seen unset at `generation`: sleeps until
 * `set()` moves the generation on (`true`) or the deadline passes (`false`).
 */
function wakeOrTimeout(
  cells: Int32Array,
  generation: number,
): Attempt<boolean> {
  let slept = false;
  return (left) => {
    if (slept && Atomics.load(cells, GENERATION) !== generation) return true;
    if (left <= 0) return false;
    slept = true;
    return sleepOn(cells, GENERATION, generation);
  };
}

registerShareable(
  TAG,
  (data) =>
    adopting(
      TAG,
      checkedPrimitiveCells(data, TAG, ID, "an Event"),
      () => new Event(),
    ),
);
