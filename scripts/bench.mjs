#!/usr/bin/env node
// Runs every benchmark in bench/ on Deno, Bun and Node (Node runs the copy
// compiled against the built npm package), printing each one's table.
// Exits non-zero when a benchmark fails to run.
// Usage: node scripts/bench.mjs [deno|bun|node ...] [-- name filters] [--- bench args]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
let argv = process.argv.slice(2);
const passIndex = argv.indexOf("---");
const benchArgs = passIndex < 0 ? [] : argv.slice(passIndex + 1);
if (passIndex >= 0) argv = argv.slice(0, passIndex);
const split = argv.indexOf("--");
const chosen = (split < 0 ? argv : argv.slice(0, split)).filter(Boolean);
const filters = split < 0 ? [] : argv.slice(split + 1);
const runtimes = chosen.length > 0 ? chosen : ["deno", "bun", "node"];

const benches = readdirSync(join(root, "bench"))
  .filter((file) => file.endsWith(".ts") && !file.startsWith("_"))
  .filter((file) =>
    filters.length === 0 || filters.some((f) => file.includes(f))
  )
  .sort();

const commands = {
  deno: (file) => [bin("deno"), ["run", "-A", `bench/${file}`]],
  bun: (file) => [bin("bun"), [`bench/${file}`]],
  node: (file) => [
    process.execPath,
    [join(".node-test", "bench", file.replace(/\.ts$/, ".js"))],
  ],
};

if (runtimes.includes("node")) {
  console.log("$ deno run -A scripts/build_npm.ts --tests");
  const build = spawnSync(bin("deno"), [
    "run",
    "-A",
    "scripts/build_npm.ts",
    "--tests",
  ], {
    cwd: root,
    stdio: "inherit",
  });
  if (build.status !== 0) process.exit(1);
}

const failures = [];
for (const file of benches) {
  for (const name of runtimes) {
    const [command, args] = commands[name](file);
    console.log(`\n$ ${name} ${[...args, ...benchArgs].join(" ")}`);
    const result = spawnSync(command, [...args, ...benchArgs], {
      cwd: root,
      stdio: "inherit",
      timeout: 1_800_000,
    });
    if (result.status !== 0) {
      failures.push(`${name} ${file}: exit ${result.status ?? result.signal}`);
    }
  }
}
console.log(
  `\n${benches.length} benchmarks on ${
    runtimes.join(", ")
  }; ${failures.length} failed`,
);
for (const failure of failures) console.log(`  failed: ${failure}`);
process.exit(failures.length === 0 ? 0 : 1);
