/**
 * How a `Thread` subclass crosses to its worker: the source of each class in
 * its prototype chain below `Thread`, whole (methods, getters and setters,
 * `#private` members, static members, `super` calls), and the instance's own
 * fields. In the worker each class is evaluated again on top of the one
 * below it, and one instance is built through them all, without the
 * constructors' bodies (their work is done: the fields they set travel), so
 * that `#private` fields and methods exist as the classes declare them.
 *
 * @module
 */
import {
  checkFreeCalls,
  functionExpression,
  toProgram,
} from "../transfer/function_source.ts";
import { locate, type Origin } from "../transfer/_origin.ts";
import { closing, type Token, tokenize } from "../transfer/_source_scan.ts";

/** The name the heritage of each evaluated class refers to. */
const BASE = "__threading_base";

/**
 * The classes between `instance` and `stop`, nearest first, each as a
 * program whose value is a function from the class below to the class.
 *
 * @throws {TypeError} when a class cannot be sent: not written with class
 * syntax, or its constructor sets a `#private` field.
 */
export function classLevels(
  instance: object,
  stop: object,
  origin: Origin | undefined,
): string[] {
  const levels: string[] = [];
  for (
    let proto = Object.getPrototypeOf(instance);
    proto !== null && proto !== stop;
    proto = Object.getPrototypeOf(proto)
  ) {
    const ctor = (proto as { constructor: unknown }).constructor;
    const library = libraryClasses.has(ctor as object);
    levels.push(
      classProgram(ctor as object, library ? undefined : origin, !library),
    );
  }
  return levels;
}

/**
 * The library's own `Thread` subclasses (`Timer`): their frames keep naming
 * the library's file, not the user's.
 */
export const libraryClasses: WeakSet<object> = new WeakSet<object>();

const programs = new WeakMap<object, string>();

function classProgram(
  ctor: object,
  origin: Origin | undefined,
  check: boolean,
): string {
  let program = programs.get(ctor);
  if (program !== undefined) return program;
  const name = (ctor as { name?: string }).name || "(anonymous class)";
  const source = Function.prototype.toString.call(ctor);
  if (!/^class\b/.test(source)) {
    throw new TypeError(
      `Cannot start thread as its class ${name} is not written with class syntax: write it as 'class ${name} extends Thread { ... }'`,
    );
  }
  const reshaped = reshape(source, name);
  if (check) checkFreeCalls(tokenize(reshaped), `the class ${name}`, name);
  const text = `(function(${BASE}){return ${reshaped}})`;
  program = toProgram(
    text,
    tokenize(text),
    origin && locate(source, origin, name),
  );
  programs.set(ctor, program);
  return program;
}

/**
 * The class's source, its heritage replaced by {@linkcode BASE}, without its
 * constructor and without the initializers of its public instance fields
 * (their values travel with the instance).
 */
function reshape(source: string, name: string): string {
  const tokens = tokenize(source);
  const extendsAt = tokens.findIndex((t, i) =>
    t.kind === "name" && t.text === "extends" && i <= 2
  );
  let open = extendsAt < 0 ? 1 : extendsAt + 1;
  while (open < tokens.length && tokens[open].text !== "{") {
    const t = tokens[open];
    open = t.text === "(" || t.text === "["
      ? closing(tokens, open) + 1
      : open + 1;
  }
  const close = closing(tokens, open);
  const cuts: [number, number, string][] = [];
  if (extendsAt >= 0) {
    cuts.push([tokens[extendsAt + 1].start, tokens[open].start, `${BASE} `]);
  } else {
    cuts.push([tokens[open].start, tokens[open].start, `extends ${BASE} `]);
  }
  for (const member of members(tokens, open + 1, close)) {
    if (member.kind === "constructor") {
      const body = source.slice(member.start, member.end);
      const assigned =
        /\bthis\s*\.\s*(#[\p{L}\p{Nl}\p{Nd}$_]+)\s*(?:[-+*/%&|^]|\*\*|<<|>>>?|&&|\|\||\?\?)?=(?!=)/u
          .exec(body);
      if (assigned !== null) {
        throw new TypeError(
          `Cannot start thread as the constructor of ${name} sets the private field '${
            assigned[1]
          }', whose value cannot be read to send it to the thread: give it its value where it is declared (${
            assigned[1]
          } = ...), or make it a public field (TypeScript parameter properties also move field values into the constructor)`,
        );
      }
      cuts.push([member.start, member.end, ""]);
    } else if (member.kind === "field" && member.initializer !== undefined) {
      cuts.push([member.initializer[0], member.initializer[1], ""]);
    }
  }
  let out = "";
  let at = 0;
  for (const [start, end, text] of cuts) {
    out += source.slice(at, start) + text;
    at = end;
  }
  return out + source.slice(at);
}

interface Member {
  kind: "constructor" | "method" | "field" | "other";
  start: number;
  end: number;
  /** A public instance field's `= value`, as a range of the source. */
  initializer?: [number, number];
}

const MODIFIERS = new Set(["static", "async", "get", "set", "accessor"]);

/** The members of a class body between tokens `from` and `to` (its braces). */
function members(tokens: Token[], from: number, to: number): Member[] {
  const found: Member[] = [];
  let i = from;
  while (i < to) {
    const first = tokens[i];
    if (first.text === ";") {
      i++;
      continue;
    }
    let isStatic = false;
    // Modifiers: a name followed by another part of the member's head.
    while (
      i < to && tokens[i].kind === "name" && MODIFIERS.has(tokens[i].text) &&
      !["(", "=", ";", "}"].includes(tokens[i + 1]?.text ?? "") &&
      !tokens[i + 1]?.newline
    ) {
      if (tokens[i].text === "static") isStatic = true;
      i++;
    }
    if (tokens[i].text === "*") i++;
    if (isStatic && tokens[i].text === "{") {
      // A static block.
      i = closing(tokens, i) + 1;
      found.push({ kind: "other", start: first.start, end: tokens[i - 1].end });
      continue;
    }
    const key = tokens[i];
    const isPrivate = key.kind === "private";
    i = key.text === "[" ? closing(tokens, i) + 1 : i + 1;
    if (tokens[i]?.text === "(") {
      const body = closing(tokens, i) + 1;
      const end = closing(tokens, body);
      found.push({
        kind: !isStatic && key.kind === "name" && key.text === "constructor"
          ? "constructor"
          : "method",
        start: first.start,
        end: tokens[end].end,
      });
      i = end + 1;
      continue;
    }
    // A field: up to `;`, the body's end, or a line break after which a
    // new member starts.
    let initializer: [number, number] | undefined;
    if (tokens[i]?.text === "=") {
      const valueStart = tokens[i].start;
      i++;
      while (i < to && tokens[i].text !== ";") {
        const t = tokens[i];
        if (t.newline && i > 0 && endsValue(tokens[i - 1]) && startsMember(t)) {
          break;
        }
        i = t.text === "(" || t.text === "[" || t.text === "{"
          ? closing(tokens, i) + 1
          : i + 1;
      }
      initializer = [valueStart, tokens[i - 1].end];
    }
    found.push({
      kind: "field",
      start: first.start,
      end: tokens[i - 1].end,
      initializer: isStatic || isPrivate ? undefined : initializer,
    });
  }
  return found;
}

function endsValue(t: Token): boolean {
  return t.kind !== "punct" || t.text === ")" || t.text === "]" ||
    t.text === "}";
}

function startsMember(t: Token): boolean {
  return t.kind === "name" || t.kind === "private" || t.kind === "string" ||
    t.text === "[" || t.text === "*";
}

/**
 * The instance's own fields: functions as programs that make them again with
 * `this` the thread's instance, everything else as values.
 */
export function ownFields(
  instance: object,
  origin: Origin | undefined,
): { values: Record<string, unknown>; functions: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const functions: Record<string, string> = {};
  for (const key of Object.keys(instance)) {
    const value = (instance as Record<string, unknown>)[key];
    if (typeof value === "function") {
      functions[key] = fieldProgram(value, `the field '${key}'`, origin);
    } else values[key] = value;
  }
  return { values, functions };
}

const fieldPrograms = new WeakMap<object, string>();

function fieldProgram(
  fn: object,
  what: string,
  origin: Origin | undefined,
): string {
  let program = fieldPrograms.get(fn);
  if (program === undefined) {
    const expression = functionExpression(fn, what);
    checkFreeCalls(tokenize(expression), what, "");
    // Called with the instance as `this`, which an arrow function keeps.
    const text = `(function(){return ${expression}})`;
    program = toProgram(
      text,
      tokenize(text),
      origin && locate(expression, origin, ""),
    );
    fieldPrograms.set(fn, program);
  }
  return program;
}
