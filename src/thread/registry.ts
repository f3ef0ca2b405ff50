/**
 * This thread's view of the threads it knows: itself, the main thread and the
 * threads it started that are still alive.
 *
 * @module
 */
import { setIdent } from "../_shm/ident.ts";
import { selfSlot } from "../_shm/slots.ts";
import type { Thread } from "./thread.ts";

export { getIdent } from "../_shm/ident.ts";

let current: Thread | undefined;
let main: Thread | undefined;
let makeMain: (() => Thread) | undefined;
const alive = new Set<Thread>();

/** Wires the factory of the main thread's `Thread` object (called by `thread.ts`). */
export function setMainThreadFactory(factory: () => Thread): void {
  makeMain = factory;
}

/** Records the `Thread` object this worker runs as (called by the worker entry). */
export function setCurrentThread(self: Thread, mainObject: Thread): void {
  current = self;
  main = mainObject;
  setIdent(self.ident!);
}

/** What a worker knows of the thread it runs, before any `Thread` object exists. */
export interface SelfThreadInfo {
  name: string;
  ident: number;
  daemon: boolean;
  control: Int32Array;
}

let makeSelf: ((info: SelfThreadInfo) => Thread) | undefined;

/** Wires the factory of a worker's own `Thread` object (called by `thread.ts`). */
export function setSelfThreadFactory(
  factory: (info: SelfThreadInfo) => Thread,
): void {
  makeSelf = factory;
}

// In a thread's worker, the entry module left the thread's identity in a slot
// before this module loaded (see _shm/slots.ts); `currentThread()` builds the
// `Thread` object from it on first use.
const selfInfo: SelfThreadInfo | undefined = selfSlot();

/** Records a started thread until it ends. */
export function trackThread(thread: Thread): void {
  alive.add(thread);
}

/** The started threads not known to have ended yet. */
export function trackedThreads(): Thread[] {
  return [...alive];
}

/** Forgets an ended thread. */
export function untrackThread(thread: Thread): void {
  alive.delete(thread);
}

/**
 * Non-daemon threads whose worker has not ended yet: a worker outlives its
 * thread's target while non-daemon threads that it started still run.
 */
const workers = new Set<Thread>();
const idleWaiters: (() => void)[] = [];

/** Records the worker of a started non-daemon thread until it ends. */
export function trackWorker(thread: Thread): void {
  workers.add(thread);
}

/** Forgets the worker of a thread once it ended (or is about to). */
export function untrackWorker(thread: Thread): void {
  workers.delete(thread);
  if (workers.size === 0) { for (const wake of idleWaiters.splice(0)) wake(); }
}

/**
 * Resolves once every non-daemon thread this thread started has ended, and
 * its worker too (with the threads that worker started): a worker waits for
 * them before it exits, as Python's process does, since ending it would stop
 * them.
 */
export function nonDaemonThreadsEnded(): Promise<void> {
  if (workers.size === 0) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}

const slot = selfSlot();
if (slot !== undefined) slot.childrenEnded = nonDaemonThreadsEnded;

/**
 * The main thread's `Thread` object (`name` `"MainThread"`, ident 1).
 *
 * @example Usage
 * ```ts
 * import { mainThread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mainThread().name, "MainThread");
 * ```
 */
export function mainThread(): Thread {
  main ??= makeMain!();
  return main;
}

/**
 * The `Thread` object of the calling thread: inside a thread it carries that
 * thread's name, ident and daemon flag.
 *
 * @example Usage
 * ```ts
 * import { currentThread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(currentThread().name, "MainThread");
 * ```
 */
export function currentThread(): Thread {
  if (current === undefined && selfInfo !== undefined) {
    current = makeSelf!(selfInfo);
  }
  return current ?? mainThread();
}

/**
 * Whether the calling thread is the main thread.
 *
 * @example Usage
 * ```ts
 * import { isMainThread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isMainThread(), true);
 * ```
 */
export function isMainThread(): boolean {
  return currentThread() === mainThread();
}

/**
 * The live `Thread` objects this thread knows: the main thread, the calling
 * thread and the threads it started that have not ended.
 *
 * @example Usage
 * ```ts
 * import { enumerate, mainThread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.ok(enumerate().includes(mainThread()));
 * ```
 */
export function enumerate(): Thread[] {
  const list = new Set<Thread>([mainThread(), currentThread()]);
  for (const thread of alive) {
    if (thread.isAlive()) list.add(thread);
    else alive.delete(thread);
  }
  return [...list];
}

/**
 * The number of live threads; equals `enumerate().length`.
 *
 * @example Usage
 * ```ts
 * import { activeCount, enumerate } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(activeCount(), enumerate().length);
 * ```
 */
export function activeCount(): number {
  return enumerate().length;
}
