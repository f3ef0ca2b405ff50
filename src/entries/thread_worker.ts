/**
 * The module every thread's worker starts on. It waits for its start message,
 * runs the thread and reports the outcome through shared memory and a port
 * that the owner can read synchronously.
 *
 * Starting a worker costs mostly the code it loads and compiles: in Bun, where
 * a bare worker starts in a few milliseconds, each module adds about half a
 * millisecond and each async function a quarter on its first call. So this
 * module is small, imports only the protocol (the thread's messages, and from
 * `_shm/` its control block, fates and slots), the worker side of the runtime
 * adapter, the test for "does this value need the codec" and the core of the
 * error serializer (and no types from elsewhere: Bun resolves type-only
 * imports too), and runs a plain function target at once. Workers start on
 * `thread_worker_entry.generated.ts`, this module with those seven inlined
 * (written by `scripts/bundle_worker_entry.mjs`: run it after editing any of
 * the eight), so that they load one module, not eight. The rest loads
 * when the thread needs it: `_worker_run.ts` for shared objects among the
 * args, a `moduleFunction` target or a `Thread` subclass; the codecs for a
 * return value or an error that need them; the library when the target
 * imports it.
 *
 * @module
 */
import {
  bootWorker,
  exitThread,
  onThreadClose,
  onThreadExit,
  onUncaughtError,
  type ParentHandle,
  writeStderr,
} from "../runtime/worker_scope.ts";
import {
  DIED,
  DONE,
  EXIT_CODE,
  RUNNING,
  STATE,
  WORKER_GONE,
} from "../_shm/control_block.ts";
import { DIRECTORY_SLOT, SELF_SLOT, type SelfSlot } from "../_shm/slots.ts";
import {
  DONE_MESSAGE,
  needsLibrary,
  type Outcome,
  type StartMessage,
} from "../thread/_protocol.ts";
import { ENDED, FAILED, recordFate } from "../_shm/fates.ts";
import { needsCodec } from "../transfer/needs_codec.ts";
import { briefError } from "../transfer/serialized_error.ts";

type Target = (...args: unknown[]) => unknown;

bootWorker(start);

/** One thread's run: what the functions below share. */
interface Run {
  parent: ParentHandle;
  message: StartMessage;
  control: Int32Array;
  slot: SelfSlot;
  /** Whether the outcome went out. */
  reported: boolean;
  lastUncaught?: unknown;
}

// The way from the start message to a plain outcome is one function, without
// async functions or promises: a fresh worker compiles each function on its
// first call, at a cost that grows with the function's text (in Bun, where a
// bare worker starts in a few milliseconds, about a tenth of one for a
// mid-sized function; a quarter for the first call of an async function).
// What only some threads need lives in functions of its own.
function start(data: unknown, parent: ParentHandle): void {
  const message = data as StartMessage;
  if (message?.type !== "thread") return;
  parent.close();
  const control = new Int32Array(message.control);
  const slot: SelfSlot = {
    name: message.name,
    ident: message.ident,
    daemon: message.daemon,
    control,
    globals: message.globals,
  };
  (globalThis as unknown as Record<symbol, SelfSlot>)[SELF_SLOT] = slot;
  if (message.directory !== undefined) {
    (globalThis as unknown as Record<symbol, object>)[DIRECTORY_SLOT] =
      message.directory;
    directoryPort = (message.directory as { port: DirectoryPort }).port;
  }
  const run: Run = { parent, message, control, slot, reported: false };
  onThreadExit((code) => exited(run, code));
  onThreadClose(() => exited(run, 0));
  const spec = message.target;
  let result: unknown;
  try {
    if (
      spec.kind === "module" || message.args.h ||
      message.classLevels !== undefined ||
      (spec.kind === "function" && needsLibrary(spec.source))
    ) {
      result = runLoaded(message);
    } else if (spec.kind === "function") {
      // The program made by transfer/function_source.ts.
      const target = (0, eval)(spec.source) as Target;
      result = target(...message.args.v as unknown[]);
    }
  } catch (error) {
    threw(run, error);
    return;
  }
  const type = typeof result;
  if (
    (type === "object" && result !== null) || type === "function" ||
    type === "symbol"
  ) {
    settleLater(run, result);
    return;
  }
  // A primitive goes out at once: even a promise job costs a fresh worker
  // a tenth of a millisecond, and the owner waits for it.
  post(run, { ok: true, value: { h: false, v: result } });
  // Errors nobody caught arrive from the event loop only, so the hook
  // needs to be in place once the target returned, not before.
  onUncaughtError((error) => uncaught(run, error));
  void end(slot);
}

// Deno loads every string-literal `import()` of a module together with the
// module (its module graph follows them), which would load the whole library
// before a worker's first line runs; a computed URL loads only when called.
const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
function lazy<T>(path: string): Promise<T> {
  return import(new URL(path + extension, import.meta.url).href) as Promise<T>;
}

// What this module uses of the modules it loads lazily (declared here: Bun
// resolves type-only imports too).
interface WorkerRunModule {
  runThreadBody(message: StartMessage): Promise<unknown>;
}
interface FailureModule {
  failure(
    error: unknown,
    value: unknown,
    failed: boolean,
    threadName: string,
    source?: string,
  ): Outcome;
}
interface CodecModule {
  encode(value: unknown, path: string): { h: boolean; v: unknown };
}
interface ThreadModule {
  formatThrown(error: unknown): string;
}

/**
 * Runs a target that needs `_worker_run.ts`: a module function, a `Thread`
 * subclass, or shared objects among the args.
 */
function runLoaded(message: StartMessage): Promise<unknown> {
  return lazy<WorkerRunModule>("../thread/_worker_run").then((
    { runThreadBody },
  ) => runThreadBody(message));
}

function threw(run: Run, error: unknown): void {
  onUncaughtError((error) => uncaught(run, error));
  void Promise.resolve(rejected(run, error)).then(() => end(run.slot));
}

function post(run: Run, outcome: Outcome): void {
  // Closed with `close()`, which lets the current task run on: it ended.
  if (Atomics.load(run.control, STATE) === DIED) return;
  run.reported = true;
  // For lock waiters: a lock this thread still holds has lost its holder.
  recordFate(
    run.message.globals,
    run.message.ident,
    outcome.ok ? ENDED : FAILED,
  );
  run.message.port.postMessage(outcome);
  Atomics.store(run.control, STATE, DONE);
  Atomics.notify(run.control, STATE);
  run.parent.postMessage(DONE_MESSAGE);
}

/** The thread's own code called `process.exit()`/`Deno.exit()`/`close()`. */
function exited(run: Run, code: number): void {
  run.slot.stopChildren?.();
  const control = run.control;
  Atomics.store(control, EXIT_CODE, code);
  if (Atomics.compareExchange(control, STATE, RUNNING, DIED) === RUNNING) {
    recordFate(run.message.globals, run.message.ident, FAILED);
    Atomics.notify(control, STATE);
  }
}

function uncaught(run: Run, error: unknown): void {
  // Some runtimes deliver one error through two channels.
  if (run.lastUncaught === error && error !== undefined) return;
  run.lastUncaught = error;
  if (run.reported) {
    void lateError(run.message.name, error);
  } else {
    // Synchronously: the target may block this thread right afterwards.
    post(run, { ok: false, error: briefError(error) });
    void end(run.slot);
  }
}

/** Reports the target's error, or what sending its return value threw. */
function fail(
  run: Run,
  error: unknown,
  value: unknown,
  failed: boolean,
): Promise<void> {
  return lazy<FailureModule>("../thread/_worker_failure").then(({ failure }) =>
    post(run, failure(error, value, failed, run.message.name, sourceOf(run)))
  );
}

/** The code the thread ran, for the advice on a missing variable. */
function sourceOf({ message }: Run): string {
  return [
    message.target.kind === "function" ? message.target.source : "",
    ...(message.classLevels ?? []),
    ...Object.values(message.fieldFunctions ?? {}),
  ].join("\n");
}

function rejected(run: Run, error: unknown): Promise<void> | undefined {
  return run.reported ? undefined : fail(run, error, error, true);
}

/** Settles an object, a function or a symbol the target returned: awaits a promise, encodes shared objects. */
function settleLater(run: Run, result: unknown): void {
  onUncaughtError((error) => uncaught(run, error));
  const settle = (value: unknown): void | Promise<void> => {
    if (run.reported) return;
    if (needsCodec(value, new Set())) {
      return lazy<CodecModule>("../transfer/codec").then(({ encode }) =>
        post(run, { ok: true, value: encode(value, "the return value") })
      ).catch((error) => fail(run, error, value, false));
    }
    try {
      post(run, { ok: true, value: { h: false, v: value } });
    } catch (error) {
      return fail(run, error, value, false);
    }
  };
  const thenable = result !== null &&
    typeof (result as { then?: unknown }).then === "function";
  void (thenable
    ? Promise.resolve(result).then(settle, (error) => rejected(run, error))
    : Promise.resolve(settle(result))).then(() => end(run.slot));
}

// Like Python's process, the worker outlives its target while non-daemon
// threads that it started still run (ending the worker would stop them).
let ending: Promise<void> | undefined;
function end(slot: SelfSlot): Promise<void> {
  return ending ??= (slot.childrenEnded?.() ?? Promise.resolve()).then(
    () => {
      // The shared-buffer directory may stop reading this thread's port
      // (after what the thread posted on it before).
      directoryPort?.postMessage({ t: "bye" });
      // Its daemon threads end with it.
      slot.stopChildren?.();
      // The parent's worker may end now (nothing of this one is left to stop).
      Atomics.store(slot.control, WORKER_GONE, 1);
      Atomics.notify(slot.control, WORKER_GONE);
      exitThread();
    },
  );
}

/** The part of this thread's port to the shared-buffer directory used here. */
interface DirectoryPort {
  postMessage(message: unknown): void;
}
let directoryPort: DirectoryPort | undefined;

async function lateError(name: string, error: unknown): Promise<void> {
  const { formatThrown } = await lazy<ThreadModule>("../thread/thread");
  writeStderr(
    `Exception in thread ${name} after its target returned:\n${
      formatThrown(error)
    }\n`,
  );
}
