#!/usr/bin/env node
// Runs every program in examples/ on Deno, Bun and every Node line of the matrix (Node runs the copy
// compiled against the built npm package), printing each one's output.
// Exits non-zero when any example fails on any runtime.
// Usage: node scripts/examples.mjs [deno|bun|node|node20|node22|... ...] [-- name filters]
import { spawnSync } from "node:child_process";
import {
  buildForNode,
  isNode,
  parseArgs,
  pickFiles,
  programCommand,
  root,
} from "./_runner.mjs";

const { runtimes, filters } = parseArgs(process.argv.slice(2));
const examples = pickFiles(
  "examples",
  (file) => file.endsWith(".ts") && !file.startsWith("_"),
  filters,
);

if (runtimes.some(isNode)) buildForNode();

const failures = [];
for (const file of examples) {
  for (const name of runtimes) {
    const [command, args] = programCommand(name, "examples", file);
    console.log(`\n$ ${name} ${args.join(" ")}`);
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
