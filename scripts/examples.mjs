#!/usr/bin/env node
// Runs every program in examples/ on Deno, Bun and Node (Node runs the copy
// compiled against the built npm package), printing each one's output.
// Exits non-zero when any example fails on any runtime.
// Usage: node scripts/examples.mjs [deno|bun|node ...] [-- name filters]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const argv = process.argv.slice(2);
const split = argv.indexOf("--");
const chosen = (split < 0 ? argv : argv.slice(0, split)).filter(Boolean);
const filters = split < 0 ? [] : argv.slice(split + 1);
const runtimes = chosen.length > 0 ? chosen : ["deno", "bun", "node"];

const examples = readdirSync(join(root, "examples"))
  .filter((file) => file.endsWith(".ts") && !file.startsWith("_"))
  .filter((file) =>
    filters.length === 0 || filters.some((f) => file.includes(f))
  )
  .sort();

const commands = {
  deno: (file) => [bin("deno"), ["run", "-A", `examples/${file}`]],
  bun: (file) => [bin("bun"), [`examples/${file}`]],
  node: (file) => [
    process.execPath,
    [join(".node-test", "examples", file.replace(/\.ts$/, ".js"))],
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
for (const file of examples) {
  for (const name of runtimes) {
    const [command, args] = commands[name](file);
    console.log(`\n$ ${name === "node" ? "node" : name} ${args.join(" ")}`);
    const result = spawnSync(command, args, {
      cwd: root,
      encoding: "utf8",
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    process.stdout.write(result.stdout ?? "");
    process.stdout.write(result.stderr ?? "");
    const status = result.status ??
      (result.signal ? `signal ${result.signal}` : "unknown");
    if (result.status !== 0) {
      failures.push(`${name} ${file}: exit ${status}`);
      console.log(`=> FAILED (exit ${status})`);
    }
  }
}
const total = examples.length * runtimes.length;
console.log(
  `\n${examples.length} examples on ${runtimes.join(", ")}: ${
    total - failures.length
  } passed, ${failures.length} failed`,
);
for (const failure of failures) console.log(`  failed: ${failure}`);
process.exit(failures.length === 0 ? 0 : 1);
