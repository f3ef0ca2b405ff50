/**
 * How a target crosses to another thread: the sending side turns a function
 * or a `moduleFunction()` into a spec (its source text, a built-in's path
 * under `globalThis`, or a module's URL and export), and the receiving side
 * turns the spec back into a function. `Thread` and the executor's tasks and
 * initializer build their specs here; the executor's workers resolve them
 * here.
 *
 * @module
 */
import {
  compileFunction,
  functionToSource,
} from "../transfer/function_source.ts";
import { builtinPath, resolveBuiltin } from "./_builtin_path.ts";
import { loadModuleFunction, ModuleFunction } from "./module_function.ts";

/** A target as it crosses threads: its source text or its module's export. */
export type TargetSpec =
  | { kind: "function"; source: string }
  | { kind: "module"; url: string; exportName: string };

/** A task function as it crosses threads: a target, or a built-in's path. */
export type FunctionSpec = TargetSpec | { kind: "builtin"; path: string };

/** A function rebuilt from its spec. */
export type ResolvedFunction = (...args: unknown[]) => unknown;

/**
 * The spec of `target`: a function travels as its source text (`what` names
 * it in errors: "the target").
 *
 * @throws {TypeError} when a function's source cannot run in another thread.
 */
export function specOf(
  // deno-lint-ignore no-explicit-any
  target: ModuleFunction<any, unknown> | ((...args: never[]) => unknown),
  what: string,
): TargetSpec {
  return target instanceof ModuleFunction
    ? { kind: "module", url: target.url, exportName: target.exportName }
    : { kind: "function", source: functionToSource(target, what) };
}

/**
 * As {@linkcode specOf}, except that a built-in function, which has no
 * source (`Math.abs`), travels as its path under `globalThis`.
 */
export function taskSpecOf(
  // deno-lint-ignore no-explicit-any
  target: ModuleFunction<any, unknown> | ((...args: never[]) => unknown),
  what: string,
): FunctionSpec {
  const path = target instanceof ModuleFunction
    ? undefined
    : builtinPath(target);
  return path !== undefined ? { kind: "builtin", path } : specOf(target, what);
}

/** A key equal for equal specs (for sending each function once). */
export function specKey(spec: FunctionSpec): string {
  return spec.kind === "function"
    ? `f:${spec.source}`
    : spec.kind === "builtin"
    ? `b:${spec.path}`
    : `m:${spec.url}#${spec.exportName}`;
}

/** The function a spec stands for, in the receiving thread. */
export async function resolveSpec(
  spec: FunctionSpec,
): Promise<ResolvedFunction> {
  return spec.kind === "function"
    ? compileFunction(spec.source) as ResolvedFunction
    : spec.kind === "builtin"
    ? resolveBuiltin(spec.path) as ResolvedFunction
    : await loadModuleFunction(spec.url, spec.exportName) as ResolvedFunction;
}
