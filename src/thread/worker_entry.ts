/**
 * The module every thread's worker starts on. It waits for its start message,
 * runs the thread and reports the outcome through shared memory and a port
 * that the owner can read synchronously.
 *
 * Starting a worker costs mostly the code it loads and compiles: in Bun, where
 * a bare worker starts in a few milliseconds, each module adds about half a
 * millisecond and each async function a quarter on its first call. So this
 * module is small, imports only the protocol and the worker side of the
 * runtime adapter (and no types from elsewhere: Bun resolves type-only
 * imports too), and runs a plain function target at once. The rest loads
 * when the thread needs it: `_worker_run.ts` for shared objects among the
 * args, a `moduleFunction` target or a `Thread` subclass; the codecs for a
 * return value or an error that need them; the library when the target
 * imports it.
 *
 * @module
 */
import {
  exitThread,
  findParent,
  onThreadExit,
  onUncaughtError,
  type ParentHandle,
  writeStderr,
} from "../runtime/worker_scope.ts";
import {
  DIED,
  DONE,
  DONE_MESSAGE,
  ENDED,
  EXIT_CODE,
  FAILED,
  type Outcome,
  recordFate,
  RUNNING,
  SELF_SLOT,
  type SelfSlot,
  type StartMessage,
  STATE,
} from "./_protocol.ts";

type Target = (...args: unknown[]) => unknown;

// Listens before the first `await`: web workers drop earlier messages.
const found = findParent();
if (found instanceof Promise) void found.then(listen);
else listen(found);

function listen(parent: ParentHandle | null): void {
  parent?.onMessage((data) => {
    const message = data as StartMessage;
    if (message?.type === "thread") {
      parent.close();
      void runThread(parent, message);
    }
  });
}

// Written without async functions: each one costs a worker about a quarter
// of a millisecond on its first call in Bun, where a bare worker starts in a
// few.
function runThread(parent: ParentHandle, message: StartMessage): void {
  const control = new Int32Array(message.control);
  const slot: SelfSlot = {
    name: message.name,
    ident: message.ident,
    daemon: message.daemon,
    control,
    globals: message.globals,
  };
  (globalThis as unknown as Record<symbol, SelfSlot>)[SELF_SLOT] = slot;
  let reported = false;
  const post = (outcome: Outcome): void => {
    reported = true;
    // For lock waiters: a lock this thread still holds has lost its holder.
    recordFate(message.globals, message.ident, outcome.ok ? ENDED : FAILED);
    message.port.postMessage(outcome);
    Atomics.store(control, STATE, DONE);
    Atomics.notify(control, STATE);
    parent.postMessage(DONE_MESSAGE);
  };
  onThreadExit((code) => {
    Atomics.store(control, EXIT_CODE, code);
    if (Atomics.compareExchange(control, STATE, RUNNING, DIED) === RUNNING) {
      recordFate(message.globals, message.ident, FAILED);
      Atomics.notify(control, STATE);
    }
  });
  let lastUncaught: unknown;
  onUncaughtError((error) => {
    // Some runtimes deliver one error through two channels.
    if (lastUncaught === error && error !== undefined) return;
    lastUncaught = error;
    if (reported) {
      void lateError(message.name, error);
    } else {
      // Synchronously: the target may block this thread right afterwards.
      post({ ok: false, error: briefError(error) });
      void end(slot);
    }
  });

  // The target's error, or what sending its return value threw.
  const fail = (error: unknown, value: unknown, failed: boolean) =>
    import("./_worker_failure.ts").then(({ failure }) =>
      post(failure(error, value, failed, message.name))
    );
  const settle = (value: unknown): void | Promise<void> => {
    if (reported) return;
    if (needsCodec(value, new Set())) {
      return import("../transfer/codec.ts").then(({ encode }) =>
        post({ ok: true, value: encode(value, "the return value") })
      ).catch((error) => fail(error, value, false));
    }
    try {
      post({ ok: true, value: { h: false, v: value } });
    } catch (error) {
      return fail(error, value, false);
    }
  };
  let result: unknown;
  try {
    result = runBody(message);
  } catch (error) {
    result = Promise.reject(error);
  }
  void Promise.resolve(result)
    .then(settle, (error) => reported ? undefined : fail(error, error, true))
    .then(() => end(slot));
}

// Like Python's process, the worker outlives its target while non-daemon
// threads that it started still run (ending the worker would stop them).
let ending: Promise<void> | undefined;
function end(slot: SelfSlot): Promise<void> {
  return ending ??= (slot.childrenEnded?.() ?? Promise.resolve()).then(
    exitThread,
  );
}

/**
 * Calls the target with its args and returns what it returns. A plain
 * function target with plain args runs at once; anything else goes through
 * `_worker_run.ts`, loaded for it.
 */
function runBody(message: StartMessage): unknown {
  const spec = message.target;
  if (
    spec.kind === "module" || message.args.h ||
    message.classLevels !== undefined
  ) {
    return import("./_worker_run.ts").then(({ runThreadBody }) =>
      runThreadBody(message)
    );
  }
  if (spec.kind === "none") return undefined;
  const target = new Function(`return (${spec.source});`)() as Target;
  return target(...message.args.v as unknown[]);
}

async function lateError(name: string, error: unknown): Promise<void> {
  const { formatThrown } = await import("./thread.ts");
  writeStderr(
    `Exception in thread ${name} after its target returned:\n${
      formatThrown(error)
    }\n`,
  );
}

/**
 * An uncaught error in the shape `serializeError` gives, without loading it:
 * name, message and stack (Python's view of an error), or the thrown value.
 */
function briefError(error: unknown): object {
  if (error instanceof Error) {
    const { name, message, stack } = error;
    return { error: true, name, message, stack };
  }
  try {
    return { error: false, value: structuredClone(error) };
  } catch {
    return { error: false, value: String(error) };
  }
}

// The symbol shareable classes implement (transfer/shareable.ts), by its
// global registry key: importing that module here would slow every start.
const toShared = Symbol.for("@threading/threading.toShared");

/**
 * Whether a return value needs the codec: it holds a function or a symbol
 * (which the codec explains) or a shared object (which it turns into a
 * handle). Plain data goes to `postMessage` as it is.
 */
function needsCodec(value: unknown, seen: Set<object>): boolean {
  if (typeof value === "function" || typeof value === "symbol") return true;
  if (typeof value !== "object" || value === null) return false;
  if (toShared in value) return true;
  if (seen.has(value)) return false;
  seen.add(value);
  if (Array.isArray(value)) return value.some((v) => needsCodec(v, seen));
  if (value instanceof Map) {
    for (const [k, v] of value) {
      if (needsCodec(k, seen) || needsCodec(v, seen)) return true;
    }
    return false;
  }
  if (value instanceof Set) {
    for (const v of value) if (needsCodec(v, seen)) return true;
    return false;
  }
  if (Object.prototype.toString.call(value) !== "[object Object]") {
    return false;
  }
  for (const key of Object.keys(value)) {
    if (needsCodec((value as Record<string, unknown>)[key], seen)) return true;
  }
  return false;
}
