// The npm package as users get it: `npm pack` the build, install the tarball
// into an empty project (offline: the package has no dependencies), then run
// a program that imports "@threading/threading" with Node, Bun and Deno, and
// type-check a TypeScript consumer against the shipped .d.ts files.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runtimeName } from "./_helpers.ts";

/** The repository root: the nearest folder above this file with deno.json. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "deno.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("Cannot find the repository root");
    dir = parent;
  }
  return dir;
}

const root = findRoot();
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const work = mkdtempSync(join(tmpdir(), "threading-npm-"));
const project = join(work, "project");
let packageDir = join(root, "npm");

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: "1" },
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(" ")} failed in ${cwd}:\n${stdout}\n${stderr}`,
      { cause: error },
    );
  }
}

// The program users would write, in plain JavaScript.
const program = `
import { Thread, ThreadStateError, currentThread } from "@threading/threading";

class Counter extends Thread {
  constructor(nMax) {
    super({ name: "counter" });
    this.nMax = nMax;
  }
  run() {
    let n = 0;
    while (n < this.nMax) n++;
    return n;
  }
}

const shared = new Int32Array(new SharedArrayBuffer(4));
const thread = new Thread({
  target: (cell, x) => {
    Atomics.add(cell, 0, x);
    return x * 2;
  },
  args: [shared, 21],
});
thread.start();
console.log("function target:", await thread.join(), Atomics.load(shared, 0));
console.log("subclass:", await new Counter(1000).start().join());
try {
  new Thread().join();
} catch (error) {
  console.log("misuse:", error instanceof ThreadStateError);
}
new Thread({ target: (c) => Atomics.wait(c, 0, 0), args: [shared], daemon: true }).start();
console.log("main:", currentThread().name);
`;
const expectedOutput = "function target: 42 21\nsubclass: 1000\n" +
  "misuse: true\nmain: MainThread\n";

// A TypeScript consumer, checked against the package's .d.ts files.
const consumer = `
import { Thread, type ThreadOptions, moduleFunction } from "@threading/threading";

const options: ThreadOptions<number, [number]> = { target: (n: number) => n + 1, args: [1] };
const thread: Thread<number> = new Thread(options);
const value: Promise<number> = thread.start().join();
const fn = moduleFunction<(a: string) => number>("file:///x.js", "f");
void value;
void fn;
`;

before(() => {
  // Node's run builds npm/ right before the tests; other runtimes build a
  // fresh copy of the current sources.
  if (runtimeName !== "node" || !existsSync(join(packageDir, "package.json"))) {
    packageDir = join(work, "package");
    run(
      bin("deno"),
      ["run", "-A", "scripts/build_npm.ts", "--out", packageDir],
      root,
    );
  }
  const packed = JSON.parse(
    run(
      "npm",
      ["pack", packageDir, "--json", "--pack-destination", work],
      work,
    ),
  ) as { filename: string; files: { path: string }[] }[];
  const tarball = join(work, packed[0].filename);
  const files = packed[0].files.map((file) => file.path);
  writeFileSync(join(work, "files.json"), JSON.stringify(files));
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  run(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", tarball],
    project,
  );
  writeFileSync(join(project, "main.js"), program);
  writeFileSync(join(project, "consumer.ts"), consumer);
});

after(() => rmSync(work, { recursive: true, force: true }));

test("npm package: package.json has exports, types, engines and deno.json's version", () => {
  const denoJson = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
  const installed = join(project, "node_modules", "@threading", "threading");
  const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
  assert.equal(pkg.name, "@threading/threading");
  assert.equal(pkg.version, denoJson.version);
  assert.equal(pkg.type, "module");
  assert.equal(pkg.types, "./esm/mod.d.ts");
  assert.deepEqual(pkg.exports["."], {
    types: "./esm/mod.d.ts",
    import: "./esm/mod.js",
  });
  assert.deepEqual(pkg.exports["./testing"], {
    types: "./esm/testing.d.ts",
    import: "./esm/testing.js",
  });
  assert.deepEqual(pkg.engines, { node: ">=20", deno: ">=2.9", bun: ">=1.4" });
  assert.equal(pkg.dependencies, undefined);
  const files: string[] = JSON.parse(
    readFileSync(join(work, "files.json"), "utf8"),
  );
  for (
    const file of [
      "esm/mod.js",
      "esm/mod.d.ts",
      "esm/testing.js",
      "esm/testing.d.ts",
      "package.json",
      "LICENSE",
    ]
  ) {
    assert.ok(files.includes(file), `${file} is packed`);
  }
  assert.ok(files.includes("esm/src/entries/thread_worker.js"));
  for (const file of files) {
    assert.ok(
      !file.endsWith(".ts") || file.endsWith(".d.ts"),
      `${file} is packed`,
    );
    assert.ok(!/^(tests|examples|bench)\//.test(file), `${file} is packed`);
  }
  assert.ok(readdirSync(join(installed, "esm")).includes("mod.js"));
});

test("npm package: the installed tarball runs a program on Node", () => {
  const node = runtimeName === "node" ? process.execPath : "node";
  assert.equal(run(node, ["main.js"], project), expectedOutput);
});

test("npm package: the installed tarball runs a program on Bun", () => {
  assert.equal(run(bin("bun"), ["main.js"], project), expectedOutput);
});

test("npm package: the installed tarball runs a program on Deno", () => {
  assert.equal(
    run(bin("deno"), ["run", "-A", "main.js"], project),
    expectedOutput,
  );
});

test("npm package: its .d.ts files type-check a TypeScript consumer (Node types, then DOM types)", () => {
  const base = {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  };
  const configs = [
    {
      ...base,
      lib: ["ES2024", "ESNext.Disposable"],
      types: ["node"],
      typeRoots: [join(root, "node_modules", "@types")],
    },
    { ...base, lib: ["ES2024", "ESNext.Disposable", "DOM"], types: [] },
  ];
  for (const compilerOptions of configs) {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions, files: ["consumer.ts"] }),
    );
    run(bin("tsc"), ["-p", "tsconfig.json"], project);
  }
});
