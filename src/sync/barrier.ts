/**
 * `Barrier`: Python's `threading.Barrier` over shared memory.
 *
 * @module
 */
// Targets compiled here may name the library's exports.
import "../transfer/_library.ts";
import { BrokenBarrierError } from "../errors.ts";
import { decode, encodeChecked, type Encoded } from "../transfer/codec.ts";
import {
  compileFunction,
  explainMissingVariable,
  functionToSource,
} from "../transfer/function_source.ts";
import {
  registerShareable,
  reviveShared,
  type SharedState,
  toShared,
} from "../transfer/shareable.ts";
import {
  validateTimeout,
  type WaitOptions,
  type WaitSyncOptions,
} from "../wait_options.ts";
import {
  checkArray,
  checkInteger,
  checkOptions,
  invalid,
} from "../validate.ts";
import { optionsSignal, waitTimeout } from "./acquire_options.ts";
import { formatId } from "../_shm/object_id.ts";
import {
  adopted,
  adopting,
  checkedPrimitiveCells,
  primitiveCells,
} from "../_shm/adopt.ts";
import { Condition } from "./condition.ts";
import { Lock } from "./lock.ts";

// Python's states: parties gather while FILLING; once the last one arrived
// (and the action ran) they leave while DRAINING; RESETTING sends waiters
// away with BrokenBarrierError and then lets the barrier fill again; BROKEN
// stays until reset(). All of it changes under the condition's lock.
const FILLING = 0;
const DRAINING = 1;
const RESETTING = -1;
const BROKEN = -2;

const STATE = 0;
/** Parties inside `wait()`: gathering, or leaving. */
const COUNT = 1;
/** The object id (the type tag follows: see `_shm/adopt.ts`). */
const ID = 2;
const TAG = "threading.Barrier";

/**
 * Options for {@linkcode Barrier}.
 *
 * @example Usage
 * ```ts
 * import { Barrier, type BarrierOptions } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const options: BarrierOptions = { timeout: 10_000 };
 * const barrier = new Barrier(1, options);
 * assert.equal(await barrier.wait(), 0); // the only party: released at once
 * ```
 */
export interface BarrierOptions {
  /**
   * A function that the last thread to arrive calls once per cycle, before
   * any party is released. It is sent to threads as source text, like a
   * thread's target, so it must be self-contained. When it throws, the
   * barrier breaks and that thread's `wait()` throws its error.
   */
  action?: (...args: never[]) => unknown;
  /**
   * Arguments for `action`: structured-cloneable values and shared objects
   * (locks, typed arrays over shared memory...), which reach the action live
   * in whichever thread runs it.
   *
   * @default {[]}
   */
  args?: unknown[];
  /**
   * The timeout of waits that do not pass their own, in ms.
   *
   * @default {Infinity}
   */
  timeout?: number;
}

interface BarrierData {
  cells: SharedArrayBuffer;
  cond: SharedState;
  parties: number;
  timeout: number;
  action: string | null;
  args: Encoded;
}

/**
 * A meeting point for a fixed number of threads: Python's
 * `threading.Barrier`. Each party calls `wait()`; all of them stay there
 * until the last one arrives, then all go on together, and the barrier is
 * ready for the next cycle.
 *
 * The optional `action` runs once per cycle in the last thread to arrive,
 * before anyone is released. It travels as source text, like a thread's
 * target, so it reaches shared state through `args`.
 *
 * A wait that times out or is aborted breaks the barrier: that party and
 * every other one (waiting now or arriving later) get `BrokenBarrierError`
 * until `reset()`.
 *
 * @example Usage
 * ```ts
 * import { Barrier, Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const barrier = new Barrier(3);
 * const threads = [0, 1].map(() =>
 *   new Thread({
 *     target: (barrier: Barrier) => barrier.waitSync(),
 *     args: [barrier],
 *   }).start()
 * );
 * const mine = await barrier.wait();
 * const all = [mine, ...(await Promise.all(threads.map((t) => t.join())))];
 * assert.deepEqual(all.sort(), [0, 1, 2]);
 * ```
 */
export class Barrier {
  #cells: Int32Array;
  #cond: Condition;
  #parties: number;
  #timeout: number;
  #actionSource: string | null;
  #action: ((...args: unknown[]) => unknown) | undefined;
  #encodedArgs: Encoded;
  #args: unknown[] | undefined;

  /**
   * Creates a barrier for `parties` threads.
   *
   * @throws {TypeError} when `parties` is not a number, `action` not a
   * function or `timeout` not a number.
   * @throws {RangeError} when `parties` is not a positive integer, or
   * `timeout` is negative.
   */
  constructor(parties: number, options: BarrierOptions = {}) {
    const data = adopted<BarrierData & { view: Int32Array }>(TAG);
    if (data !== undefined) {
      this.#cells = data.view;
      this.#cond = reviveShared(data.cond) as Condition;
      this.#parties = data.parties;
      this.#timeout = data.timeout;
      this.#actionSource = data.action;
      this.#encodedArgs = data.args;
      return;
    }
    checkInteger(parties, "create barrier", "parties", 1);
    if (parties > 0x7fffffff) {
      throw invalid(
        "create barrier",
        "parties",
        "a positive integer",
        parties,
        RangeError,
      );
    }
    checkOptions(options, "create barrier");
    const { action, args = [], timeout } = options;
    this.#timeout = validateTimeout(timeout, "create barrier");
    this.#actionSource = action === undefined || action === null
      ? null
      : functionToSource(action, "the barrier's action");
    checkArray(args, "create barrier", "args");
    this.#encodedArgs = encodeChecked(args, "the barrier's args");
    this.#args = args;
    this.#parties = parties;
    this.#cond = new Condition(new Lock());
    this.#cells = primitiveCells(TAG, ID);
  }

  /** The number of threads that must call `wait()` for them all to pass. */
  get parties(): number {
    return this.#parties;
  }

  /** The number of threads waiting at the barrier now. */
  get nWaiting(): number {
    return Atomics.load(this.#cells, STATE) === FILLING
      ? Atomics.load(this.#cells, COUNT)
      : 0;
  }

  /** Whether the barrier is broken (until `reset()`). */
  get broken(): boolean {
    return Atomics.load(this.#cells, STATE) === BROKEN;
  }

  /**
   * Waits, without blocking the event loop, until every party has called
   * `wait()` (or `waitSync()`).
   *
   * @param options `timeout` in ms (default: the barrier's), `signal` to give
   * up. Either one ending the wait breaks the barrier.
   * @returns This party's arrival index, from `0` to `parties - 1`, unique in
   * each cycle.
   * @throws {BrokenBarrierError} when the barrier is or becomes broken (also
   * for the party whose timeout passed).
   * @throws The action's error in the party that ran it (the barrier breaks).
   * @throws The signal's reason when it aborts.
   *
   * @example Usage
   * ```ts
   * import { Barrier } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(1);
   * assert.equal(await barrier.wait(), 0);
   * assert.equal(await barrier.wait({ timeout: 100 }), 0);
   * ```
   */
  wait(options?: WaitOptions): Promise<number> {
    const timeout = this.#waitTimeout(options);
    const signal = optionsSignal(options, "wait on barrier");
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.#waitAsync(timeout, signal);
  }

  /**
   * Blocks the thread until every party has called `wait()` (Python's
   * `wait()`).
   *
   * @param options `timeout` in ms (default: the barrier's); it passing
   * breaks the barrier.
   * @returns This party's arrival index, from `0` to `parties - 1`.
   * @throws {BrokenBarrierError} when the barrier is or becomes broken.
   * @throws The action's error in the party that ran it (the barrier breaks).
   *
   * @example Usage
   * ```ts
   * import { Barrier } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const cycles = new Int32Array(new SharedArrayBuffer(4));
   * const barrier = new Barrier(1, {
   *   action: (cycles: Int32Array) => Atomics.add(cycles, 0, 1),
   *   args: [cycles],
   * });
   * assert.equal(barrier.waitSync(), 0);
   * assert.equal(barrier.waitSync(), 0);
   * assert.equal(cycles[0], 2);
   * ```
   */
  waitSync(options?: WaitSyncOptions): number {
    const timeout = this.#waitTimeout(options);
    const cond = this.#cond;
    const cells = this.#cells;
    cond.acquireSync();
    try {
      // Wait for the previous cycle to drain or a reset to finish.
      while (this.#state() === DRAINING || this.#state() === RESETTING) {
        cond.waitSync();
      }
      if (this.#state() === BROKEN) throw new BrokenBarrierError();
      const index = Atomics.add(cells, COUNT, 1);
      try {
        if (index + 1 === this.#parties) {
          this.#runAction(false);
          this.#setState(DRAINING);
        } else {
          const passed = cond.waitForSync(
            () => this.#state() !== FILLING,
            { timeout },
          );
          this.#checkPassed(passed, timeout);
        }
        return index;
      } finally {
        this.#leave();
      }
    } finally {
      cond.release();
    }
  }

  /**
   * Returns the barrier to its initial state. Parties waiting at it get
   * `BrokenBarrierError`; a broken barrier becomes usable again.
   *
   * @example Usage
   * ```ts
   * import { Barrier } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(2);
   * barrier.abort();
   * assert.equal(barrier.broken, true);
   * barrier.reset();
   * assert.equal(barrier.broken, false);
   * ```
   */
  reset(): void {
    this.#cond.acquireSync();
    try {
      if (Atomics.load(this.#cells, COUNT) > 0) {
        const state = this.#state();
        if (state === FILLING || state === BROKEN) this.#setState(RESETTING);
        // A barrier already draining or resetting finishes that first.
      } else this.#setState(FILLING);
    } finally {
      this.#cond.release();
    }
  }

  /**
   * Breaks the barrier: every party waiting at it, and every later one until
   * `reset()`, gets `BrokenBarrierError`. Use it to let the others go when a
   * party cannot arrive.
   *
   * @example Usage
   * ```ts
   * import { Barrier, BrokenBarrierError } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(2);
   * barrier.abort();
   * assert.throws(() => barrier.waitSync(), BrokenBarrierError);
   * ```
   */
  abort(): void {
    this.#cond.acquireSync();
    try {
      this.#setState(BROKEN);
    } finally {
      this.#cond.release();
    }
  }

  /**
   * A description like Python's repr: `<threading.Barrier at 0x…: waiters=1/3>`
   * or `<threading.Barrier at 0x…: broken>`.
   *
   * @example Usage
   * ```ts
   * import { Barrier } from "@threading/threading";
   * import assert from "node:assert/strict";
   *
   * assert.match(String(new Barrier(3)), /^<threading\.Barrier at 0x[0-9a-f]+: waiters=0\/3>$/);
   * ```
   */
  toString(): string {
    const at = `<threading.Barrier at ${formatId(this.#cells[ID])}`;
    return this.broken
      ? `${at}: broken>`
      : `${at}: waiters=${this.nWaiting}/${this.#parties}>`;
  }

  /**
   * Describes the barrier for another thread: its memory, lock and action.
   *
   * @ignore
   */
  [toShared](): SharedState {
    return {
      tag: TAG,
      data: {
        cells: this.#cells.buffer as SharedArrayBuffer,
        cond: this.#cond[toShared](),
        parties: this.#parties,
        timeout: this.#timeout,
        action: this.#actionSource,
        args: this.#encodedArgs,
      } satisfies BarrierData,
    };
  }

  /**
   * After a party's wait for the cycle to fill: breaks the barrier when the
   * timeout passed, and throws when the barrier broke meanwhile.
   */
  #checkPassed(passed: boolean, timeout: number): void {
    if (!passed) {
      this.#setState(BROKEN);
      throw new BrokenBarrierError(
        `The barrier broke: this party's timeout of ${timeout} ms passed`,
      );
    }
    if (this.#state() < 0) throw new BrokenBarrierError();
  }

  async #waitAsync(
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const cond = this.#cond;
    const cells = this.#cells;
    await cond.acquire({ signal });
    try {
      while (this.#state() === DRAINING || this.#state() === RESETTING) {
        await cond.wait({ signal });
      }
      if (this.#state() === BROKEN) throw new BrokenBarrierError();
      const index = Atomics.add(cells, COUNT, 1);
      try {
        if (index + 1 === this.#parties) {
          await this.#runAction(true);
          this.#setState(DRAINING);
        } else {
          let passed: boolean;
          try {
            passed = await cond.waitFor(
              () => this.#state() !== FILLING,
              { timeout, signal },
            );
          } catch (reason) {
            this.#setState(BROKEN);
            throw reason;
          }
          this.#checkPassed(passed, timeout);
        }
        return index;
      } finally {
        this.#leave();
      }
    } finally {
      cond.release();
    }
  }

  /** Runs the action (lock held); breaks the barrier when it fails. */
  #runAction(awaitResult: true): Promise<void>;
  #runAction(awaitResult: false): void;
  #runAction(awaitResult: boolean): Promise<void> | void {
    if (this.#actionSource === null) return;
    const fail = (error: unknown): never => {
      this.#setState(BROKEN);
      throw explainMissingVariable(error, "The barrier's action");
    };
    let result: unknown;
    try {
      this.#action ??= compileFunction(this.#actionSource);
      this.#args ??= decode(structuredClone(this.#encodedArgs)) as unknown[];
      result = this.#action(...this.#args);
    } catch (error) {
      fail(error);
    }
    if (awaitResult) return Promise.resolve(result).then(() => {}, fail);
    if (isThenable(result)) {
      result.then(undefined, () => {});
      fail(
        new TypeError(
          "The barrier's action returned a promise, which waitSync() cannot wait for: make the action synchronous, or use wait()",
        ),
      );
    }
  }

  /** A party leaves `wait()` (lock held); the last one out re-opens the barrier. */
  #leave(): void {
    const count = Atomics.sub(this.#cells, COUNT, 1) - 1;
    const state = this.#state();
    if (count === 0 && (state === RESETTING || state === DRAINING)) {
      this.#setState(FILLING);
    }
  }

  #state(): number {
    return Atomics.load(this.#cells, STATE);
  }

  /** Changes the state (lock held) and wakes every party to look at it. */
  #setState(state: number): void {
    Atomics.store(this.#cells, STATE, state);
    this.#cond.notifyAll();
  }

  #waitTimeout(options: WaitOptions | WaitSyncOptions | undefined): number {
    const timeout = waitTimeout(options, "wait on barrier");
    return options?.timeout === undefined || options.timeout === null
      ? this.#timeout
      : timeout;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

registerShareable(TAG, (data) => {
  const state = (data ?? {}) as BarrierData;
  const view = checkedPrimitiveCells(state.cells, TAG, ID, "a Barrier");
  return adopting(TAG, { ...state, view }, () => new Barrier(1));
});
