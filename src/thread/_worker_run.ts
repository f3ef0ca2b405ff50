/**
 * The general way a thread's worker starts its thread, loaded only when the
 * fast path of `worker_entry.ts` does not apply: shared objects among the
 * args (reviving them needs every shareable class, so all of `mod.ts`
 * loads), a `moduleFunction` target, or a `Thread` subclass, whose instance
 * is rebuilt here from its methods' source (see `_class_source.ts`) and its
 * fields, and recorded as the worker's current thread.
 *
 * @module
 */
import { decode } from "../transfer/codec.ts";
import type { StartMessage } from "./_protocol.ts";
import { loadModuleFunction } from "./module_function.ts";
import { mainThread, setCurrentThread } from "./registry.ts";
import { threadForWorker } from "./thread.ts";

/** Runs the thread's target, or its subclass's `run()`, and returns the result. */
export async function runThreadBody(message: StartMessage): Promise<unknown> {
  if (message.args.h || message.fields?.h) {
    // Registers every shareable class before the handles are revived.
    await import("../../mod.ts");
  }
  const spec = message.target;
  const target = spec.kind === "function"
    ? new Function(`return (${spec.source});`)() as (
      ...args: unknown[]
    ) => unknown
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
  let proto: object = Object.getPrototypeOf(self);
  for (const source of [...message.classLevels].reverse()) {
    const level = new Function(`return ${source};`)() as object;
    Object.setPrototypeOf(level, proto);
    proto = level;
  }
  Object.setPrototypeOf(self, proto);
  Object.assign(self, decode(message.fields!));
  for (const [key, source] of Object.entries(message.fieldFunctions ?? {})) {
    (self as unknown as Record<string, unknown>)[key] = new Function(
      `return (${source});`,
    )();
  }
  setCurrentThread(self, mainThread());
  return await self.run();
}
