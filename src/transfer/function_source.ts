/**
 * Functions cross threads as source text: the sending thread takes
 * `fn.toString()`, the receiving one compiles it again. A function sent this
 * way must be self-contained: it sees globals and its own parameters, not the
 * variables around the place it was written.
 *
 * @module
 */
import { describe } from "../wait_options.ts";

/**
 * Returns source text that {@linkcode compileFunction} turns back into `fn`.
 *
 * @throws {TypeError} when `fn` is not a function, or is native, bound or a class.
 */
export function functionToSource(fn: unknown, what: string): string {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot use ${what} as it must be a function: received ${describe(fn)}`,
    );
  }
  // A function's text never changes: check and convert it once, not on every
  // thread or task that runs it (the check compiles the text).
  let expression = sources.get(fn);
  if (expression === undefined) {
    expression = checkedExpression(fn, what);
    sources.set(fn, expression);
  }
  return expression;
}

const sources = new WeakMap<object, string>();

function checkedExpression(fn: object, what: string): string {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new TypeError(
      `Cannot use ${what} as it is a native or bound function, which has no source to send to a thread: wrap it in a function written in your code`,
    );
  }
  if (/^class\b/.test(source)) {
    throw new TypeError(
      `Cannot use ${what} as it is a class: pass a function, or extend Thread and override run()`,
    );
  }
  return toExpression(source);
}

/** Turns method shorthand (`run() {}`) into an expression that compiles alone. */
function toExpression(source: string): string {
  if (compiles(`(${source})`)) return source;
  if (compiles(`({${source}})`)) return `Object.values({${source}})[0]`;
  throw new TypeError(
    `Cannot send a function to a thread as its source does not compile on its own: ${
      source.slice(0, 80)
    }`,
  );
}

function compiles(expression: string): boolean {
  try {
    new Function(`return ${expression};`);
    return true;
  } catch {
    return false;
  }
}

const compiled = new Map<string, unknown>();

/** Compiles source made by {@linkcode functionToSource}, cached by its text. */
export function compileFunction(
  source: string,
): (...args: unknown[]) => unknown {
  let fn = compiled.get(source);
  if (fn === undefined) {
    fn = new Function(`return (${source});`)();
    compiled.set(source, fn);
  }
  return fn as (...args: unknown[]) => unknown;
}

/**
 * Explains a `ReferenceError` raised by code sent as source text: the name it
 * could not find most likely lived in the sender's scope.
 */
export function explainMissingVariable(error: unknown, what: string): unknown {
  if (!(error instanceof ReferenceError)) return error;
  const match =
    /^(?:([\p{L}\p{N}_$]+) is not defined|Can't find variable: ([\p{L}\p{N}_$]+))/u
      .exec(error.message);
  if (match === null) return error;
  const name = match[1] ?? match[2];
  const explained = new ReferenceError(
    `${what} read the variable '${name}', which is not defined in the thread: functions are sent to threads as source text and must be self-contained. Pass '${name}' through args, or import it inside the function`,
    { cause: error },
  );
  explained.stack = `${explained.name}: ${explained.message}\n${
    (error.stack ?? "").split("\n").slice(1).join("\n")
  }`;
  return explained;
}
