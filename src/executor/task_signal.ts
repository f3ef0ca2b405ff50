import { W_ABORT } from "./_protocol.ts";

interface RunningTask {
  id: number;
  controller: AbortController | undefined;
  control: Int32Array;
}

let running: RunningTask | undefined;
const never = new AbortController().signal;

/** Records the task this worker starts (internal, for the pool worker). */
export function enterTask(id: number, control: Int32Array): void {
  running = { id, controller: undefined, control };
}

/** Forgets the task this worker finished (internal, for the pool worker). */
export function leaveTask(): void {
  running = undefined;
}

/** Aborts the running task's signal when it is task `id` (internal). */
export function abortTask(id: number, reason: unknown): void {
  if (running === undefined || running.id !== id) return;
  running.controller ??= new AbortController();
  if (!running.controller.signal.aborted) running.controller.abort(reason);
}

/**
 * The `AbortSignal` of the executor task that calls it: it aborts when the
 * task's `signal` aborts or its `timeout` passes while it runs. Code that
 * runs synchronously sees `aborted` turn true on its next call of
 * `taskSignal()`; asynchronous code also gets the `abort` event. Outside a
 * task it returns a signal that never aborts.
 *
 * Import it inside the task (`await import(...)`, or use a `moduleFunction`).
 *
 * @returns The running task's signal.
 *
 * @example Usage
 * ```ts
 * import { taskSignal } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(taskSignal().aborted, false); // not inside a task
 * ```
 */
export function taskSignal(): AbortSignal {
  const task = running;
  if (task === undefined) return never;
  task.controller ??= new AbortController();
  if (
    !task.controller.signal.aborted &&
    Atomics.load(task.control, W_ABORT) === task.id
  ) {
    task.controller.abort(
      new DOMException("The task was aborted", "AbortError"),
    );
  }
  return task.controller.signal;
}
