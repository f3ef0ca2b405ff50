import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
} from "../runtime/message_channel.ts";
import { inspect } from "node:util";
import { ThreadExitError, ThreadStateError, TimeoutError } from "../errors.ts";
import { runtime } from "../runtime/detect.ts";
import { exitThread } from "../runtime/worker_scope.ts";
import { unreadableModule } from "../runtime/unreadable_module.ts";
import { decode, encodeChecked, type Encoded } from "../transfer/codec.ts";
import {
  deserializeError,
  type SerializedError,
} from "../transfer/error_codec.ts";
import type { TargetArgs } from "../transfer/sendable.ts";
import { checkArity } from "../transfer/function_source.ts";
import { callerOrigin, type Origin } from "../transfer/_origin.ts";
import { launchDirectory, linkForNewThread } from "../transfer/_directory.ts";
import { deadlineOf } from "../_shm/deadline.ts";
import {
  type Attempt,
  sleepOn,
  waitLoopAsync,
  waitLoopSync,
} from "../_shm/wait_loop.ts";
import { notify, onceChanged, waitPlain } from "../_shm/futex.ts";
import { watch } from "../_shm/watch.ts";
import {
  validateSignal,
  validateTimeout,
  type WaitOptions,
  type WaitSyncOptions,
} from "../wait_options.ts";
import {
  checkArray,
  checkBoolean,
  checkOptions,
  invalid,
} from "../validate.ts";
import {
  globalsBuffer,
  nextIdent,
  nextThreadNumber,
  setFate,
} from "../_shm/globals.ts";
import {
  CONTROL_CELLS,
  DIED,
  DONE,
  EXIT_CODE,
  RUNNING,
  STATE,
  WAITING,
  WORKER_GONE,
} from "../_shm/control_block.ts";
import {
  DONE_MESSAGE,
  type Outcome,
  type StartMessage,
  type TargetSpec,
} from "./_protocol.ts";
import { ENDED, FAILED, TERMINATED } from "../_shm/fates.ts";
import { selfSlot } from "../_shm/slots.ts";
import { setThreadExit } from "../_shm/stop.ts";
import { classLevels, ownFields } from "./_class_source.ts";
import { prepareSpareWorker, spawnThreadWorker } from "./_spare_worker.ts";
import { checkFunctionOrModule, ModuleFunction } from "./module_function.ts";
import { specOf } from "./target_spec.ts";
import {
  currentThread,
  setMainThreadFactory,
  setSelfThreadFactory,
  trackedThreads,
  trackThread,
  trackWorker,
  untrackThread,
  untrackWorker,
} from "./registry.ts";
import { getIdent } from "../_shm/ident.ts";

/**
 * What a thread runs: a self-contained function, or a module's export.
 *
 * @example Usage
 * ```ts
 * import { Thread, type ThreadTarget } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const add: ThreadTarget<number, [number, number]> = (a: number, b: number) => a + b;
 * assert.equal(await new Thread({ target: add, args: [1, 2] }).start().join(), 3);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type ThreadTarget<T = unknown, A extends unknown[] = any[]> =
  | ((...args: A) => T | Promise<T>)
  | ModuleFunction<A, T>;

/**
 * Options for {@linkcode Thread}: `args` is required when the target has
 * required parameters.
 *
 * @typeParam T What the target returns (awaited).
 * @typeParam A The target's parameters.
 *
 * @example Usage
 * ```ts
 * import { Thread, type ThreadOptions } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const options: ThreadOptions<number, [number]> = {
 *   target: (n: number) => n * 2,
 *   args: [21],
 *   name: "doubler",
 *   daemon: false,
 * };
 * assert.equal(await new Thread(options).start().join(), 42);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type ThreadOptions<T = unknown, A extends unknown[] = any[]> =
  & ThreadOptionFields<T, A>
  & ArgsRequired<A>;

/** The fields of {@linkcode ThreadOptions}. */
// deno-lint-ignore no-explicit-any
export interface ThreadOptionFields<T = unknown, A extends unknown[] = any[]> {
  /**
   * The function to run, sent to the thread as source text (it must be
   * self-contained), or a {@linkcode ModuleFunction}. Subclasses that override
   * `run()` leave it out.
   */
  target?: ThreadTarget<T, A>;
  /**
   * Arguments for the target: structured-cloneable values and shared objects.
   * Required when the target has required parameters; their types follow
   * the target's parameters (functions, symbols and class instances with
   * methods cannot travel).
   */
  args?: NoInfer<TargetArgs<A>>;
  /**
   * The thread's name.
   *
   * @default {"Thread-N (targetName)"}
   */
  name?: string;
  /**
   * Whether the thread is a daemon: daemon threads never keep the process
   * alive and are stopped when it exits.
   *
   * @default {the creating thread's daemon flag (false on the main thread)}
   */
  daemon?: boolean;
}

/**
 * Makes `args` required in {@linkcode ThreadOptions} when the target has
 * required parameters.
 *
 * @typeParam A The target's parameters.
 */
export type ArgsRequired<A extends unknown[]> = [] extends A ? unknown
  : { args: unknown };

/**
 * What `join()` of a thread resolves with: what its `run()` returns, awaited
 * (so that a subclass without a type argument gets its `run()`'s type).
 *
 * @typeParam X The thread.
 */
export type ThreadResult<X> = X extends { run(): infer R } ? Awaited<R>
  : never;

/**
 * What {@linkcode Thread.excepthook} receives, like Python's `ExceptHookArgs`.
 *
 * @example Usage
 * ```ts
 * import { type ExceptHookArgs, Thread } from "@threading/threading";
 *
 * const previous = Thread.excepthook;
 * Thread.excepthook = (args: ExceptHookArgs) => {
 *   console.error(`${args.thread?.name}: ${args.excType}: ${args.excValue}`);
 * };
 * Thread.excepthook = previous;
 * ```
 */
export interface ExceptHookArgs {
  /** The error (or other value) the thread ended with. */
  error: unknown;
  /** The error's class name, such as `"TypeError"`; `typeof` for other values. */
  excType: string;
  /** The same value as `error` (Python's `exc_value`). */
  excValue: unknown;
  /** The error's stack, when it is an `Error` (Python's `exc_traceback`). */
  excTraceback: string | undefined;
  /** The thread that raised it, or `null` when unknown. */
  thread: Thread | null;
}

// Set just before the library itself builds the main thread's or a worker's own
// `Thread` object, which then describes an existing thread instead of a new one.
let pendingSelfInit: SelfInit | undefined;
/**
 * Called for each thread still tracked when the process exits: waits for a
 * non-daemon thread to end, then records the outcome of a thread that ended
 * although the event loop did not deliver its end yet, so that its error is
 * still reported.
 */
let settleAtExit: (thread: Thread) => void;

const entryUrl = new URL(
  `../entries/thread_worker_entry.generated${
    import.meta.url.endsWith(".ts") ? ".ts" : ".js"
  }`,
  import.meta.url,
);

interface SelfInit {
  ident: number;
  control?: Int32Array;
}

type Kind = "user" | "main" | "self";

// Errors of threads that called `process.exit()`/`Deno.exit()` themselves: the
// default hook ignores them, as Python's ignores `SystemExit`.
const deliberateExits = new WeakSet<object>();

function defaultExcepthook({ error, thread }: ExceptHookArgs): void {
  if (
    typeof error === "object" && error !== null && deliberateExits.has(error)
  ) {
    return;
  }
  runtime.writeStderr(
    `Exception in thread ${thread?.name ?? getIdent()}:\n${
      formatThrown(error)
    }\n`,
  );
}

/** Renders a thrown value for stderr: an error's stack, or the value inspected. */
export function formatThrown(error: unknown): string {
  if (error instanceof Error) {
    const header = `${error.name}: ${error.message}`;
    const stack = error.stack ?? header;
    return stack.includes(error.message) ? stack : `${header}\n${stack}`;
  }
  return inspect(error);
}

function hookArgs(error: unknown, thread: Thread | null): ExceptHookArgs {
  return {
    error,
    excType: error instanceof Error ? error.name : typeof error,
    excValue: error,
    excTraceback: error instanceof Error ? error.stack : undefined,
    thread,
  };
}

/**
 * A thread of execution that runs in parallel with the others: a worker of the
 * runtime (Deno, Bun or Node) behind Python's `threading.Thread` surface.
 *
 * Pass a `target` (sent as source text, so it must be self-contained) or
 * extend the class and override `run()`; `start()` it, then `join()` it to get
 * the target's return value or its error.
 *
 * @typeParam T What the target returns (awaited).
 *
 * @example Function target
 * ```ts
 * import { Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const thread = new Thread({
 *   target: (nMax: number) => {
 *     let n = 0;
 *     while (n < nMax) n++;
 *     return n;
 *   },
 *   args: [1_000_000],
 * });
 * thread.start();
 * assert.equal(await thread.join(), 1_000_000);
 * ```
 *
 * @example Subclass
 * ```ts
 * import { Thread } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * class Counter extends Thread<number> {
 *   nMax = 1000;
 *   override run(): number {
 *     let n = 0;
 *     while (n < this.nMax) n++;
 *     return n;
 *   }
 * }
 * assert.equal(await new Counter().start().join(), 1000);
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Thread<T = unknown, A extends unknown[] = any[]> {
  /**
   * Called with an error that a thread ended with when nobody had called
   * `join()` on it. The default prints `Exception in thread NAME:` and the
   * stack to stderr. Assign your own to log elsewhere.
   *
   * @example Usage
   * ```ts
   * import { Thread } from "@threading/threading";
   *
   * Thread.excepthook = ({ error, thread }) => {
   *   console.error(`thread ${thread?.name} failed:`, error);
   * };
   * ```
   */
  static excepthook: (args: ExceptHookArgs) => void = defaultExcepthook;

  #kind: Kind = "user";
  #target: ThreadTarget<T, A> | undefined;
  #targetSpec: TargetSpec = { kind: "none" };
  #args: A;
  #encodedArgs: Encoded | undefined;
  #name: string;
  #daemon: boolean;
  #ident: number | null = null;
  #started = false;
  #control: Int32Array | undefined;
  #port: MessagePort | undefined;
  #stop: (() => void) | undefined;
  #stopped = false;
  #outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  #joinCalled = false;
  /** Where a subclass's instance was created: its classes' module. */
  #origin: Origin | undefined;

  /**
   * Creates a thread; nothing runs until {@linkcode Thread.start}.
   *
   * @throws {TypeError} when `target` is not a function or module function, or
   * an argument cannot be cloned (the message names its position).
   */
  constructor(options: ThreadOptions<T, A> = {} as ThreadOptions<T, A>) {
    checkOptions(options, "create thread");
    const init = pendingSelfInit;
    pendingSelfInit = undefined;
    const { target, name, daemon } = options;
    const args = (options.args ?? []) as A;
    if (target !== undefined && target !== null) {
      checkFunctionOrModule(target, "create thread", "target");
      // The object of an existing thread (init) never sends a function, so
      // it does not turn one into source text.
      if (init === undefined || target instanceof ModuleFunction) {
        this.#targetSpec = specOf(target, "the target");
      }
    }
    checkArray(args, "create thread", "args");
    if (typeof target === "function") {
      checkArity(target, args.length, "create thread");
    }
    const givenName = toName(name, "create thread");
    if (daemon !== undefined && daemon !== null) {
      checkBoolean(daemon, "create thread", "daemon");
    }
    this.#target = target ?? undefined;
    this.#args = args;
    if (init !== undefined) {
      this.#kind = init.control === undefined ? "main" : "self";
      this.#ident = init.ident;
      this.#control = init.control;
      this.#started = true;
      this.#name = givenName ?? "MainThread";
      this.#daemon = daemon ?? false;
      return;
    }
    // Primitives need neither the codec's walk nor its clone check.
    this.#encodedArgs = args.every(isPrimitive)
      ? { h: false, v: [...args] }
      : encodeChecked(args, "args");
    // An empty name gets the default, as in Python.
    this.#name = givenName || defaultName(target);
    this.#daemon = daemon ?? currentThread().daemon;
    if (new.target !== Thread) this.#origin = callerOrigin();
  }

  /**
   * The thread's name; not unique. May be changed at any time; a number is
   * converted to a string, as Python's `str()` would.
   *
   * @throws {TypeError} when set to anything but a string or a number.
   */
  get name(): string {
    return this.#name;
  }
  set name(value: string) {
    this.#name = toName(value, "set thread name", false)!;
  }

  /**
   * Whether this is a daemon thread; settable before `start()` only.
   *
   * @throws {ThreadStateError} when set after `start()`.
   */
  get daemon(): boolean {
    return this.#daemon;
  }
  set daemon(value: boolean) {
    if (this.#started) {
      throw new ThreadStateError(
        "Cannot set daemon status of an active thread: set it before start()",
      );
    }
    checkBoolean(value, "set daemon", null);
    this.#daemon = value;
  }

  /** The thread's ident, unique in the process; `null` until `start()`. */
  get ident(): number | null {
    return this.#ident;
  }

  /**
   * Whether the thread runs: true from `start()` until its target has
   * finished.
   */
  isAlive(): boolean {
    if (this.#kind === "main") return true;
    if (!this.#started || this.#outcome !== undefined) return false;
    return Atomics.load(this.#control!, STATE) === RUNNING;
  }

  /**
   * The thread's work, run inside the thread by `start()`. The default calls
   * the target with the args; subclasses override it.
   */
  run(): T | Promise<T> {
    const target = this.#target;
    if (target === undefined) return undefined as T;
    if (target instanceof ModuleFunction) {
      return import(target.url).then((module) =>
        module[target.exportName](...this.#args)
      );
    }
    return target(...this.#args);
  }

  /**
   * Starts the thread: its `run()` executes in a new worker.
   *
   * @returns The thread itself, to chain `join()`.
   * @throws {ThreadStateError} when called a second time.
   */
  start(): this {
    if (this.#started) {
      throw new ThreadStateError(
        "Cannot start thread: threads can only be started once",
      );
    }
    const isSubclass = Object.getPrototypeOf(this) !== Thread.prototype;
    const message: Omit<StartMessage, "control" | "port" | "ident"> = {
      type: "thread",
      globals: globalsBuffer(),
      name: this.#name,
      daemon: this.#daemon,
      target: this.#targetSpec,
      args: this.#encodedArgs!,
    };
    if (isSubclass) {
      message.classLevels = classLevels(this, Thread.prototype, this.#origin);
      const { values, functions } = ownFields(this, this.#origin);
      message.fields = encodeChecked(values, "this");
      message.fieldFunctions = functions;
    }
    const unreadable = unreadableModule(entryUrl);
    if (unreadable !== undefined) {
      this.#failToStart(
        new Error(`Cannot start thread ${this.#name}: ${unreadable}`),
      );
      return this;
    }
    const directory = linkForNewThread();
    // Nothing changes before the worker exists: a failed spawn leaves the
    // thread unstarted.
    const handle = spawnThreadWorker(entryUrl, {
      name: this.#name,
      unrefable: this.#daemon,
    });
    const control = new Int32Array(
      new SharedArrayBuffer(CONTROL_CELLS * Int32Array.BYTES_PER_ELEMENT),
    );
    const { port1, port2 } = new MessageChannel();
    this.#started = true;
    this.#ident = nextIdent();
    this.#control = control;
    this.#port = port1;
    handle.onMessage((data) => {
      if (data === DONE_MESSAGE) this.#finish();
    });
    // Also notices an end that the worker reports only through shared memory
    // (Deno's web workers signal no exit). This wait keeps nothing alive.
    onceChanged(control, STATE, RUNNING, () => this.#finish());
    handle.onError((error) => this.#finish(error));
    handle.onExit((code) => this.#finish(undefined, code));
    this.#stop = () => {
      this.#stopped = true;
      // Before the worker stops: on Deno it may outlive terminate(), and
      // then ends at its next wait in a library primitive (_shm/stop.ts).
      setFate(this.#ident!, TERMINATED);
      handle.terminate();
    };
    running.add(this.#stop);
    trackThread(this);
    if (!this.#daemon) {
      trackWorker(this);
      const gone = (): void => untrackWorker(this);
      handle.onExit(gone);
      handle.onError(gone);
      onceChanged(control, WORKER_GONE, 0, gone);
    }
    watch.current?.threadStarted(
      this,
      () => this.#finish(),
      () => Atomics.load(control, WAITING) > 0,
    );
    hookExit();
    handle.postMessage(
      {
        ...message,
        control: control.buffer,
        port: port2,
        ident: this.#ident,
        directory,
      } satisfies StartMessage,
      directory === undefined ? [port2] : [port2, directory.port],
    );
    launchDirectory();
    return this;
  }

  /**
   * Ends a thread whose worker cannot start: `join()` rejects with `error`,
   * which the excepthook reports if nobody joins by the next turn of the
   * event loop.
   */
  #failToStart(error: Error): void {
    this.#started = true;
    this.#ident = nextIdent();
    this.#control = new Int32Array(
      new SharedArrayBuffer(CONTROL_CELLS * Int32Array.BYTES_PER_ELEMENT),
    );
    Atomics.store(this.#control, STATE, DIED);
    this.#outcome = { ok: false, error };
    setFate(this.#ident, FAILED);
    setTimeout(() => {
      if (!this.#joinCalled) reportUnhandled(error, this);
    });
  }

  /**
   * Waits until the thread ends, without blocking the event loop.
   *
   * @returns The target's (awaited) return value.
   * @throws {ThreadStateError} at once when the thread was never started, or
   * is the calling thread.
   * @throws The thread's own error (same name, message, stack and cause);
   * {@linkcode TimeoutError} when `timeout` ms pass first (the thread keeps
   * running); `signal.reason` when the signal aborts.
   */
  join(options: WaitOptions = {}): Promise<ThreadResult<this>> {
    const timeout = validateTimeout(options.timeout, "join thread");
    const signal = validateSignal(options.signal, "join thread");
    this.#checkJoinable();
    this.#joinCalled = true;
    return this.#join(timeout, signal) as Promise<ThreadResult<this>>;
  }

  async #join(timeout: number, signal: AbortSignal | undefined): Promise<T> {
    if (this.#outcome === undefined) {
      // Keeps the process alive meanwhile, also for a daemon thread.
      await waitLoopAsync(deadlineOf(timeout), this.#ended(timeout), signal);
      this.#finish();
    }
    const outcome = this.#outcome!;
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }

  /**
   * Blocks the calling thread until this thread ends (Python's `join()`).
   *
   * @returns The target's return value.
   * @throws {ThreadStateError} when the thread was never started, or is the
   * calling thread.
   * @throws The thread's own error; {@linkcode TimeoutError} when `timeout`
   * ms pass first.
   */
  joinSync(options: WaitSyncOptions = {}): ThreadResult<this> {
    const timeout = validateTimeout(options.timeout, "join thread");
    this.#checkJoinable();
    this.#joinCalled = true;
    if (this.#outcome === undefined) {
      waitLoopSync(deadlineOf(timeout), this.#ended(timeout), Infinity, true);
      this.#finish();
    }
    const outcome = this.#outcome!;
    if (outcome.ok) return outcome.value as ThreadResult<this>;
    throw outcome.error;
  }

  /**
   * The attempt of a join: done once the thread's state left `RUNNING`;
   * `TimeoutError` once `timeout` ms passed first.
   */
  #ended(timeout: number): Attempt<undefined> {
    const control = this.#control!;
    return (left) => {
      if (Atomics.load(control, STATE) !== RUNNING) return undefined;
      if (left <= 0) {
        throw new TimeoutError(
          `Thread ${this.#name} did not finish within ${timeout} ms`,
        );
      }
      return sleepOn(control, STATE, RUNNING);
    };
  }

  /**
   * A readable description, like Python's `repr()`:
   * `<Thread(name, initial)>`, `<Thread(name, started daemon 3)>`,
   * `<Thread(name, stopped 3)>`, with the subclass's name in place of `Thread`.
   */
  toString(): string {
    let status = !this.#started
      ? "initial"
      : this.#kind === "main" || this.isAlive()
      ? "started"
      : "stopped";
    if (this.#daemon) status += " daemon";
    if (this.#ident !== null) status += ` ${this.#ident}`;
    return `<${this.constructor.name}(${this.#name}, ${status})>`;
  }

  /** Shows {@linkcode Thread.toString} in `console.log` and `util.inspect`. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  #checkJoinable(): void {
    if (this.#kind !== "user") {
      throw new ThreadStateError(
        this === currentThread()
          ? "Cannot join current thread: it would wait for itself"
          : `Cannot join ${this.#name}: only threads started with start() can be joined`,
      );
    }
    if (!this.#started) {
      throw new ThreadStateError(
        "Cannot join thread before it is started: call start() first",
      );
    }
  }

  static {
    settleAtExit = (thread: Thread): void => {
      if (!thread.#started || thread.#kind !== "user") return;
      // Like Python's interpreter at exit, wait for non-daemon threads.
      const control = thread.#control!;
      while (!thread.#daemon && Atomics.load(control, STATE) === RUNNING) {
        waitPlain(control, STATE, RUNNING);
      }
      thread.#finish();
    };
  }

  /** Records the outcome once the worker finished, exited or crashed. */
  #finish(crash?: unknown, exitCode?: number): void {
    if (this.#outcome !== undefined) return;
    const control = this.#control!;
    const state = Atomics.load(control, STATE);
    const received = state === DONE
      ? receiveMessageOnPort(this.#port!)
      : undefined;
    if (received !== undefined) {
      this.#outcome = readOutcome<T>(received.message as Outcome);
    } else if (crash !== undefined) {
      this.#outcome = { ok: false, error: crash };
    } else if (state === RUNNING && exitCode === undefined) {
      return; // Not finished yet.
    } else if (state === DIED) {
      // The thread's own code called process.exit()/Deno.exit().
      const code = exitCode ?? Atomics.load(control, EXIT_CODE);
      const error = new ThreadExitError(
        `Thread ${this.#name} exited with code ${code} before its target returned`,
        code,
      );
      deliberateExits.add(error);
      this.#outcome = { ok: false, error };
    } else {
      this.#outcome = {
        ok: false,
        error: new ThreadExitError(
          `Thread ${this.#name} died before its target returned${
            exitCode !== undefined ? ` (exit code ${exitCode})` : ""
          }`,
          exitCode,
        ),
      };
    }
    // Lock waiters learn that this thread will release nothing any more
    // (the worker records it itself when it can; not when terminated).
    setFate(this.#ident!, this.#outcome.ok ? ENDED : FAILED);
    // Wakes joiners of a thread that ended without reporting.
    if (Atomics.compareExchange(control, STATE, RUNNING, DIED) === RUNNING) {
      notify(control, STATE);
    }
    this.#port!.close();
    running.delete(this.#stop!);
    untrackThread(this);
    // A worker that reported no outcome is gone (Deno's web workers signal
    // no exit).
    if (received === undefined) untrackWorker(this);
    prepareSpareWorker(entryUrl);
    // A daemon thread stopped with its parent ends silently, as in Python.
    if (!this.#outcome.ok && !this.#joinCalled && !this.#stopped) {
      reportUnhandled(this.#outcome.error, this);
    }
  }
}

let exitHooked = false;

// A test runner (deno test, bun test) may end the process as soon as its
// tests are done, while a thread still runs or before the event loop
// delivered the end of one that failed: its error would never be reported.
// On the main thread only (a worker already waits for its threads).
function hookExit(): void {
  if (exitHooked || selfSlot() !== undefined) return;
  exitHooked = true;
  runtime.onThreadExit(() => {
    for (const thread of trackedThreads()) settleAtExit(thread);
  });
}
function isPrimitive(value: unknown): boolean {
  const type = typeof value;
  return value === null || type === "number" || type === "string" ||
    type === "boolean" || type === "undefined" || type === "bigint";
}

function readOutcome<T>(
  outcome: Outcome,
): { ok: true; value: T } | { ok: false; error: unknown } {
  if (!outcome.ok) {
    return {
      ok: false,
      error: deserializeError(outcome.error as SerializedError),
    };
  }
  try {
    return { ok: true, value: decode(outcome.value) as T };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Hands an error nobody joined to `Thread.excepthook`, like Python. */
function reportUnhandled(error: unknown, thread: Thread): void {
  watch.current?.threadUnhandled(thread, error);
  const hook = typeof Thread.excepthook === "function"
    ? Thread.excepthook
    : defaultExcepthook;
  try {
    hook(hookArgs(error, thread));
  } catch (hookError) {
    runtime.writeStderr(
      `Exception in Thread.excepthook:\n${formatThrown(hookError)}\n`,
    );
  }
}

function selfThread(options: ThreadOptions, init: SelfInit): Thread {
  pendingSelfInit = init;
  return new Thread(options);
}

function toName(
  value: unknown,
  action: string,
  optional = true,
): string | undefined {
  if (optional && (value === undefined || value === null)) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") {
    return String(value);
  }
  throw invalid(action, "name", "a string", value);
}

function defaultName(target: unknown): string {
  const n = nextThreadNumber();
  const targetName = target instanceof ModuleFunction
    ? target.exportName
    : typeof target === "function"
    ? target.name
    : "";
  return targetName ? `Thread-${n} (${targetName})` : `Thread-${n}`;
}

// How to stop each thread this thread started and that still runs: a thread
// stops them when it ends (its daemon threads) or exits (all of them), as the
// runtime may not (Deno), and their locks' waiters must learn of it.
const running = new Set<() => void>();
const slot = selfSlot();
if (slot !== undefined) {
  slot.stopChildren = () => {
    for (const stop of [...running]) stop();
  };
}

// A stopped thread that wakes in a library primitive ends there (_shm/stop.ts):
// every thread that can be stopped loads this module before it can wait.
setThreadExit(exitThread);

setMainThreadFactory(() =>
  selfThread({ name: "MainThread", daemon: false }, { ident: 1 })
);
setSelfThreadFactory(({ name, daemon, ident, control }) =>
  selfThread({ name, daemon }, { ident, control })
);

/** Builds the `Thread` object a worker runs as (used by the worker entry). */
export function threadForWorker(
  options: ThreadOptions,
  ident: number,
  control: Int32Array,
): Thread {
  return selfThread(options, { ident, control });
}
