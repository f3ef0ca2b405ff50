/**
 * The one wait loop of the blocking calls: an attempt, then a sleep on the
 * futex word the attempt names, again and again until the attempt finishes
 * (returns a result or throws) or gives up once the deadline passed. The sync
 * and the async form run the same attempt, so an operation writes its logic
 * once for both: what it tries, what it sleeps on, when it gives up.
 *
 * An attempt receives the milliseconds left (zero or less once the deadline
 * passed; the attempt decides what that means) and a {@linkcode Sleep} to
 * fill in with {@linkcode sleepOn} when it must wait.
 *
 * @module
 */
import { remaining } from "./deadline.ts";
import { waitAsync, waitPlain, waitSync } from "./futex.ts";

/** What an attempt returns to sleep: {@linkcode sleepOn} returns it. */
export const SLEEP: unique symbol = Symbol("sleep");

/** Where the loop sleeps next: `cell[index]`, while it holds `expected`. */
export interface Sleep {
  cell: Int32Array;
  index: number;
  expected: number;
}

/** One attempt: a result to finish with, or {@linkcode SLEEP}. */
export type Attempt<T> = (left: number, sleep: Sleep) => T | typeof SLEEP;

/** How the loop sleeps. */
export interface LoopOptions {
  /**
   * The longest single sleep in ms, so that `onTimedOut` runs at least this
   * often while the deadline is further away.
   */
  slice?: number;
  /** Runs after a sleep that timed out, before the next attempt. */
  onTimedOut?: () => void;
  /**
   * Sleeps with `waitPlain` (sync form only): not counted as a wait of this
   * thread and not a point where a stopped thread ends. For waits on a
   * thread's life rather than on a primitive.
   */
  plain?: boolean;
}

const NONE = new Int32Array(0);

/** Asks the loop to sleep on `cell[index]` while it holds `expected`. */
export function sleepOn(
  sleep: Sleep,
  cell: Int32Array,
  index: number,
  expected: number,
): typeof SLEEP {
  sleep.cell = cell;
  sleep.index = index;
  sleep.expected = expected;
  return SLEEP;
}

/**
 * Runs `attempt` until it finishes, blocking the thread between attempts.
 *
 * @param deadline The absolute deadline (`deadlineOf` of `deadline.ts`).
 */
export function waitLoopSync<T>(
  deadline: number,
  attempt: Attempt<T>,
  options?: LoopOptions,
): T {
  const slice = options?.slice ?? Infinity;
  const sleep: Sleep = { cell: NONE, index: 0, expected: 0 };
  for (;;) {
    const left = remaining(deadline);
    const result = attempt(left, sleep);
    if (result !== SLEEP) return result;
    const time = left < slice ? left : slice;
    const woke = options?.plain
      ? waitPlain(sleep.cell, sleep.index, sleep.expected, time)
      : waitSync(sleep.cell, sleep.index, sleep.expected, time);
    if (woke === "timed-out") options?.onTimedOut?.();
  }
}

/**
 * Runs `attempt` until it finishes, without blocking the event loop between
 * attempts (and keeping the process alive meanwhile).
 *
 * @param deadline The absolute deadline (`deadlineOf` of `deadline.ts`), so
 * that a caller that computed it earlier loses no time.
 * @throws `signal.reason` when the signal aborts during a sleep.
 */
export async function waitLoopAsync<T>(
  deadline: number,
  attempt: Attempt<T>,
  signal: AbortSignal | undefined,
  options?: LoopOptions,
): Promise<T> {
  const slice = options?.slice ?? Infinity;
  const sleep: Sleep = { cell: NONE, index: 0, expected: 0 };
  for (;;) {
    const left = remaining(deadline);
    const result = attempt(left, sleep);
    if (result !== SLEEP) return result;
    const time = left < slice ? left : slice;
    const woke = await waitAsync(
      sleep.cell,
      sleep.index,
      sleep.expected,
      time,
      signal,
    );
    if (woke === "timed-out") options?.onTimedOut?.();
  }
}
