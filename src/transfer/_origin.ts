/**
 * Where user code that crosses to a thread was written: the module that
 * created the thread, timer, barrier or task, read from the stack of the call
 * (the first frame outside this library), and where in that module's file the
 * function's text sits. Targets resolve relative `import()` against that
 * module and name it in their stack frames.
 *
 * @module
 */
import { runtime } from "../runtime/detect.ts";

/** A place in a module: its URL and a 1-based line and column. */
export interface Origin {
  url: string;
  line: number;
  column: number;
}

// Every module of the library lives below src/ (in the npm build, esm/src/).
const libraryRoot = new URL("../", import.meta.url).href;

/**
 * The first place on the calling stack outside this library, or `undefined`
 * when the stack names none (a caller without a file, such as a REPL).
 */
export function callerOrigin(): Origin | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n")) {
    const origin = parseFrame(line);
    if (origin !== undefined && !origin.url.startsWith(libraryRoot)) {
      return origin;
    }
  }
  return undefined;
}

const FRAME = /^\s*at (?:.*\()?(.*?)(?:, <anonymous>)?:(\d+):(\d+)\)?$/;

/** Reads a V8 or JavaScriptCore stack frame line; `undefined` for others. */
export function parseFrame(line: string): Origin | undefined {
  const match = FRAME.exec(line);
  if (match === null) return undefined;
  let place = match[1];
  if (place.startsWith("async ")) place = place.slice(6);
  let url: string;
  if (place.startsWith("/")) url = new URL(`file://${encodeURI(place)}`).href;
  else if (/^(?:file|https?):\/\//.test(place)) url = place;
  else return undefined;
  return { url, line: Number(match[2]), column: Number(match[3]) };
}

const files = new Map<string, string | undefined>();

/**
 * Where the text `source` starts in the file of `origin`: found in the file
 * when the runtime printed it as written (compiled JavaScript), else the line
 * of a class or function declared under `name`, else the origin itself.
 */
export function locate(
  source: string,
  origin: Origin,
  name: string,
): Origin {
  let text = files.get(origin.url);
  if (!files.has(origin.url)) {
    text = runtime.readTextFile(origin.url);
    files.set(origin.url, text);
  }
  if (text === undefined) return origin;
  const at = text.indexOf(source);
  if (at >= 0) return place(origin.url, text, at);
  // A runtime that compiles TypeScript prints the function anew: find its
  // first line (white space aside), else its declaration, nearest the origin.
  const lines = text.split("\n");
  const first = source.split("\n", 1)[0].replace(/\s+/g, "");
  let best: number | undefined;
  const consider = (line: number): void => {
    if (
      best === undefined ||
      Math.abs(line - origin.line) < Math.abs(best - origin.line)
    ) best = line;
  };
  if (first.length >= 4) {
    lines.forEach((line, i) => {
      if (line.replace(/\s+/g, "").includes(first)) consider(i + 1);
    });
  }
  if (
    best === undefined && /^[\p{L}\p{Nl}$_][\p{L}\p{Nl}\p{Nd}$_]*$/u.test(name)
  ) {
    const declared = new RegExp(
      `(?:class|function\\*?)\\s+${
        name.replaceAll("$", "\\$")
      }(?![\\p{L}\\p{Nd}$_])`,
      "u",
    );
    lines.forEach((line, i) => {
      if (declared.test(line)) consider(i + 1);
    });
  }
  if (best === undefined) return origin;
  const column = lines[best - 1].length -
    lines[best - 1].trimStart().length + 1;
  return { url: origin.url, line: best, column };
}

function place(url: string, text: string, at: number): Origin {
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const column = at - before.lastIndexOf("\n");
  return { url, line, column };
}
