/**
 * The one wait loop of the blocking calls: an attempt, then a sleep on the
 * futex word the attempt names, again and again until the attempt finishes
 * (returns a result or throws) or gives up once the deadline passed. The sync
 * and the async form run the same attempt, so an operation writes its logic
 * once for both: what it tries, what it sleeps on, when it gives up.
 *
 * An attempt receives the milliseconds left (zero or less once the deadline
 * passed; the attempt decides what that means) and returns
 * {@linkcode sleepOn}'s result when it must wait.
 *
 * @module
 */
import { remaining } from "./deadline.ts";
import { waitAsync, waitPlain, waitSync } from "./futex.ts";

/** What an attempt returns to sleep: {@linkcode sleepOn} returns it. */
export const SLEEP: unique symbol = Symbol("sleep");

/**
 * Where the loop sleeps next: `cell[index]`, while it holds `expected`, for
 * at most `time` ms.
 */
interface Sleep {
  cell: Int32Array;
  index: number;
  expected: number;
  time: number;
}

/**
 * One attempt: a result to finish with, or {@linkcode SLEEP} from
 * {@linkcode sleepOn} as its last step. `timedOut` says that the sleep before
 * it timed out (a slice ended: time to look for a dead holder, say).
 */
export type Attempt<T> = (left: number, timedOut: boolean) => T | typeof SLEEP;

// Written by sleepOn as an attempt's last step and read by the loop at once,
// with no code between: one record serves every loop, sync or async, with
// nothing allocated per sleep.
const next: Sleep = {
  cell: new Int32Array(0),
  index: 0,
  expected: 0,
  time: 0,
};

/** Asks the loop to sleep on `cell[index]` while it holds `expected`. */
export function sleepOn(
  cell: Int32Array,
  index: number,
  expected: number,
): typeof SLEEP {
  next.cell = cell;
  next.index = index;
  next.expected = expected;
  return SLEEP;
}

/**
 * One turn of either loop: runs `attempt` with the time left, and when it
 * asks to sleep, sets how long (at most `slice` ms) in `next`.
 */
function turn<T>(
  deadline: number,
  attempt: Attempt<T>,
  slice: number,
  timedOut: boolean,
): T | typeof SLEEP {
  const left = remaining(deadline);
  const result = attempt(left, timedOut);
  if (result === SLEEP) next.time = left < slice ? left : slice;
  return result;
}

/**
 * Runs `attempt` until it finishes, blocking the thread between attempts.
 *
 * @param deadline The absolute deadline (`deadlineOf` of `deadline.ts`).
 * @param slice The longest single sleep in ms.
 * @param plain Sleeps with `waitPlain` of `futex.ts`: not counted as a wait
 * of this thread and not a point where a stopped thread ends. For waits on a
 * thread's life rather than on a primitive.
 */
export function waitLoopSync<T>(
  deadline: number,
  attempt: Attempt<T>,
  slice = Infinity,
  plain = false,
): T {
  for (let timedOut = false;;) {
    const result = turn(deadline, attempt, slice, timedOut);
    if (result !== SLEEP) return result;
    const { cell, index, expected, time } = next;
    timedOut = (plain
      ? waitPlain(cell, index, expected, time)
      : waitSync(cell, index, expected, time)) === "timed-out";
  }
}

/**
 * Runs `attempt` until it finishes, without blocking the event loop between
 * attempts (and keeping the process alive meanwhile).
 *
 * @param deadline The absolute deadline (`deadlineOf` of `deadline.ts`), so
 * that a caller that computed it earlier loses no time.
 * @param slice The longest single sleep in ms.
 * @throws `signal.reason` when the signal aborts during a sleep.
 */
export async function waitLoopAsync<T>(
  deadline: number,
  attempt: Attempt<T>,
  signal: AbortSignal | undefined,
  slice = Infinity,
): Promise<T> {
  for (let timedOut = false;;) {
    const result = turn(deadline, attempt, slice, timedOut);
    if (result !== SLEEP) return result;
    const { cell, index, expected, time } = next;
    timedOut = await waitAsync(cell, index, expected, time, signal) ===
      "timed-out";
  }
}
