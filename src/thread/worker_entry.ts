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
import { decode, encode } from "../transfer/codec.ts";
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
  type Outcome,
  RUNNING,
  type StartMessage,
  STATE,
} from "./_protocol.ts";
import { loadModuleFunction } from "./module_function.ts";
import { mainThread, setCurrentThread } from "./registry.ts";
import { type Thread, threadForWorker } from "./thread.ts";

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
  const report = (outcome: Outcome) => {
    if (reported) return;
    reported = true;
    try {
      port.postMessage(outcome);
    } catch (error) {
      port.postMessage(
        {
          ok: false,
          error: serializeError(
            new TypeError(
              `Cannot return the result of thread ${message.name} to its caller: it cannot be cloned`,
              { cause: error },
            ),
          ),
        } satisfies Outcome,
      );
    }
    Atomics.store(control, STATE, DONE);
    Atomics.notify(control, STATE);
    parent!.postMessage(DONE_MESSAGE);
  };
  runtime.onThreadExit(() => {
    if (Atomics.compareExchange(control, STATE, RUNNING, DIED) === RUNNING) {
      Atomics.notify(control, STATE);
    }
  });
  runtime.onUncaughtError((error) => {
    report({ ok: false, error: serializeError(error) });
    runtime.exitThread();
  });

  const what = `The target of thread ${message.name}`;
  try {
    const self = await buildSelf(message, control);
    setCurrentThread(self, mainThread());
    const value = await self.run();
    report({ ok: true, value: encode(value, "the return value") });
  } catch (error) {
    report({
      ok: false,
      error: serializeError(explainMissingVariable(error, what)),
    });
  }
  runtime.exitThread();
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
