/**
 * A small JavaScript tokenizer for the source text of functions and classes
 * sent to threads: enough to tell identifiers from strings, comments, regular
 * expressions and template text, to match brackets, and to split a class body
 * into its members. It reads what runtimes print for `fn.toString()`, not
 * arbitrary programs, and errs on the side of reporting nothing.
 *
 * @module
 */

/** One token: its kind, its text and where it starts and ends in the source. */
export interface Token {
  /** `name` (identifiers and keywords), `private` (`#x`), `string`, `template`, `regex`, `number` or `punct`. */
  kind:
    | "name"
    | "private"
    | "string"
    | "template"
    | "regex"
    | "number"
    | "punct";
  text: string;
  start: number;
  end: number;
  /** Whether a line break precedes the token. */
  newline: boolean;
}

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

const NAME_START = /[\p{L}\p{Nl}$_]/u;
const NAME_PART = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$_\u200c\u200d]/u;

/** Splits `source` into tokens (comments and white space dropped). */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  // Template literals nest: each entry counts the open braces of one `${`.
  const templates: number[] = [];
  let i = 0;
  let newline = false;
  const push = (kind: Token["kind"], start: number): void => {
    tokens.push({ kind, text: source.slice(start, i), start, end: i, newline });
    newline = false;
  };
  const template = (start: number): void => {
    // Reads template text from `i` (after "`" or "}") up to "`" or "${".
    while (i < source.length) {
      const c = source[i];
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        push("template", start);
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        i += 2;
        push("template", start);
        templates.push(0);
        return;
      } else i++;
    }
    push("template", start);
  };
  while (i < source.length) {
    const c = source[i];
    const start = i;
    if (c === "\n" || c === "\r" || c === "\u2028" || c === "\u2029") {
      newline = true;
      i++;
    } else if (c === " " || c === "\t" || /\s/.test(c)) {
      i++;
    } else if (c === "/" && source[i + 1] === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && source[i + 1] === "*") {
      const close = source.indexOf("*/", i + 2);
      const end = close < 0 ? source.length : close + 2;
      if (source.slice(i, end).includes("\n")) newline = true;
      i = end;
    } else if (c === "'" || c === '"') {
      i++;
      while (i < source.length && source[i] !== c) {
        i += source[i] === "\\" ? 2 : 1;
      }
      i++;
      push("string", start);
    } else if (c === "`") {
      i++;
      template(start);
    } else if (c === "}" && templates.length > 0 && templates.at(-1) === 0) {
      templates.pop();
      i++;
      template(start);
    } else if (c === "#" && NAME_START.test(source[i + 1] ?? "")) {
      i++;
      while (i < source.length && NAME_PART.test(source[i])) i++;
      push("private", start);
    } else if (NAME_START.test(c) || c === "\\") {
      while (
        i < source.length && (NAME_PART.test(source[i]) || source[i] === "\\")
      ) i++;
      push("name", start);
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(source[i + 1]))) {
      while (i < source.length && /[0-9a-zA-Z_.]/.test(source[i])) {
        // An exponent's sign belongs to the number.
        if (/[eE]/.test(source[i]) && /[+-]/.test(source[i + 1])) i++;
        i++;
      }
      push("number", start);
    } else if (c === "/" && startsExpression(tokens.at(-1))) {
      i++;
      let inClass = false;
      while (i < source.length) {
        const d = source[i];
        if (d === "\\") i += 2;
        else if (d === "[") (inClass = true), i++;
        else if (d === "]") (inClass = false), i++;
        else if (d === "/" && !inClass) break;
        else if (d === "\n") break;
        else i++;
      }
      i++;
      while (i < source.length && NAME_PART.test(source[i])) i++;
      push("regex", start);
    } else {
      if (templates.length > 0) {
        if (c === "{") templates[templates.length - 1]++;
        else if (c === "}") templates[templates.length - 1]--;
      }
      // Multi-character operators matter only as "not a name": one
      // character at a time, but `=>`, `?.` and `...` stay whole.
      const three = source.slice(i, i + 3);
      const two = source.slice(i, i + 2);
      i += three === "..." ? 3 : two === "=>" || two === "?." ? 2 : 1;
      push("punct", start);
    }
  }
  return tokens;
}

function startsExpression(previous: Token | undefined): boolean {
  if (previous === undefined) return true;
  if (previous.kind === "name") {
    return KEYWORDS_BEFORE_EXPRESSION.has(previous.text);
  }
  if (previous.kind === "punct") {
    return previous.text !== ")" && previous.text !== "]" &&
      previous.text !== "}";
  }
  return false;
}

/** The index of the token that closes the bracket opened at `open`. */
export function closing(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== "punct") {
      continue;
    }
    if (t.text === "(" || t.text === "[" || t.text === "{") depth++;
    else if (t.text === ")" || t.text === "]" || t.text === "}") {
      if (--depth === 0) return i;
    }
  }
  return tokens.length - 1;
}

/** Whether token `i` is an identifier read as a variable (not `a.b`'s `b`, not a key). */
export function isReference(tokens: Token[], i: number): boolean {
  const t = tokens[i];
  if (t.kind !== "name") return false;
  const before = tokens[i - 1];
  if (
    before?.kind === "punct" && (before.text === "." || before.text === "?.")
  ) {
    return false;
  }
  const after = tokens[i + 1];
  // An object literal's key `{ a: 1 }` (a conditional's `x ? a : b` is read
  // as a key too: this errs towards reporting nothing).
  if (after?.kind === "punct" && after.text === ":") return false;
  return true;
}

/** The names a source reads, among `candidates`, in order of first use. */
export function namesUsed(
  tokens: Token[],
  candidates: ReadonlySet<string>,
): string[] {
  const found = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (candidates.has(t.text) && isReference(tokens, i)) found.add(t.text);
  }
  return [...found];
}
