/**
 * Built-in functions (`Math.abs`, `String`, `JSON.stringify`) have no source
 * text to send to a worker, but every thread has them: the executor sends
 * their path under `globalThis` instead.
 *
 * @module
 */

let paths: Map<unknown, string> | undefined;

function index(): Map<unknown, string> {
  const found = new Map<unknown, string>();
  const scope = globalThis as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    let value: unknown;
    try {
      value = scope[name];
    } catch {
      continue;
    }
    if (typeof value === "function" && !found.has(value)) {
      found.set(value, name);
    }
    if (
      (typeof value === "function" || typeof value === "object") &&
      value !== null && /^[A-Z]/.test(name)
    ) {
      for (const key of Object.getOwnPropertyNames(value)) {
        let member: unknown;
        try {
          member = (value as Record<string, unknown>)[key];
        } catch {
          continue;
        }
        if (typeof member === "function" && !found.has(member)) {
          found.set(member, `${name}.${key}`);
        }
      }
    }
  }
  return found;
}

/** The path of a built-in function under `globalThis`, or `undefined`. */
export function builtinPath(fn: unknown): string | undefined {
  if (
    typeof fn !== "function" ||
    !/\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn))
  ) return undefined;
  paths ??= index();
  return paths.get(fn);
}

/** Finds the function at a path made by {@linkcode builtinPath}. */
export function resolveBuiltin(path: string): (...args: unknown[]) => unknown {
  let value: unknown = globalThis;
  for (const part of path.split(".")) {
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value !== "function") {
    throw new TypeError(
      `Cannot run the built-in function '${path}': this thread has no such function`,
    );
  }
  return value as (...args: unknown[]) => unknown;
}
