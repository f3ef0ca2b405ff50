#!/usr/bin/env node
// Runs every program in examples/ on Deno, Bun and every Node line of the
// matrix (Node runs the copy compiled against the built npm package),
// printing each one's output, then the example test suites of
// examples/testing/ with each runtime's test runner (`deno test`, `bun test`,
// `node --test`): each runner runs its own suite and the node:test one.
// Exits non-zero when anything fails.
// Usage: node scripts/examples.mjs [deno|bun|node|node20|node22|... ...] [-- name filters]
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import {
  bin,
  buildForNode,
  isNode,
  nodeBinary,
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
// The example test suites, each with its runner.
const suites = {
  deno: () => [
    bin("deno"),
    [
      "test",
      "-A",
      "examples/testing/deno_test.ts",
      "examples/testing/node_test.ts",
    ],
  ],
  bun: () => [
    bin("bun"),
    [
      "test",
      "./examples/testing/bun_test.ts",
      "./examples/testing/node_test.ts",
    ],
  ],
};
const nodeSuite = (name) => [
  nodeBinary(name.slice(4)),
  ["--test", join(".node-test", "examples", "testing", "node_test.js")],
];
const runSuites = filters.length === 0 ||
  filters.some((f) => "testing".includes(f) || f.includes("testing"));
let suiteCount = 0;
for (const name of runSuites ? runtimes : []) {
  const [command, args] = isNode(name) ? nodeSuite(name) : suites[name]();
  suiteCount += 1;
  console.log(`\n$ ${name} ${args.join(" ")}`);
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(result.stdout ?? "");
  process.stdout.write(result.stderr ?? "");
  if (result.status !== 0) {
    const status = result.status ?? `signal ${result.signal}`;
    failures.push(`${name} examples/testing: exit ${status}`);
    console.log(`=> FAILED (exit ${status})`);
  }
}
const total = examples.length * runtimes.length + suiteCount;
console.log(
  `\n${examples.length} examples and ${suiteCount} test suites on ${
    runtimes.join(", ")
  }: ${total - failures.length} passed, ${failures.length} failed`,
);
for (const failure of failures) console.log(`  failed: ${failure}`);
process.exit(failures.length === 0 ? 0 : 1);
