/**
 * The module every thread's worker starts on. It loads the whole library (so
 * that every shareable class can be revived), waits for its start message,
 * runs the thread and reports the outcome through shared memory and a port
 * that the owner can read synchronously.
 *
 * @module
 */
import "../../mod.ts";
import { runtime } from "../runtime/detect.ts";
import { cloneError, decode, encode } from "../transfer/codec.ts";
import { serializeError } from "../transfer/error_codec.ts";
import {
  compileFunction,
  explainMissingVariable,
} from "../transfer/function_source.ts";
import { adoptGlobals } from "./_globals.ts";
import {
  DIED,
  DONE,
  DONE_MESSAGE,
  EXIT_CODE,
  type Outcome,
  RUNNING,
  type StartMessage,
  STATE,
} from "./_protocol.ts";
import { loadModuleFunction } from "./module_function.ts";
import {
  mainThread,
  nonDaemonThreadsEnded,
  setCurrentThread,
} from "./registry.ts";
import { formatThrown, type Thread, threadForWorker } from "./thread.ts";

const parent = runtime.parent();
if (parent !== null) {
  parent.onMessage((data) => {
    const message = data as StartMessage;
    if (message?.type === "thread") {
      parent.close();
      void runThread(message);
    }
  });
}

async function runThread(message: StartMessage): Promise<void> {
  adoptGlobals(message.globals);
  const control = new Int32Array(message.control);
  const port = message.port;
  let reported = false;
  let ending: Promise<void> | undefined;
  const report = (outcome: Outcome, value?: unknown) => {
    reported = true;
    try {
      port.postMessage(outcome);
    } catch (error) {
      port.postMessage(
        {
          ok: false,
          error: serializeError(
            cloneError(value, "the return value", error),
          ),
        } satisfies Outcome,
      );
    }
    Atomics.store(control, STATE, DONE);
    Atomics.notify(control, STATE);
    parent!.postMessage(DONE_MESSAGE);
  };
  // Like Python's process, the worker outlives its target while non-daemon
  // threads that it started still run (ending the worker would stop them).
  const end = (): Promise<void> =>
    ending ??= nonDaemonThreadsEnded().then(() => runtime.exitThread());
  runtime.onThreadExit((code) => {
    Atomics.store(control, EXIT_CODE, code);
    if (Atomics.compareExchange(control, STATE, RUNNING, DIED) === RUNNING) {
      Atomics.notify(control, STATE);
    }
  });
  let lastUncaught: unknown = undefined;
  runtime.onUncaughtError((error) => {
    // Some runtimes deliver one error through two channels.
    if (lastUncaught === error && error !== undefined) return;
    lastUncaught = error;
    if (reported) {
      // The target already returned; nobody can receive this error any more.
      runtime.writeStderr(
        `Exception in thread ${message.name} after its target returned:\n${
          formatThrown(error)
        }\n`,
      );
      return;
    }
    report({ ok: false, error: serializeError(error) });
    void end();
  });

  const what = `The target of thread ${message.name}`;
  try {
    const self = await buildSelf(message, control);
    setCurrentThread(self, mainThread());
    const value = await self.run();
    if (!reported) {
      report({ ok: true, value: encode(value, "the return value") }, value);
    }
  } catch (error) {
    if (!reported) {
      report({
        ok: false,
        error: serializeError(explainMissingVariable(error, what)),
      });
    }
  }
  await end();
}

async function buildSelf(
  message: StartMessage,
  control: Int32Array,
): Promise<Thread> {
  const spec = message.target;
  const target = spec.kind === "function"
    ? compileFunction(spec.source)
    : spec.kind === "module"
    ? await loadModuleFunction(spec.url, spec.exportName)
    : undefined;
  const self = threadForWorker(
    {
      target,
      args: decode(message.args) as unknown[],
      name: message.name,
      daemon: message.daemon,
    },
    message.ident,
    control,
  );
  if (message.classLevels !== undefined) {
    let proto: object = Object.getPrototypeOf(self);
    for (const source of [...message.classLevels].reverse()) {
      const level = new Function(`return ${source};`)() as object;
      Object.setPrototypeOf(level, proto);
      proto = level;
    }
    Object.setPrototypeOf(self, proto);
    Object.assign(self, decode(message.fields!));
    for (const [key, source] of Object.entries(message.fieldFunctions ?? {})) {
      (self as unknown as Record<string, unknown>)[key] = compileFunction(
        source,
      );
    }
  }
  return self;
}
