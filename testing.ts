/**
 * Leak checks for test suites that use threads, on `deno test`, `bun test`
 * and `node --test` alike.
 *
 * A test that leaves a thread running, an executor open or a `get()`
 * waiting passes silently, and an error of a thread nobody joined reaches
 * only `Thread.excepthook` (under `bun test` it may never be seen). Import
 * this module in a test file, then call {@linkcode assertNoLeaks} at the end
 * of each test (or in an `afterEach` hook), or wrap the test's function in
 * {@linkcode withLeakCheck}. The check fails the test with a
 * {@linkcode LeakError} that names each leak: a non-daemon thread still
 * alive (and whether it is blocked in a wait), an executor that was never
 * shut down, an async wait of the calling thread still pending, and an error
 * of a thread that nobody joined, each with where it was started.
 *
 * Each check looks at what was started since the previous check (or since
 * this module was imported), so each leak is blamed on the test that caused
 * it, once.
 *
 * @example Usage
 * ```ts
 * import { Thread } from "@threading/threading";
 * import { assertNoLeaks } from "@threading/threading/testing";
 *
 * // The end of a test (or `afterEach(() => assertNoLeaks())`):
 * await new Thread({ target: () => 42 }).start().join();
 * await assertNoLeaks(); // resolves: the thread was joined
 * ```
 *
 * @module
 */
import { watch, type Watcher } from "./src/_shm/watch.ts";
import type { Thread } from "./src/thread/thread.ts";

/**
 * One thing a test left behind, as {@linkcode LeakError} lists it.
 *
 * @example Usage
 * ```ts
 * import { ThreadPoolExecutor } from "@threading/threading";
 * import { assertNoLeaks, type Leak, LeakError } from "@threading/threading/testing";
 * import assert from "node:assert/strict";
 *
 * const pool = new ThreadPoolExecutor({ maxWorkers: 1, threadNamePrefix: "open" });
 * const error = await assertNoLeaks().catch((e: unknown) => e);
 * assert.ok(error instanceof LeakError);
 * const leak: Leak = error.leaks[0];
 * assert.equal(leak.kind, "executor");
 * assert.equal(leak.name, "open");
 * await pool.shutdown();
 * ```
 */
export interface Leak {
  /**
   * What leaked: a non-daemon `"thread"` still alive, an `"executor"` never
   * shut down, a `"wait"` of the calling thread still pending, or an
   * `"unjoined-error"`: a thread that failed while nobody joined it.
   */
  kind: "thread" | "executor" | "wait" | "unjoined-error";
  /** The thread's or executor's name; `undefined` for a wait. */
  name: string | undefined;
  /** The thread's ident; `undefined` for executors and waits. */
  ident: number | undefined;
  /** The first frame outside the library where it was started or created. */
  startedAt: string;
  /** For a thread: whether it is blocked in a wait right now. */
  waiting?: boolean;
  /** For an `"unjoined-error"`: the thread's error. */
  error?: unknown;
  /** One line that says all of the above. */
  description: string;
}

/**
 * What a test left behind: its message lists every {@linkcode Leak}, one a
 * line; `leaks` holds them.
 *
 * @example Usage
 * ```ts
 * import { ThreadPoolExecutor } from "@threading/threading";
 * import { assertNoLeaks, LeakError } from "@threading/threading/testing";
 * import assert from "node:assert/strict";
 *
 * const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const error = await assertNoLeaks().catch((e) => e);
 * assert.ok(error instanceof LeakError);
 * assert.equal(error.leaks[0].kind, "executor");
 * await pool.shutdown();
 * ```
 */
export class LeakError extends Error {
  /** Every leak found, in the order: threads, executors, waits, errors. */
  readonly leaks: Leak[];

  /** Creates the error from its leaks. */
  constructor(leaks: Leak[], options?: ErrorOptions) {
    super(
      `The test left ${leaks.length} thing${
        leaks.length === 1 ? "" : "s"
      } behind:\n${leaks.map((leak) => `  - ${leak.description}`).join("\n")}`,
      options,
    );
    this.name = "LeakError";
    this.leaks = leaks;
  }
}

/**
 * Options for {@linkcode assertNoLeaks} and {@linkcode withLeakCheck}.
 *
 * @example Usage
 * ```ts
 * import { Thread } from "@threading/threading";
 * import { assertNoLeaks, type LeakCheckOptions } from "@threading/threading/testing";
 *
 * new Thread({ target: () => 1 }).start(); // not joined, but ends on its own
 * const options: LeakCheckOptions = { timeout: 10_000 };
 * await assertNoLeaks(options); // gives the thread up to 10 s to end
 * ```
 */
export interface LeakCheckOptions {
  /**
   * How long (ms) to let threads end, executors shut down and waits settle
   * before they count as leaks.
   *
   * @default {0}
   */
  timeout?: number;
}

interface ThreadRecord {
  thread: Thread;
  settle: () => void;
  isWaiting: () => boolean;
  startedAt: string;
}

interface ExecutorRecord {
  name: string;
  isShutDown: () => boolean;
  startedAt: string;
}

interface WaitRecord {
  startedAt: string;
}

interface ErrorRecord {
  thread: Thread;
  error: unknown;
  startedAt: string;
}

let threads = new Map<Thread, ThreadRecord>();
let executors: ExecutorRecord[] = [];
let waits = new Set<WaitRecord>();
let errors: ErrorRecord[] = [];

// Frames of the library itself: this module's folder holds mod.ts, testing.ts
// and src/ (on JSR and in the npm package's esm/ alike).
const libraryRoot = new URL("./", import.meta.url);
const libraryPrefixes = [
  new URL("src/", libraryRoot).href,
  new URL("mod.", libraryRoot).href,
  new URL("testing.", libraryRoot).href,
].flatMap((href) => [href, decodeURIComponent(new URL(href).pathname)]);

/** The first stack frame outside the library and the runtime, or `"unknown"`. */
function callSite(): string {
  const stack = new Error().stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
    const frame = line.trim();
    if (!frame.startsWith("at ")) continue;
    if (libraryPrefixes.some((prefix) => frame.includes(prefix))) continue;
    if (
      /\((?:node|ext|native):|\bat (?:node|ext|native):|\((?:native|<anonymous>)\)$/
        .test(frame)
    ) {
      continue;
    }
    const location = /\((.*)\)$/.exec(frame)?.[1] ?? frame.slice(3);
    return location;
  }
  return "unknown";
}

const watcher: Watcher<Thread> = {
  threadStarted(thread, settle, isWaiting) {
    threads.set(thread, { thread, settle, isWaiting, startedAt: callSite() });
  },
  threadUnhandled(thread, error) {
    const record = threads.get(thread);
    // Errors of threads that earlier tests started are theirs, already
    // reported as leaked threads; they still reach Thread.excepthook.
    if (record !== undefined) {
      errors.push({ thread, error, startedAt: record.startedAt });
    }
  },
  executorCreated(name, isShutDown) {
    executors.push({ name, isShutDown, startedAt: callSite() });
  },
  waitStarted() {
    const record = { startedAt: callSite() };
    waits.add(record);
    return () => waits.delete(record);
  },
};
watch.current = watcher;

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function collect(): Leak[] {
  for (const record of threads.values()) record.settle();
  const leaks: Leak[] = [];
  for (const { thread, isWaiting, startedAt } of threads.values()) {
    if (!thread.isAlive() || thread.daemon) continue;
    const waiting = isWaiting();
    leaks.push({
      kind: "thread",
      name: thread.name,
      ident: thread.ident ?? undefined,
      startedAt,
      waiting,
      description: `thread ${thread.name} (ident ${thread.ident}) is still ${
        waiting ? "blocked in a wait" : "running"
      }: join() it, or make it a daemon; started at ${startedAt}`,
    });
  }
  for (const { name, isShutDown, startedAt } of executors) {
    if (isShutDown()) continue;
    leaks.push({
      kind: "executor",
      name,
      ident: undefined,
      startedAt,
      description:
        `executor ${name} was not shut down: call shutdown() or use \`await using\`; created at ${startedAt}`,
    });
  }
  for (const { startedAt } of waits) {
    leaks.push({
      kind: "wait",
      name: undefined,
      ident: undefined,
      startedAt,
      description:
        `a wait is still pending (a get(), acquire(), wait() or join() nobody awaited to its end); started at ${startedAt}`,
    });
  }
  for (const { thread, error, startedAt } of errors) {
    leaks.push({
      kind: "unjoined-error",
      name: thread.name,
      ident: thread.ident ?? undefined,
      startedAt,
      error,
      description:
        `thread ${thread.name} (ident ${thread.ident}) failed and nobody joined it: ${
          describeError(error)
        }; started at ${startedAt}`,
    });
  }
  return leaks;
}

/** Forgets everything recorded so far: the next check starts from here. */
function forget(): void {
  threads = new Map();
  executors = [];
  waits = new Set();
  errors = [];
}

function validateOptions(options: LeakCheckOptions): number {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot check for leaks as 'options' must be an object: received ${options}`,
    );
  }
  const timeout = options.timeout ?? 0;
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot check for leaks as 'timeout' must be a non-negative number: received ${timeout}`,
    );
  }
  return timeout;
}

/**
 * Fails when the code run since the previous check (or since this module was
 * imported) left something behind: non-daemon threads still alive, executors
 * not shut down, async waits of this thread still pending, or errors of
 * threads that nobody joined. Then starts afresh, so that each leak is
 * reported once, by the check after the test that caused it.
 *
 * @param options How long to give threads, executors and waits to finish.
 * @returns A promise that resolves when nothing leaked.
 * @throws {LeakError} naming each leak and where it was started.
 * @throws {RangeError} when `timeout` is negative or `NaN`.
 *
 * @example Usage
 * ```ts
 * import { Thread } from "@threading/threading";
 * import { assertNoLeaks, LeakError } from "@threading/threading/testing";
 * import assert from "node:assert/strict";
 *
 * const stop = new Int32Array(new SharedArrayBuffer(4));
 * const thread = new Thread({
 *   target: (stop: Int32Array) => Atomics.wait(stop, 0, 0),
 *   args: [stop],
 * }).start();
 * await assert.rejects(assertNoLeaks(), LeakError); // still running
 * Atomics.store(stop, 0, 1);
 * Atomics.notify(stop, 0);
 * await thread.join();
 * await assertNoLeaks(); // reported once; nothing new since
 * ```
 */
export async function assertNoLeaks(
  options: LeakCheckOptions = {},
): Promise<void> {
  const timeout = validateOptions(options);
  const deadline = performance.now() + timeout;
  let leaks = collect();
  // Errors are final; threads, executors and waits may still end in time.
  while (
    leaks.some((leak) => leak.kind !== "unjoined-error") &&
    performance.now() < deadline
  ) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(10, deadline - performance.now()))
    );
    leaks = collect();
  }
  forget();
  if (leaks.length > 0) {
    const firstError = leaks.find((leak) => leak.kind === "unjoined-error");
    throw new LeakError(
      leaks,
      firstError === undefined ? undefined : { cause: firstError.error },
    );
  }
}

/**
 * Wraps a test function: what it starts must be gone when it returns, as
 * {@linkcode assertNoLeaks} checks. What was started before it ran is not its
 * business. When the function throws, its error is the test's failure and
 * the check is skipped.
 *
 * @typeParam A The test function's parameters (such as a test context).
 * @param fn The test's function.
 * @param options How long to give threads, executors and waits to finish.
 * @returns A function for the test runner that runs `fn`, then the check.
 *
 * @example Usage
 * ```ts
 * import { Queue, Thread } from "@threading/threading";
 * import { withLeakCheck } from "@threading/threading/testing";
 * import assert from "node:assert/strict";
 *
 * // test("a thread puts one item", withLeakCheck(async () => { ... }));
 * const testFn = withLeakCheck(async () => {
 *   const queue = new Queue<number>();
 *   const thread = new Thread({
 *     target: (q: Queue<number>) => q.putSync(1),
 *     args: [queue],
 *   }).start();
 *   assert.equal(await queue.get(), 1);
 *   await thread.join();
 * });
 * await testFn(); // resolves: nothing was left behind
 * ```
 */
export function withLeakCheck<A extends unknown[]>(
  fn: (...args: A) => unknown,
  options: LeakCheckOptions = {},
): (...args: A) => Promise<void> {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot wrap test as 'fn' must be a function: received ${typeof fn}`,
    );
  }
  validateOptions(options);
  return async (...args: A): Promise<void> => {
    forget();
    try {
      await fn(...args);
    } catch (error) {
      forget();
      throw error;
    }
    await assertNoLeaks(options);
  };
}
