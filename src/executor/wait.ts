import { invalid } from "../validate.ts";
import { validateTimeout } from "../wait_options.ts";
import { Future, futureFailed, onFutureDone } from "./future.ts";

/**
 * `wait()` returns when any future finishes or is cancelled.
 *
 * @example Usage
 * ```ts
 * import { FIRST_COMPLETED, Future, wait } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const finished = new Future<number>();
 * finished.setResult(1);
 * const pending = new Future<number>();
 * const { done, notDone } = await wait([finished, pending], { returnWhen: FIRST_COMPLETED });
 * assert.ok(done.has(finished) && notDone.has(pending));
 * ```
 */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/**
 * `wait()` returns when any future finishes by raising an error, or when all
 * are done.
 *
 * @example Usage
 * ```ts
 * import { FIRST_EXCEPTION, Future, wait } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const failed = new Future<number>();
 * failed.setException(new Error("boom"));
 * const pending = new Future<number>();
 * const { done } = await wait([failed, pending], { returnWhen: FIRST_EXCEPTION });
 * assert.ok(done.has(failed));
 * ```
 */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/**
 * `wait()` returns when all futures are done (the default).
 *
 * @example Usage
 * ```ts
 * import { ALL_COMPLETED, Future, wait } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const futures = [new Future<number>(), new Future<number>()];
 * futures.forEach((future, i) => future.setResult(i));
 * const { done, notDone } = await wait(futures, { returnWhen: ALL_COMPLETED });
 * assert.equal(done.size, 2);
 * assert.equal(notDone.size, 0);
 * ```
 */
export const ALL_COMPLETED = "ALL_COMPLETED";

/**
 * When {@linkcode wait} returns.
 *
 * @example Usage
 * ```ts
 * import { FIRST_COMPLETED, Future, type ReturnWhen, wait } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const returnWhen: ReturnWhen = FIRST_COMPLETED;
 * const future = new Future<number>();
 * future.setResult(1);
 * assert.equal((await wait([future], { returnWhen })).done.size, 1);
 * ```
 */
export type ReturnWhen =
  | typeof FIRST_COMPLETED
  | typeof FIRST_EXCEPTION
  | typeof ALL_COMPLETED;

/**
 * Options for {@linkcode wait}.
 *
 * @example Usage
 * ```ts
 * import { Future, type FuturesWaitOptions, wait } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const options: FuturesWaitOptions = { timeout: 10 };
 * const { notDone } = await wait([new Future<number>()], options); // gives up after 10 ms
 * assert.equal(notDone.size, 1);
 * ```
 */
export interface FuturesWaitOptions {
  /**
   * The longest time to wait, in milliseconds; when it passes, `wait()`
   * returns what is done by then (it does not throw).
   *
   * @default {Infinity}
   */
  timeout?: number;
  /**
   * When to return.
   *
   * @default {"ALL_COMPLETED"}
   */
  returnWhen?: ReturnWhen;
}

/**
 * What {@linkcode wait} resolves with.
 *
 * @example Usage
 * ```ts
 * import { type DoneAndNotDone, Future, wait } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>();
 * future.setResult(7);
 * const result: DoneAndNotDone<number> = await wait([future]);
 * assert.deepEqual([...result.done], [future]);
 * ```
 */
export interface DoneAndNotDone<R> {
  /** The futures that are done (finished or cancelled). */
  done: Set<Future<R>>;
  /** The others. */
  notDone: Set<Future<R>>;
}

/**
 * Waits for futures, like Python's `concurrent.futures.wait`: until all are
 * done (the default), the first one is done (`FIRST_COMPLETED`), or one
 * raises (`FIRST_EXCEPTION`), or until `timeout` ms passed. Cancelled futures
 * count as done. Duplicates count once.
 *
 * @typeParam R The futures' result type.
 * @returns The sets of done and not done futures.
 * @throws {TypeError} when `futures` is not an iterable of `Future`s or an
 * option is invalid.
 * @throws {RangeError} when `timeout` is negative.
 *
 * @example Usage
 * ```ts
 * import { FIRST_COMPLETED, ThreadPoolExecutor, wait } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const futures = [1, 2, 3].map((n) => pool.submit((x: number) => x * 2, n));
 * const { done, notDone } = await wait(futures);
 * assert.equal(done.size, 3);
 * assert.equal(notDone.size, 0);
 * const first = await wait(futures, { returnWhen: FIRST_COMPLETED });
 * assert.ok(first.done.size >= 1);
 * ```
 */
export function wait<R>(
  futures: Iterable<Future<R>>,
  options: FuturesWaitOptions = {},
): Promise<DoneAndNotDone<R>> {
  const all = collectFutures(futures, "wait for futures");
  const timeout = validateTimeout(options?.timeout, "wait for futures");
  const returnWhen = options?.returnWhen ?? ALL_COMPLETED;
  if (
    returnWhen !== ALL_COMPLETED && returnWhen !== FIRST_COMPLETED &&
    returnWhen !== FIRST_EXCEPTION
  ) {
    throw invalid(
      "wait for futures",
      "returnWhen",
      '"FIRST_COMPLETED", "FIRST_EXCEPTION" or "ALL_COMPLETED"',
      returnWhen,
    );
  }
  const split = (): DoneAndNotDone<R> => {
    const done = new Set<Future<R>>();
    const notDone = new Set<Future<R>>();
    for (const f of all) (f.done() ? done : notDone).add(f);
    return { done, notDone };
  };
  const satisfied = (): boolean => {
    let doneCount = 0;
    for (const f of all) {
      if (!f.done()) continue;
      doneCount++;
      if (returnWhen === FIRST_COMPLETED) return true;
      if (
        returnWhen === FIRST_EXCEPTION && futureFailed(f as Future<unknown>)
      ) return true;
    }
    return doneCount === all.size;
  };
  if (satisfied() || timeout === 0) return Promise.resolve(split());
  return new Promise((resolve) => {
    const unlisten: (() => void)[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const u of unlisten) u();
      resolve(split());
    };
    for (const f of all) {
      if (f.done()) continue;
      unlisten.push(
        onFutureDone(f as Future<unknown>, () => {
          if (satisfied()) finish();
        }),
      );
    }
    if (timeout !== Infinity) timer = setTimeout(finish, timeout);
  });
}

/** Checks an iterable of futures and removes duplicates. */
export function collectFutures<R>(
  futures: Iterable<Future<R>>,
  action: string,
): Set<Future<R>> {
  if (
    futures === null || futures === undefined ||
    typeof (futures as Iterable<Future<R>>)[Symbol.iterator] !== "function"
  ) {
    throw invalid(action, "futures", "an iterable of Future objects", futures);
  }
  const set = new Set<Future<R>>();
  let i = 0;
  for (const f of futures) {
    if (!(f instanceof Future)) {
      throw invalid(action, `futures[${i}]`, "a Future", f);
    }
    set.add(f);
    i++;
  }
  return set;
}
