/**
 * Functions cross threads as source text: the sending thread takes
 * `fn.toString()`, the receiving one compiles it again. A function sent this
 * way must be self-contained: it sees globals and its own parameters, not the
 * variables around the place it was written.
 *
 * @module
 */
import { invalid } from "../validate.ts";
import { callerOrigin, locate, type Origin } from "./_origin.ts";
import {
  closing,
  isReference,
  namesUsed,
  type Token,
  tokenize,
} from "./_source_scan.ts";
import { LIBRARY_NAMES, LIBRARY_READ } from "./_library_names.ts";

/**
 * Returns the program that {@linkcode compileFunction} turns back into `fn`
 * in another thread: its source text, wrapped so that it reads as the code
 * its module holds. The library's exports it names are in scope, a relative
 * `import()` or `import.meta` resolves against its module, and its stack
 * frames name its module's file (at its line, where the text is found there).
 * The module is the first on the calling stack outside the library.
 *
 * @throws {TypeError} when `fn` is not a function, or is native, bound or a class.
 * @throws {ReferenceError} when `fn` calls a function or class it has no way
 * to reach in the thread (one only its module's scope holds).
 */
export function functionToSource(fn: unknown, what: string): string {
  if (typeof fn !== "function") {
    throw invalid(`use ${what}`, null, "a function", fn);
  }
  // A function's text never changes: check and convert it once, not on every
  // thread or task that runs it (the check compiles the text).
  let program = sources.get(fn);
  if (program === undefined) {
    const source = Function.prototype.toString.call(fn);
    const expression = checkedExpression(source, what);
    const tokens = tokenize(expression);
    checkFreeCalls(tokens, what, fnName(fn));
    const origin = callerOrigin();
    program = toProgram(
      expression,
      tokens,
      origin && locate(source, origin, fnName(fn)),
    );
    sources.set(fn, program);
  }
  return program;
}

const sources = new WeakMap<object, string>();

function fnName(fn: object): string {
  const name = (fn as { name?: unknown }).name;
  return typeof name === "string" ? name : "";
}

/** The source of `fn` as an expression that compiles alone, checked. */
export function functionExpression(fn: object, what: string): string {
  return checkedExpression(Function.prototype.toString.call(fn), what);
}

function checkedExpression(source: string, what: string): string {
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
    // `import.meta` compiles in modules only; the program replaces it.
    new Function(
      `return ${expression.replace(/\bimport\s*\.\s*meta\b/g, "({})")};`,
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Wraps `expression` into a program whose value is the function: see
 * {@linkcode functionToSource}. `expression` may also be a class's source.
 */
export function toProgram(
  expression: string,
  tokens: Token[],
  origin: Origin | undefined,
): string {
  const names = namesUsed(tokens, LIBRARY_NAMES);
  let body = "";
  let at = 0;
  let imports = false;
  let meta = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== "name") continue;
    // A function written inside a target already uses the names below.
    if (t.text === "__threading_import") imports = true;
    if (t.text === "__threading_meta") meta = true;
    if (t.text !== "import") continue;
    const next = tokens[i + 1];
    if (next?.text === "(") {
      body += expression.slice(at, t.start) + "__threading_import";
      imports = true;
    } else if (next?.text === "." && tokens[i + 2]?.text === "meta") {
      body += expression.slice(at, t.start) + "__threading_meta";
      at = tokens[i + 2].end;
      meta = true;
      continue;
    } else continue;
    at = t.end;
  }
  body += expression.slice(at);
  const url = origin?.url;
  let header = "";
  if (names.length > 0) header += `const{${names.join(",")}}=${LIBRARY_READ};`;
  if (url !== undefined && (imports || meta)) {
    const base = JSON.stringify(url);
    // A module compiled to JavaScript imports the compiled siblings of the
    // TypeScript modules it names, as tsc's rewriteRelativeImportExtensions
    // would have rewritten them.
    const map = /\.[cm]?js$/.test(url)
      ? `s=s.replace(/\\.([cm]?)tsx?$/,".$1js");`
      : "";
    header +=
      `const __threading_meta={url:${base},resolve:(s)=>{${map}return new URL(s,${base}).href}};`;
    if (imports) {
      header +=
        `const __threading_import=(s,o)=>{if(typeof s==="string"&&/^\\.\\.?\\//.test(s))s=__threading_meta.resolve(s);return o===undefined?import(s):import(s,o)};`;
    }
  }
  if (
    tokens.some((t) =>
      t.kind === "name" && t.text === "__rewriteRelativeImportExtension"
    )
  ) {
    // tsc's helper for import() of a `.ts` specifier, defined at the top of
    // its module: the import above does its work.
    header += "const __rewriteRelativeImportExtension=(s)=>s;";
  }
  const line = origin?.line ?? 1;
  const column = origin?.column ?? 1;
  const lines = "\n".repeat(Math.max(0, line - 1));
  const indent = " ".repeat(Math.max(0, column - 2));
  const sourceUrl = url === undefined ? "" : `\n//# sourceURL=${url}`;
  return header === ""
    ? `${lines}${indent}(${body})${sourceUrl}`
    : `(function(){${header}return(${lines}${indent}${body})})()${sourceUrl}`;
}

/**
 * Checks that `fn` can be sent as source text, without making its program:
 * for functions that travel inside another (a `Timer`'s).
 *
 * @throws {TypeError} as {@linkcode functionToSource}.
 * @throws {ReferenceError} as {@linkcode functionToSource}.
 */
export function checkSendable(fn: object, what: string): void {
  checkFreeCalls(tokenize(functionExpression(fn, what)), what, fnName(fn));
}

/**
 * Checks a call like Python's: fewer arguments than the function's required
 * parameters (`fn.length`) is a `TypeError`.
 *
 * @throws {TypeError} when `count` is below `fn.length`.
 */
export function checkArity(
  fn: object,
  count: number,
  action: string,
  role = "the target",
  where = "in args",
): void {
  const required = (fn as { length: number }).length;
  if (typeof required !== "number" || count >= required) return;
  if (handlesMissing(fn, count, required)) return;
  // An arrow function written in `{ target: ... }` is named after the key.
  const own = fnName(fn);
  const name = own === "target" ? "" : own;
  throw new TypeError(
    `Cannot ${action} as ${role}${
      name ? ` '${name}'` : ""
    } takes ${required} argument${required === 1 ? "" : "s"} but ${count} ${
      count === 1 ? "was" : "were"
    } given ${where}: pass every required argument, or give the missing parameters default values`,
  );
}

/**
 * Whether `fn` itself handles its parameters from `from` to `to` being
 * missing: TypeScript's optional parameters (`value?: T`) count in
 * `fn.length` once compiled, but such a function tests them (`value ??`,
 * `value === undefined`, `typeof value`...).
 */
function handlesMissing(fn: object, from: number, to: number): boolean {
  let tokens: Token[];
  try {
    tokens = tokenize(Function.prototype.toString.call(fn));
  } catch {
    return false;
  }
  const open = tokens.findIndex((t) => t.text === "(");
  const arrow = tokens.findIndex((t) => t.text === "=>");
  const names: (string | undefined)[] = [];
  if (arrow >= 0 && (open < 0 || open > arrow)) {
    names.push(
      tokens[arrow - 1]?.kind === "name" ? tokens[arrow - 1].text : "",
    );
  } else if (open >= 0) {
    const close = closing(tokens, open);
    let start = true;
    let depth = 0;
    for (let i = open + 1; i < close; i++) {
      const t = tokens[i];
      if (t.text === "(" || t.text === "[" || t.text === "{") depth++;
      else if (t.text === ")" || t.text === "]" || t.text === "}") depth--;
      if (depth === 0 && t.text === ",") start = true;
      else if (start) {
        names.push(t.kind === "name" ? t.text : undefined);
        start = false;
      }
    }
  }
  const text = Function.prototype.toString.call(fn);
  for (let i = from; i < to; i++) {
    const name = names[i];
    if (name === undefined || name === "") return false;
    const n = name.replaceAll("$", "\\$");
    const tested = new RegExp(
      `(?<![.\\p{L}\\p{N}_$])(?:${n}\\s*(?:\\?\\?|[!=]==?\\s*(?:undefined|null|void 0))|typeof\\s+${n}(?![\\p{L}\\p{N}_$])|(?:undefined|null|void 0)\\s*[!=]==?\\s*${n}(?![\\p{L}\\p{N}_$]))`,
      "u",
    );
    if (!tested.test(text)) return false;
  }
  return true;
}

/**
 * Rejects a function that calls a function or constructs a class it cannot
 * reach in a thread: named only as a callee, never declared in its text, and
 * neither a global nor one of the library's exports.
 */
export function checkFreeCalls(
  tokens: Token[],
  what: string,
  own: string,
): void {
  const other = new Set<string>();
  const called: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== "name") continue;
    if (!isReference(tokens, i)) {
      other.add(t.text);
      continue;
    }
    const before = tokens[i - 1];
    const next = tokens[i + 1];
    const isNew = before?.kind === "name" && before.text === "new";
    const isCall = next?.kind === "punct" && next.text === "(" &&
      tokens[closing(tokens, i + 1) + 1]?.text !== "{" &&
      tokens[closing(tokens, i + 1) + 1]?.text !== "=>" &&
      !(before?.kind === "name" &&
        (before.text === "function" || before.text === "async" ||
          before.text === "get" || before.text === "set" ||
          before.text === "static"));
    if (isNew || isCall) called.push(t.text);
    else other.add(t.text);
  }
  for (const name of called) {
    if (
      other.has(name) || name === own || KEYWORDS.has(name) ||
      LIBRARY_NAMES.has(name) || name in globalThis
    ) continue;
    throw new ReferenceError(
      `Cannot send ${what} to a thread as it calls '${name}', which is not defined inside it: a function is sent to a thread as source text, without the functions and classes around it. Define '${name}' inside ${what}, import it there (await import("./module.ts")), or export the function and pass moduleFunction(url, "name") as the target`,
    );
  }
}

const KEYWORDS = new Set([
  "__threading_base",
  "__threading_import",
  "__rewriteRelativeImportExtension",
  "postMessage",
  "close",
  "importScripts",
  "if",
  "for",
  "while",
  "switch",
  "catch",
  "return",
  "typeof",
  "void",
  "await",
  "yield",
  "super",
  "import",
  "function",
  "new",
  "delete",
  "in",
  "of",
  "instanceof",
  "this",
  "with",
  "do",
  "else",
  "case",
  "throw",
]);

const compiled = new Map<string, unknown>();

/**
 * Compiles a program made by {@linkcode functionToSource}, cached by its
 * text. When it names the library's exports (`needsLibrary()` of
 * `thread/_protocol.ts`), import `_library.ts` first.
 */
export function compileFunction(
  source: string,
): (...args: unknown[]) => unknown {
  let fn = compiled.get(source);
  if (fn === undefined) {
    fn = (0, eval)(source);
    compiled.set(source, fn);
  }
  return fn as (...args: unknown[]) => unknown;
}

/**
 * Explains a `ReferenceError` raised by code sent as source text: the name it
 * could not find most likely lived in the sender's scope. The advice fits
 * what `source` (the code that ran, when known) does with the name: a value
 * travels through args; a function or class cannot, and is defined or
 * imported inside instead.
 */
export function explainMissingVariable(
  error: unknown,
  what: string,
  source?: string,
): unknown {
  if (!(error instanceof ReferenceError)) return error;
  const match =
    /^(?:([\p{L}\p{N}_$]+) is not defined|Can't find variable: ([\p{L}\p{N}_$]+))/u
      .exec(error.message);
  if (match === null) return error;
  const name = match[1] ?? match[2];
  const escaped = name.replaceAll("$", "\\$");
  const called = source === undefined ? undefined : new RegExp(
    `(?:\\bnew\\s+${escaped}(?![\\p{L}\\p{N}_$])|(?<![.\\p{L}\\p{N}_$])${escaped}\\s*\\()`,
    "u",
  ).test(source) ||
    new RegExp(`(?<![.\\p{L}\\p{N}_$])${escaped}\\s*\\.`, "u").test(source) &&
      /^\p{Lu}/u.test(name);
  const advice = called === true
    ? `A function or class cannot travel through args: define '${name}' inside the function, import it there (await import("./module.ts")), or export the function and use moduleFunction(url, "name")`
    : called === false
    ? `Pass '${name}' through args, or define it inside the function`
    : `Pass '${name}' through args if it is a value; if it is a function or class, define it inside the function, import it there (await import("./module.ts")), or use moduleFunction(url, "name")`;
  const explained = new ReferenceError(
    `${what} read the variable '${name}', which is not defined in the thread: functions are sent to threads as source text and must be self-contained. ${advice}`,
    { cause: error },
  );
  explained.stack = `${explained.name}: ${explained.message}\n${
    (error.stack ?? "").split("\n").slice(1).join("\n")
  }`;
  return explained;
}
