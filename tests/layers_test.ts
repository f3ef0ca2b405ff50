/**
 * The layers of ARCHITECTURE.md, checked on the sources: every import runs
 * down the chain `_shm ← runtime ← transfer ← thread ← sync ← queue |
 * collections ← executor ← top`, a folder's `_private` files are imported only
 * inside that folder, only `src/_shm/` calls `Atomics.wait` / `waitAsync` /
 * `notify`, and only `src/runtime/` names a runtime.
 *
 * The test reads the `.ts` sources from the repository root (the working
 * directory of every test run), so it checks the same files on every
 * runtime, Node's compiled run included.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import process from "node:process";

const root = process.cwd();

/**
 * The layers, lowest first. A file may import files of its own layer or of
 * a lower one; queue/ and collections/ share a layer and do not import each
 * other. `errors.ts`, `validate.ts` and `wait_options.ts` import nothing
 * but each other and serve every layer, `_shm` included.
 */
const LAYERS: { name: string; members: string[] }[] = [
  {
    name: "base",
    members: ["src/errors.ts", "src/validate.ts", "src/wait_options.ts"],
  },
  { name: "_shm", members: ["src/_shm/"] },
  { name: "runtime", members: ["src/runtime/"] },
  { name: "transfer", members: ["src/transfer/"] },
  { name: "thread", members: ["src/thread/"] },
  { name: "sync", members: ["src/sync/"] },
  { name: "queue | collections", members: ["src/queue/", "src/collections/"] },
  { name: "executor", members: ["src/executor/"] },
  {
    name: "top",
    members: [
      "mod.ts",
      "testing.ts",
      "src/shareable_classes.ts",
      "src/load_shareables.ts",
      "src/entries/",
    ],
  },
];

/** Imports that run up the layers on purpose: `from -> to` and why. */
const UPWARD_ALLOWED: Record<string, string> = {
  "src/transfer/_library.ts -> mod.ts":
    "it hands all of the library's exports to targets compiled from source, so it binds the top layer",
  "src/thread/_worker_run.ts -> src/load_shareables.ts":
    "a dynamic import: a thread's worker registers the classes of the shared objects among its args before it revives them",
  "src/load_shareables.ts -> src/shareable_classes.ts":
    "a dynamic import, sideways in the top layer: a thread that receives a queue or a map needs every class, and shareable_classes.ts is that list",
  "src/entries/pool_worker.ts -> src/shareable_classes.ts":
    "a pool worker registers the shareable classes before it revives a task's args, as a thread's worker does",
};

/**
 * `_private` files imported from another folder: `to` and why. src/transfer/
 * keeps its file names while the other half of issue 14 adds the worker
 * entries there.
 */
const PRIVATE_ALLOWED: Record<string, string> = {
  "src/transfer/_origin.ts":
    "thread/ resolves where a target's source came from; rename to a public name once transfer/ settles",
  "src/transfer/_source_scan.ts":
    "thread/_class_source.ts tokenizes class source; rename once transfer/ settles",
  "src/transfer/_directory.ts":
    "thread.ts and the executor link new threads to the shared-buffer directory; rename once transfer/ settles",
  "src/transfer/_library.ts":
    "Barrier, the pool worker and _worker_run.ts compile targets that may name the library's exports; rename once transfer/ settles",
  "src/transfer/_directory_protocol.ts":
    "executor/_protocol.ts types the pool worker's link to the directory, and entries/directory_worker.ts serves it",
  "src/executor/_protocol.ts":
    "entries/pool_worker.ts is the worker half of the executor's private protocol",
  "src/executor/_task_ring_reader.ts":
    "entries/pool_worker.ts claims tasks from the pool's task ring through it",
  "src/executor/_result_ring_writer.ts":
    "entries/pool_worker.ts writes its results into its result ring through it",
  "src/thread/_protocol.ts":
    "entries/thread_worker.ts is the worker half of a thread's private protocol",
};

/** Files that may call Atomics.wait / waitAsync / notify outside src/_shm/, and why. */
const ATOMICS_ALLOWED: Record<string, string> = {
  "src/entries/thread_worker.ts":
    "every thread starts on its bundle, which inlines import-free modules only (_shm/futex.ts imports four), so it wakes its owner with Atomics.notify itself",
  "src/runtime/worker_scope.ts":
    "a 1 ms sleep on a full pipe in a module the worker entry bundle inlines, which must import nothing",
  "src/thread/timer.ts":
    "Timer's methods travel to its thread as source text (a Thread subclass), so they may name globals only",
};

/** What names a runtime, outside string literals and comments. */
const RUNTIME_PATTERNS: RegExp[] = [
  /\bDeno\b/, // Deno's namespace
  /\bBun\b/, // Bun's namespace
  /\bprocess\s*\./, // Node's process object (process.exit, .on, .versions...)
];
/** Modules only src/runtime/ may import. */
const RUNTIME_MODULES = ["node:worker_threads", "node:process"];

/** Generated copies of checked sources (see scripts/bundle_worker_entry.mjs). */
const GENERATED = /\.generated\.ts$/;

interface Import {
  /** The specifier as written. */
  specifier: string;
  /** The repository path it resolves to, for a relative specifier. */
  target?: string;
  typeOnly: boolean;
  dynamic: boolean;
}

interface Source {
  path: string;
  /** Lines of code: comments and string literals blanked. */
  code: string[];
  /** The lines as written, for messages. */
  lines: string[];
  imports: Import[];
}

function listSources(): string[] {
  const files = ["mod.ts", "testing.ts"];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir))) {
      const path = `${dir}/${name}`;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith(".ts") && !GENERATED.test(name)) files.push(path);
    }
  };
  walk("src");
  return files.sort();
}

/** Blanks comments and the insides of string literals, line by line. */
function codeLines(text: string): string[] {
  let inBlock = false;
  return text.split("\n").map((line) => {
    let out = "";
    let i = 0;
    while (i < line.length) {
      if (inBlock) {
        const end = line.indexOf("*/", i);
        if (end === -1) return out;
        inBlock = false;
        i = end + 2;
        continue;
      }
      const c = line[i];
      if (c === "/" && line[i + 1] === "*") {
        inBlock = true;
        i += 2;
      } else if (c === "/" && line[i + 1] === "/") {
        return out;
      } else if (c === '"' || c === "'" || c === "`") {
        let j = i + 1;
        while (j < line.length && line[j] !== c) j += line[j] === "\\" ? 2 : 1;
        out += c + c;
        i = j + 1;
      } else {
        out += c;
        i++;
      }
    }
    return out;
  });
}

function resolve(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  return normalize(join(dirname(from), specifier)).replaceAll("\\", "/");
}

function readSource(path: string): Source {
  const text = readFileSync(join(root, path), "utf8");
  const code = codeLines(text);
  const imports: Import[] = [];
  // Statements start a line; JSDoc examples start with " * " and do not match.
  const statement =
    /^(import|export)\s+(type\s+)?(?:[^;"'`]*?\s+from\s+)?"([^"]+)";/gm;
  for (const match of text.matchAll(statement)) {
    if (match[1] === "export" && !/\bfrom\b/.test(match[0])) continue;
    const specifier = match[3];
    imports.push({
      specifier,
      target: resolve(path, specifier),
      typeOnly: match[2] !== undefined,
      dynamic: false,
    });
  }
  // Dynamic imports of a literal, outside comments and strings; a specifier
  // that names no file (an example in an error message) is not one.
  const dynamic = /\bimport\(\s*"([^"]+)"\s*\)/g;
  const lines = text.split("\n");
  code.forEach((line, index) => {
    if (!line.includes("import(")) return;
    for (const match of lines[index].matchAll(dynamic)) {
      const target = resolve(path, match[1]);
      if (target !== undefined && !existsSync(join(root, target))) continue;
      imports.push({
        specifier: match[1],
        target,
        typeOnly: false,
        dynamic: true,
      });
    }
  });
  return { path, code, lines, imports };
}

function layerOf(path: string): number {
  return LAYERS.findIndex(({ members }) =>
    members.some((m) => m.endsWith("/") ? path.startsWith(m) : path === m)
  );
}

function groupOf(path: string): string {
  const layer = LAYERS[layerOf(path)];
  return layer.members.find((m) =>
    m.endsWith("/") ? path.startsWith(m) : path === m
  )!;
}

const isPrivate = (path: string): boolean =>
  path.split("/").pop()!.startsWith("_");

const sources = listSources().map(readSource);
const chain = LAYERS.map(({ name }) => name).join(" ← ");

test("every source file belongs to a layer", () => {
  const lost = sources.map(({ path }) => path).filter((p) => layerOf(p) < 0);
  assert.deepEqual(
    lost,
    [],
    `put these files in a layer of tests/layers_test.ts and ARCHITECTURE.md`,
  );
});

test("imports run down the layers", () => {
  const used = new Set<string>();
  const wrong: string[] = [];
  for (const { path, imports } of sources) {
    for (const { target, typeOnly, dynamic } of imports) {
      // A type-only import is erased before any runtime loads the module.
      if (target === undefined || typeOnly || !target.endsWith(".ts")) continue;
      const from = layerOf(path);
      const to = layerOf(target);
      const sideways = from === to && groupOf(path) !== groupOf(target) &&
        LAYERS[from].name !== "base";
      if (to < from || (to === from && !sideways)) continue;
      const key = `${path} -> ${target}`;
      if (key in UPWARD_ALLOWED) {
        used.add(key);
        continue;
      }
      wrong.push(
        `${path} (${LAYERS[from].name}) ${
          dynamic ? "dynamically imports" : "imports"
        } ${target} (${LAYERS[to].name})`,
      );
    }
  }
  assert.deepEqual(
    wrong,
    [],
    `imports must run down the layers ${chain} (see ARCHITECTURE.md)`,
  );
  assert.deepEqual(
    Object.keys(UPWARD_ALLOWED).filter((key) => !used.has(key)),
    [],
    "these entries of UPWARD_ALLOWED are no longer needed: remove them",
  );
});

test("a folder's _private files are imported only inside that folder", () => {
  const used = new Set<string>();
  const wrong: string[] = [];
  for (const { path, imports } of sources) {
    for (const { target } of imports) {
      if (target === undefined || !isPrivate(target)) continue;
      if (dirname(target) === dirname(path)) continue;
      if (target in PRIVATE_ALLOWED) {
        used.add(target);
        continue;
      }
      wrong.push(`${path} imports ${target}`);
    }
  }
  assert.deepEqual(
    wrong,
    [],
    "a _private file serves its own folder only: import a public module of that folder, or move the code",
  );
  assert.deepEqual(
    Object.keys(PRIVATE_ALLOWED).filter((key) => !used.has(key)),
    [],
    "these entries of PRIVATE_ALLOWED are no longer needed: remove them",
  );
});

test("only src/_shm/ calls Atomics.wait, Atomics.waitAsync and Atomics.notify", () => {
  const used = new Set<string>();
  const wrong: string[] = [];
  for (const { path, code, lines } of sources) {
    if (path.startsWith("src/_shm/")) continue;
    code.forEach((line, index) => {
      if (!/\bAtomics\s*\.\s*(wait|waitAsync|notify)\b/.test(line)) return;
      if (path in ATOMICS_ALLOWED) used.add(path);
      else wrong.push(`${path}:${index + 1}: ${lines[index].trim()}`);
    });
  }
  assert.deepEqual(
    wrong,
    [],
    "wait through src/_shm/wait_loop.ts or src/_shm/futex.ts",
  );
  assert.deepEqual(
    Object.keys(ATOMICS_ALLOWED).filter((key) => !used.has(key)),
    [],
    "these entries of ATOMICS_ALLOWED are no longer needed: remove them",
  );
});

test("only src/runtime/ names a runtime", () => {
  const wrong: string[] = [];
  for (const { path, code, lines, imports } of sources) {
    if (path.startsWith("src/runtime/")) continue;
    for (const { specifier } of imports) {
      if (RUNTIME_MODULES.includes(specifier)) {
        wrong.push(`${path} imports ${specifier}`);
      }
    }
    code.forEach((line, index) => {
      if (RUNTIME_PATTERNS.some((pattern) => pattern.test(line))) {
        wrong.push(`${path}:${index + 1}: ${lines[index].trim()}`);
      }
    });
  }
  assert.deepEqual(
    wrong,
    [],
    "code outside src/runtime/ asks the adapter (runtime/detect.ts, runtime/worker_scope.ts) instead of naming a runtime",
  );
});

test("the layers test reads what it checks", () => {
  // Guards the parser: a test that found no imports would pass vacuously.
  const lock = sources.find(({ path }) => path === "src/sync/lock.ts")!;
  assert.ok(lock.imports.some(({ target }) => target === "src/errors.ts"));
  const run = sources.find(({ path }) => path === "src/thread/_worker_run.ts")!;
  assert.ok(run.imports.some(({ dynamic }) => dynamic));
  assert.ok(
    sources.some(({ path }) => path === "src/_shm/futex.ts"),
    "run the tests from the repository root",
  );
});
