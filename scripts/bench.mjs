#!/usr/bin/env node
// Runs every benchmark in bench/ on Deno, Bun and every Node line of the matrix (Node runs the copy
// compiled against the built npm package), printing each one's table.
// Then draws bench/*.svg from the results the benchmarks wrote
// (scripts/bench_charts.mjs). Exits non-zero when a benchmark fails to run.
// Usage: node scripts/bench.mjs [deno|bun|node|node20|node22|... ...] [-- name filters] [--- bench args]
import { spawnSync } from "node:child_process";
import {
  buildForNode,
  isNode,
  parseArgs,
  pickFiles,
  programCommand,
  root,
} from "./_runner.mjs";

const argv = process.argv.slice(2);
const passIndex = argv.indexOf("---");
const benchArgs = passIndex < 0 ? [] : argv.slice(passIndex + 1);
const { runtimes, filters } = parseArgs(
  passIndex < 0 ? argv : argv.slice(0, passIndex),
);
const benches = pickFiles(
  "bench",
  (file) => file.endsWith(".ts") && !file.startsWith("_"),
  filters,
);

if (runtimes.some(isNode)) buildForNode();

const failures = [];
for (const file of benches) {
  for (const name of runtimes) {
    const [command, args] = programCommand(name, "bench", file);
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
// Redraws the charts from the results the benchmarks just wrote.
spawnSync(process.execPath, ["scripts/bench_charts.mjs"], {
  cwd: root,
  stdio: "inherit",
});
console.log(
  `\n${benches.length} benchmarks on ${
    runtimes.join(", ")
  }; ${failures.length} failed`,
);
for (const failure of failures) console.log(`  failed: ${failure}`);
process.exit(failures.length === 0 ? 0 : 1);
