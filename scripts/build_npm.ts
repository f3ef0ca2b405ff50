/**
 * Builds the npm package into `npm/`: ES modules and `.d.ts` files compiled by
 * `tsc` from the same sources JSR publishes, plus a package.json whose version
 * comes from deno.json. With `--tests`, also compiles tests/, examples/ and
 * bench/ into `.node-test/`, importing the built package, for Node's runs.
 * With `--out DIR`, writes the package to DIR instead of `npm/`.
 *
 * Run: `deno run -A scripts/build_npm.ts [--tests] [--out DIR]`
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeBundle } from "./bundle_worker_entry.mjs";
import { BLOCKS_DIR, writeBlocks } from "../tests/_doc_blocks.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = join(root, "node_modules", ".bin", "tsc");
const denoJson = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));

const compilerOptions = {
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  rewriteRelativeImportExtensions: true,
  allowImportingTsExtensions: false,
  strict: true,
  skipLibCheck: true,
  lib: ["ES2024", "ESNext.Disposable", "DOM"],
  types: ["node"],
  typeRoots: [join(root, "node_modules", "@types")],
};

function compile(outDir: string, files: string[], declaration: boolean): void {
  const config = join(root, `.tsconfig.build.${process.pid}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        ...compilerOptions,
        outDir,
        rootDir: root,
        declaration,
      },
      files,
    }),
  );
  try {
    execFileSync(tsc, ["-p", config], { stdio: "inherit", cwd: root });
  } finally {
    rmSync(config, { force: true });
  }
}

const outIndex = process.argv.indexOf("--out");
const packageDir = outIndex < 0
  ? join(root, "npm")
  : resolve(process.argv[outIndex + 1]);

function buildPackage(): void {
  const out = packageDir;
  rmSync(out, { recursive: true, force: true });
  compile(
    join(out, "esm"),
    [join(root, "mod.ts"), join(root, "testing.ts"), ...listTs("src")],
    true,
  );
  writeFileSync(
    join(out, "package.json"),
    JSON.stringify(
      {
        name: denoJson.name,
        version: denoJson.version,
        description:
          "Real threads for TypeScript: Python's threading model (Thread, Lock, Queue, ThreadPoolExecutor) on Deno, Bun and Node.",
        license: denoJson.license,
        type: "module",
        main: "./esm/mod.js",
        types: "./esm/mod.d.ts",
        exports: {
          ".": { types: "./esm/mod.d.ts", import: "./esm/mod.js" },
          "./testing": {
            types: "./esm/testing.d.ts",
            import: "./esm/testing.js",
          },
        },
        files: ["esm/", "docs/", "README.md", "LICENSE"],
        // Tested on Node 20, 22, 24 and 26, Deno 2.9 and Bun 1.4 (README).
        engines: { node: ">=20", deno: ">=2.9", bun: ">=1.4" },
        // The testing entry point installs its hooks when imported.
        sideEffects: ["./esm/testing.js"],
        keywords: [
          "threads",
          "worker",
          "threading",
          "lock",
          "queue",
          "thread-pool",
          "deno",
          "bun",
        ],
      },
      null,
      2,
    ) + "\n",
  );
  // The README links to the guides in docs/.
  for (const file of ["README.md", "LICENSE", "docs"]) {
    if (existsSync(join(root, file))) {
      cpSync(join(root, file), join(out, file), { recursive: true });
    }
  }
}

function listTs(dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join(root, dir, file));
}

/** Compiles tests, examples and benches so that they import the built package. */
function buildNodeTests(): void {
  const out = join(root, ".node-test");
  rmSync(out, { recursive: true, force: true });
  // All of src too: tests that import internals reach workers by URL only
  // (the shared-buffer directory's), which an import graph would miss.
  // The docs' code blocks, as programs (see tests/_doc_blocks.ts).
  writeBlocks(root);
  const files = [
    ...listTs(BLOCKS_DIR),
    ...listTs("tests"),
    // The Deno.test and bun:test suites run on their own runners only.
    ...listTs("examples").filter((file) =>
      !/examples[\\/]testing[\\/](deno|bun)_test\.ts$/.test(file)
    ),
    ...listTs("bench"),
    ...listTs("src"),
  ];
  compile(out, files, false);
  for (const file of readdirSync(out, { recursive: true, encoding: "utf8" })) {
    if (!file.endsWith(".js")) continue;
    const path = join(out, file);
    const text = readFileSync(path, "utf8");
    const rewritten = text
      .replace(/(["'])(?:\.\.\/)+mod\.js\1/g, '"@threading/threading"')
      .replace(
        /(["'])(?:\.\.\/)+testing\.js\1/g,
        '"@threading/threading/testing"',
      )
      // tsc wraps dynamic import() in a helper; a thread target is sent as
      // source text without the helper, so unwrap it.
      .replace(/__rewriteRelativeImportExtension\(([^()]*)\)/g, "$1");
    const final = file.startsWith(BLOCKS_DIR)
      // A doc block's `import.meta.resolve("@threading/threading")` too.
      ? rewritten.replace(/(["'])\.\.\/mod\.ts\1/g, '"@threading/threading"')
      : rewritten;
    if (final !== text) writeFileSync(path, final);
  }
  const link = join(out, "node_modules", "@threading", "threading");
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(packageDir, link, "dir");
  writeFileSync(
    join(out, "package.json"),
    JSON.stringify({ type: "module", private: true }),
  );
}

// The worker entry's one-module copy must match its sources before it ships.
if (writeBundle()) {
  console.log("regenerated src/entries/thread_worker_entry.generated.ts");
}
buildPackage();
if (process.argv.includes("--tests")) buildNodeTests();
console.log(`built ${packageDir} (${denoJson.name}@${denoJson.version})`);
