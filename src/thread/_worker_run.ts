/**
 * The general way a thread's worker starts its thread, loaded only when the
 * fast path of `worker_entry.ts` does not apply: shared objects among the
 * args (reviving them needs their classes, which `load_shareables.ts`
 * loads), a `moduleFunction` target, or a `Thread`
 * subclass, whose instance is rebuilt here from its methods' source (see `_class_source.ts`) and its
 * fields, and recorded as the worker's current thread.
 *
 * @module
 */
import { decode } from "../transfer/codec.ts";
import { compileFunction } from "../transfer/function_source.ts";
import { needsLibrary, type StartMessage } from "./_protocol.ts";
import { loadModuleFunction } from "./module_function.ts";
import { mainThread, setCurrentThread } from "./registry.ts";
import { Thread, threadForWorker } from "./thread.ts";

type Fn = (...args: unknown[]) => unknown;

/** Runs the thread's target, or its subclass's `run()`, and returns the result. */
export async function runThreadBody(message: StartMessage): Promise<unknown> {
  const encoded = [message.args, message.fields].filter((e) => e?.h);
  if (encoded.length > 0) {
    // Registers the classes of the shared objects before they are revived.
    const { loadShareables } = await import("../load_shareables.ts");
    await loadShareables(
      encoded.every((e) => e!.t) ? encoded.flatMap((e) => e!.t!) : undefined,
    );
  }
  const spec = message.target;
  const programs = [
    ...(spec.kind === "function" ? [spec.source] : []),
    ...(message.classLevels ?? []),
    ...Object.values(message.fieldFunctions ?? {}),
  ];
  if (programs.some(needsLibrary)) {
    await import("../transfer/_library.ts");
  }
  const target = spec.kind === "function"
    ? compileFunction(spec.source)
    : spec.kind === "module"
    ? await loadModuleFunction(spec.url, spec.exportName)
    : undefined;
  const args = decode(message.args) as unknown[];
  if (message.classLevels === undefined) {
    return target === undefined ? undefined : await target(...args);
  }
  const { name, ident, daemon } = message;
  const control = new Int32Array(message.control);
  const self = threadForWorker({ target, args, name, daemon }, ident, control);
  // Each class is evaluated again on top of the one below it; the lowest
  // extends a constructor that returns the worker's own Thread object, so
  // that building an instance adds the classes' fields (`#private` ones
  // too) to that object.
  function Base(): Thread {
    return self;
  }
  Base.prototype = Thread.prototype;
  Object.setPrototypeOf(Base, Thread);
  let cls = Base as unknown as new () => object;
  for (const program of [...message.classLevels].reverse()) {
    cls = (compileFunction(program) as (base: unknown) => typeof cls)(cls);
  }
  new cls();
  Object.setPrototypeOf(self, cls.prototype);
  Object.assign(self, decode(message.fields!));
  for (const [key, program] of Object.entries(message.fieldFunctions ?? {})) {
    (self as unknown as Record<string, unknown>)[key] =
      (compileFunction(program) as Fn).call(self);
  }
  setCurrentThread(self, mainThread());
  return await self.run();
}
