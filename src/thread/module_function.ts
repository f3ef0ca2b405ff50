import { callerOrigin } from "../transfer/_origin.ts";
import { describe, invalid } from "../validate.ts";

const ACTION = "create a module function";

/**
 * A reference to a function exported by an ES module, for use as a thread
 * target or an executor task: the thread imports the module and calls the
 * export, so the function may use everything its module imports. Made by
 * {@linkcode moduleFunction}.
 *
 * @typeParam A The function's parameters.
 * @typeParam R What it returns (awaited).
 *
 * @example Usage
 * ```ts
 * import { ModuleFunction, moduleFunction } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * const work = moduleFunction(new URL("./work.js", import.meta.url), "work");
 * assert.ok(work instanceof ModuleFunction);
 * assert.equal(work.exportName, "work");
 * ```
 */
export class ModuleFunction<A extends unknown[] = unknown[], R = unknown> {
  /** The module's absolute URL. */
  readonly url: string;
  /** The name of the export. */
  readonly exportName: string;
  /** Phantom field carrying the function's type; never set. */
  declare readonly __type?: (...args: A) => R;

  /**
   * Creates the reference; prefer {@linkcode moduleFunction}. A relative
   * `url` resolves against the calling module, as its `import()` would.
   */
  constructor(url: string | URL, exportName: string) {
    if (typeof url !== "string" && !(url instanceof URL)) {
      throw invalid(ACTION, "url", "a string or URL", url);
    }
    if (typeof exportName !== "string" || exportName === "") {
      throw invalid(ACTION, "exportName", "a non-empty string", exportName);
    }
    this.url = resolveModule(url);
    this.exportName = exportName;
  }
}

/**
 * Checks that `value` is a function or a {@linkcode ModuleFunction}: what
 * a thread's target, a pool's task and its initializer may be.
 *
 * @throws {TypeError} otherwise.
 */
export function checkFunctionOrModule(
  value: unknown,
  action: string,
  name: string,
): asserts value is ((...args: never[]) => unknown) | ModuleFunction {
  if (typeof value !== "function" && !(value instanceof ModuleFunction)) {
    throw invalid(action, name, "a function or a moduleFunction()", value);
  }
}

// A relative URL resolves against the calling module; a module compiled to
// JavaScript names the compiled siblings of the TypeScript modules it
// names, as tsc's rewriteRelativeImportExtensions would have rewritten its
// imports (the `.ts` file is not there after compiling).
function resolveModule(url: string | URL): string {
  const relative = typeof url === "string" && /^\.\.?\//.test(url);
  const origin = relative || /\.[cm]?tsx?$/.test(String(url))
    ? callerOrigin()
    : undefined;
  if (relative && origin === undefined) {
    throw new TypeError(
      `Cannot create a module function as the relative URL '${url}' has no calling module to resolve against: pass new URL("${url}", import.meta.url)`,
    );
  }
  let href: string;
  try {
    href = new URL(url, origin?.url).href;
  } catch (error) {
    throw invalid(
      ACTION,
      "url",
      'an absolute URL, for example new URL("./work.ts", import.meta.url), or one relative to the calling module ("./work.ts")',
      url,
      TypeError,
      { cause: error },
    );
  }
  if (origin !== undefined && /\.[cm]?js$/.test(origin.url)) {
    href = href.replace(/\.([cm]?)tsx?$/, ".$1js");
  }
  return href;
}

/**
 * Names a function exported by a module, to run in a thread. Unlike a function
 * target, it may use anything its module imports.
 *
 * @typeParam F The exported function's type.
 * @param url The module's URL: absolute, for example `new URL("./work.ts",
 * import.meta.url)`, or relative to the calling module (`"./work.ts"`). In a
 * module compiled to JavaScript, a `.ts` URL names the compiled `.js`
 * sibling, so that the same code runs before and after compiling.
 * @param exportName The export to call.
 * @returns A reference that `Thread` and `ThreadPoolExecutor.submit` accept as a target.
 *
 * @example Usage
 * ```ts ignore
 * import { moduleFunction, Thread } from "@threading/threading";
 *
 * const fib = moduleFunction<(n: number) => number>(new URL("./fib.ts", import.meta.url), "fib");
 * const thread = new Thread({ target: fib, args: [30] }).start();
 * console.log(await thread.join());
 * ```
 */
// deno-lint-ignore no-explicit-any
export function moduleFunction<F extends (...args: any[]) => unknown>(
  url: string | URL,
  exportName: string,
): ModuleFunction<Parameters<F>, Awaited<ReturnType<F>>> {
  return new ModuleFunction(url, exportName);
}

/** Imports a module function's export, with a clear error when it is missing. */
export async function loadModuleFunction(
  url: string,
  exportName: string,
): Promise<(...args: unknown[]) => unknown> {
  const module = await import(url) as Record<string, unknown>;
  const fn = module[exportName];
  if (typeof fn !== "function") {
    throw new TypeError(
      fn === undefined
        ? `Cannot run module function: '${url}' has no export named '${exportName}'`
        : `Cannot run module function: the export '${exportName}' of '${url}' is not a function: received ${
          describe(fn)
        }`,
    );
  }
  return fn as (...args: unknown[]) => unknown;
}
