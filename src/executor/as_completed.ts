import { deadlineOf, remaining } from "../_shm/deadline.ts";
import { TimeoutError } from "../errors.ts";
import { validateTimeout } from "../wait_options.ts";
import { type Future, onFutureDone } from "./future.ts";
import { collectFutures } from "./wait.ts";

/**
 * A `Future` as {@linkcode asCompleted} yields it. At run time it is the
 * `Future` itself; its type leaves out `then`, `catch` and `finally` because
 * TypeScript types the variable of a `for await` loop as the *awaited*
 * element, which would turn a thenable `Future<R>` into `R`.
 *
 * @typeParam R The future's result type.
 *
 * @example Usage
 * ```ts
 * import { asCompleted, type CompletedFuture, Future } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<string>();
 * future.setResult("ready");
 * for await (const done of asCompleted([future])) {
 *   const completed: CompletedFuture<string> = done; // a Future without `then`
 *   assert.equal(await completed.result(), "ready");
 * }
 * ```
 */
export type CompletedFuture<R> = Omit<Future<R>, "then" | "catch" | "finally">;

/**
 * Options for {@linkcode asCompleted}.
 *
 * @example Usage
 * ```ts
 * import { asCompleted, type AsCompletedOptions, Future } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>();
 * future.setResult(1);
 * const options: AsCompletedOptions = { timeout: 10_000 };
 * for await (const done of asCompleted([future], options)) {
 *   assert.equal(await done.result(), 1);
 * }
 * ```
 */
export interface AsCompletedOptions {
  /**
   * The longest time, in milliseconds from the call, to wait for all
   * futures; then the iteration throws `TimeoutError`.
   *
   * @default {Infinity}
   */
  timeout?: number;
}

/**
 * Yields the futures as they complete (finished or cancelled), like Python's
 * `concurrent.futures.as_completed`: those already done first, then each as
 * it finishes. Duplicates are yielded once. It yields the `Future` objects
 * themselves (read each with `await future.result()`).
 *
 * @typeParam R The futures' result type.
 * @returns An async iterable of the futures (typed as
 * {@linkcode CompletedFuture} so that `for await` keeps them futures).
 * @throws {TypeError} at once when `futures` is not an iterable of `Future`s.
 * @throws {TimeoutError} from the iteration when `timeout` ms pass before all
 * are done (`"2 (of 4) futures unfinished"`).
 *
 * @example Usage
 * ```ts
 * import { asCompleted, ThreadPoolExecutor } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const futures = [3, 1, 2].map((n) => pool.submit((x: number) => x * x, n));
 * const results: number[] = [];
 * for await (const future of asCompleted(futures)) {
 *   results.push(await future.result());
 * }
 * assert.deepEqual(results.sort(), [1, 4, 9]);
 * ```
 */
export function asCompleted<R>(
  futures: Iterable<Future<R>>,
  options: AsCompletedOptions = {},
): AsyncIterableIterator<CompletedFuture<R>> {
  const pending = collectFutures(futures, "iterate futures as completed");
  const timeout = validateTimeout(
    options?.timeout,
    "iterate futures as completed",
  );
  const deadline = deadlineOf(timeout);
  const total = pending.size;
  const ready: Future<R>[] = [];
  for (const f of [...pending]) {
    if (f.done()) {
      pending.delete(f);
      ready.push(f);
    }
  }
  let wake: (() => void) | undefined;
  const unlisten = new Map<Future<R>, () => void>();
  for (const f of pending) {
    unlisten.set(
      f,
      onFutureDone(f as Future<unknown>, () => {
        if (!pending.delete(f)) return;
        unlisten.delete(f);
        ready.push(f);
        wake?.();
      }),
    );
  }
  let closed = false;
  const close = () => {
    closed = true;
    for (const u of unlisten.values()) u();
    unlisten.clear();
    pending.clear();
    ready.length = 0;
  };
  const iterator: AsyncIterableIterator<CompletedFuture<R>> = {
    async next(): Promise<IteratorResult<CompletedFuture<R>>> {
      while (!closed) {
        const f = ready.shift();
        if (f !== undefined) return { done: false, value: f };
        if (pending.size === 0) break;
        const left = remaining(deadline);
        if (left <= 0) {
          const unfinished = pending.size;
          close();
          throw new TimeoutError(
            `${unfinished} (of ${total}) futures unfinished`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = left === Infinity
            ? undefined
            : setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      close();
      return { done: true, value: undefined };
    },
    return(): Promise<IteratorResult<CompletedFuture<R>>> {
      close();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}
