import { checkArray, checkFunction, invalid } from "../validate.ts";
import { checkArity, checkSendable } from "../transfer/function_source.ts";
import type { TargetArgs } from "../transfer/sendable.ts";
import { Thread } from "./thread.ts";
import { libraryClasses } from "./_class_source.ts";

/**
 * A thread that calls `target(...args)` after `intervalMs` milliseconds,
 * unless {@linkcode Timer.cancel} was called first (Python's `threading.Timer`).
 * The target travels as source text, like any thread target.
 *
 * @example Usage
 * ```ts
 * import { Timer } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const timer = new Timer(10, (a: number, b: number) => a + b, [2, 3]);
 * timer.start();
 * assert.equal(await timer.join(), 5);
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Timer<T = unknown, A extends unknown[] = any[]>
  extends Thread<T | undefined> {
  /** The delay in milliseconds. */
  interval: number;
  /** The function to call. */
  function: (...args: A) => T | Promise<T>;
  /** Its arguments. */
  args: A;
  /** The shared cell that `cancel()` sets; the thread skips the call when set. */
  finished: Int32Array;

  /**
   * Creates the timer; `start()` it.
   *
   * @throws {TypeError} when `target` is not a function, `intervalMs` not a
   * number or `args` not an array.
   * @throws {RangeError} when `intervalMs` is negative or `NaN`.
   */
  constructor(
    intervalMs: number,
    target: (...args: A) => T | Promise<T>,
    ...rest: [] extends A ? [args?: NoInfer<TargetArgs<A>>]
      : [args: NoInfer<TargetArgs<A>>]
  ) {
    super({});
    const args = rest[0] as A | undefined;
    if (!(typeof intervalMs === "number" && intervalMs >= 0)) {
      throw invalid(
        "create timer",
        "intervalMs",
        "a non-negative number",
        intervalMs,
        typeof intervalMs === "number" ? RangeError : TypeError,
      );
    }
    checkFunction(target, "create timer", "target");
    if (args !== undefined) checkArray(args, "create timer", "args");
    checkArity(target, args?.length ?? 0, "create timer");
    checkSendable(target, "the target");
    this.interval = intervalMs;
    this.function = target;
    this.args = args ?? ([] as unknown as A);
    this.finished = new Int32Array(new SharedArrayBuffer(4));
  }

  /** Stops the timer if it has not fired yet; harmless afterwards. */
  cancel(): void {
    Atomics.store(this.finished, 0, 1);
    Atomics.notify(this.finished, 0);
  }

  /** Waits for the interval, then calls the function unless cancelled. */
  override run(): T | Promise<T> | undefined {
    // This method travels to the thread as source text (see
    // `_class_source.ts`): it may name globals only, hence the raw Atomics.
    Atomics.wait(this.finished, 0, 0, this.interval);
    if (Atomics.load(this.finished, 0) !== 0) return undefined;
    Atomics.store(this.finished, 0, 1);
    return this.function(...this.args);
  }
}

libraryClasses.add(Timer);
