/**
 * Futex-style wait and wake on an `Int32Array` cell of shared memory: the one
 * mechanism every primitive sleeps on. A wake is only a hint: callers re-check
 * their state after every wake-up, so spurious wake-ups are harmless. A
 * thread whose owner stopped it ends when one of its waits times out
 * (`stop.ts`).
 *
 * @module
 */
import { WAITING } from "./control_block.ts";
import { selfSlot } from "./slots.ts";
import { stopIfTerminated } from "./stop.ts";
import { watch } from "./watch.ts";

// Inside a thread, the control block its owner reads; its cell `WAITING`
// counts the waits the thread is in, so that a report of a leaked thread can
// say it is blocked. Read from the worker's global slot (`SELF_SLOT` of
// slots.ts).
const selfControl: Int32Array | undefined = selfSlot()?.control;

/** How a wait ended. */
export type WaitResult = "ok" | "not-equal" | "timed-out";

/**
 * Blocks the calling thread while `cell[index] === expected`, until woken or
 * until `timeout` ms passed.
 */
export function waitSync(
  cell: Int32Array,
  index: number,
  expected: number,
  timeout = Infinity,
): WaitResult {
  let result: WaitResult;
  if (selfControl === undefined) {
    result = Atomics.wait(cell, index, expected, timeout);
  } else {
    Atomics.add(selfControl, WAITING, 1);
    try {
      result = Atomics.wait(cell, index, expected, timeout);
    } finally {
      Atomics.sub(selfControl, WAITING, 1);
    }
  }
  if (result === "timed-out") stopIfTerminated();
  return result;
}

/**
 * Waits without blocking the event loop while `cell[index] === expected`.
 * Keeps the process alive while pending (`Atomics.waitAsync` alone does not).
 * Rejects with `signal.reason` when the signal aborts.
 */
export function waitAsync(
  cell: Int32Array,
  index: number,
  expected: number,
  timeout = Infinity,
  signal?: AbortSignal,
): Promise<WaitResult> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const result = Atomics.waitAsync(cell, index, expected, timeout);
  if (!result.async) return Promise.resolve(result.value);
  holdLoop();
  const ended = asyncWaitBegan();
  if (signal === undefined) {
    return result.value.then((value) => {
      releaseLoop();
      ended?.();
      if (value === "timed-out") stopIfTerminated();
      return value;
    });
  }
  return new Promise<WaitResult>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      releaseLoop();
      ended?.();
      // The runtime cannot withdraw a pending waitAsync. Wake every waiter on
      // the cell so that ours leaves the wait queue at once instead of
      // swallowing a later single wake meant for someone else.
      Atomics.notify(cell, index);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    result.value.then((value) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      releaseLoop();
      ended?.();
      if (value === "timed-out") stopIfTerminated();
      resolve(value);
    });
  });
}

/** Records an async wait for the testing hooks; returns what ends it. */
function asyncWaitBegan(): (() => void) | undefined {
  const watched = watch.current?.waitStarted();
  if (selfControl === undefined) return watched;
  Atomics.add(selfControl, WAITING, 1);
  return () => {
    Atomics.sub(selfControl, WAITING, 1);
    watched?.();
  };
}

/**
 * Blocks while `cell[index] === expected`, like {@linkcode waitSync}, but as a
 * plain wait: not counted among this thread's waits and not a point where a
 * stopped thread ends. For waits on a thread's life (its end, a timer's
 * interval), not on a primitive.
 */
export function waitPlain(
  cell: Int32Array,
  index: number,
  expected: number,
  timeout = Infinity,
): WaitResult {
  return Atomics.wait(cell, index, expected, timeout);
}

/**
 * Calls `then` once `cell[index]` no longer holds `expected` (at once if it
 * already does not). Keeps nothing alive and counts as no wait of this
 * thread: for an owner that watches a thread's control block.
 */
export function onceChanged(
  cell: Int32Array,
  index: number,
  expected: number,
  then: () => void,
): void {
  const result = Atomics.waitAsync(cell, index, expected);
  if (result.async) void result.value.then(then);
  else then();
}

/**
 * A bare async wait: not counted as the thread's, for a caller that keeps
 * its event loop alive itself. The result itself when the wait ends at once
 * (the cell already differs, or a zero timeout), else its promise.
 *
 * @example Usage
 * ```ts ignore
 * const pending = waitPlainAsync(cells, 0, 0);
 * if (typeof pending !== "string") await pending;
 * ```
 */
export function waitPlainAsync(
  cell: Int32Array,
  index: number,
  expected: number,
  timeout = Infinity,
): WaitResult | Promise<WaitResult> {
  return Atomics.waitAsync(cell, index, expected, timeout).value;
}

/** Wakes up to `count` threads waiting on `cell[index]`; returns how many. */
export function notify(
  cell: Int32Array,
  index: number,
  count = Infinity,
): number {
  return Atomics.notify(cell, index, count);
}

/**
 * Keeps the event loop alive until the returned function is called: a loop
 * that makes many short async waits in a row holds it once instead of
 * arming and clearing a timer for each wait.
 */
export function holdEventLoop(): () => void {
  holdLoop();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    releaseLoop();
  };
}

// One timer keeps the event loop alive while any async wait is pending.
let pendingWaits = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;

function holdLoop(): void {
  if (pendingWaits++ === 0) keepAlive = setInterval(() => {}, 1 << 30);
}

function releaseLoop(): void {
  if (--pendingWaits === 0) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}
