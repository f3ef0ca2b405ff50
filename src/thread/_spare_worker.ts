/**
 * One thread worker spawned ahead of need, on runtimes where that pays
 * ({@linkcode Runtime.spareWorkers}): a new worker spends most of its start
 * loading the runtime and the entry module before it can read its start
 * message, so a spare that did this while the previous thread ran lets the
 * next `start()` skip that wait.
 *
 * The spare is unref'd while it waits, so it never keeps the process alive,
 * and it runs nothing before it is handed a start message: a thread that
 * takes it runs in a fresh worker exactly as in one spawned for it. A process
 * that starts a single thread never gets a spare; once it started two, each
 * thread that ends leaves a spare behind if none waits.
 *
 * @module
 */
import { runtime } from "../runtime/detect.ts";
import type { SpawnOptions, WorkerHandle } from "../runtime/types.ts";

/** The waiting spare; a spare that ends or fails while it waits leaves it. */
let spare: { url: string; handle: WorkerHandle } | undefined;
let starts = 0;
let scheduled = false;

/**
 * A worker running `url` for a new thread: the waiting spare when there is
 * one, otherwise a new worker. Refs it, or unrefs it for a daemon
 * (`options.unrefable`).
 */
export function spawnThreadWorker(
  url: URL,
  options: SpawnOptions,
): WorkerHandle {
  starts++;
  const waiting = spare;
  if (waiting !== undefined && waiting.url === url.href) {
    spare = undefined;
    if (!options.unrefable) waiting.handle.ref();
    return waiting.handle;
  }
  const handle = runtime.spawn(url, options);
  if (options.unrefable) handle.unref();
  return handle;
}

/**
 * Called when a thread's worker ended: where the runtime wants spares and the
 * process has started more than one thread, spawns a spare for the next
 * `start()`. It spawns from a timer, once the code that waited for this
 * thread ran, and not while a thread starts: on two cores a worker that
 * boots beside a starting one slows it.
 */
export function prepareSpareWorker(url: URL): void {
  if (!runtime.spareWorkers || starts < 2 || scheduled) return;
  if (spare !== undefined) return;
  scheduled = true;
  const timer = setTimeout(() => {
    scheduled = false;
    if (spare === undefined) spawnSpare(url);
  }, 0) as unknown as { unref?: () => void };
  timer.unref?.();
}

/** Whether a spare worker waits to be taken (for tests). */
export function spareWaiting(): boolean {
  return spare !== undefined;
}

function spawnSpare(url: URL): void {
  let handle: WorkerHandle;
  try {
    handle = runtime.spawn(url, { name: "threading spare", unrefable: true });
  } catch {
    return; // A thread's own spawn reports such failures.
  }
  handle.unref();
  const waiting = { url: url.href, handle };
  // Once taken, its events are the thread's: `spare` no longer names it.
  const retire = () => {
    if (spare === waiting) spare = undefined;
  };
  handle.onError(retire);
  handle.onExit(retire);
  spare = waiting;
}
