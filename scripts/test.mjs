#!/usr/bin/env node
// Runs the test suite on Deno, Bun and every Node line of the matrix (Node
// against the built npm package), prints each runtime's own summary, then one
// line of its own: `N passed, M failed`. Exits non-zero when any runtime fails.
// Usage: node scripts/test.mjs [deno|bun|node|node20|node22|... ...] [-- file filters]
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import {
  bin,
  isNode,
  nodeBinary,
  parseArgs,
  pickFiles,
  root,
} from "./_runner.mjs";

const { runtimes, filters, skipped } = parseArgs(process.argv.slice(2));
const testFiles = pickFiles(
  "tests",
  (file) => file.endsWith("_test.ts"),
  filters,
);

function run(command, args, env = {}) {
  console.log(`\n$ ${[command, ...args].join(" ")}`);
  const result = spawnSync(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const output = (result.stdout ?? "") + (result.stderr ?? "");
  process.stdout.write(output);
  return {
    // deno-lint-ignore no-control-regex
    output: output.replace(/\x1b\[[0-9;]*m/g, ""),
    status: result.status ?? 1,
  };
}

// deno-fmt-ignore
const parsers = {
  deno: (out) => {
    const m = [...out.matchAll(/(?:ok|FAILED) \| (\d+) passed(?: \((?:\d+) steps?\))? \| (\d+) failed/g)].at(-1);
    return m ? { passed: +m[1], failed: +m[2] } : null;
  },
  bun: (out) => {
    const p = [...out.matchAll(/^\s*(\d+) pass$/gm)].at(-1);
    const f = [...out.matchAll(/^\s*(\d+) fail$/gm)].at(-1);
    return p && f ? { passed: +p[1], failed: +f[1] } : null;
  },
  node: (out) => {
    const p = [...out.matchAll(/^# pass (\d+)$/gm)].at(-1);
    const f = [...out.matchAll(/^# fail (\d+)$/gm)].at(-1);
    return p && f ? { passed: +p[1], failed: +f[1] } : null;
  },
};

const commands = {
  deno: () =>
    run(bin("deno"), [
      "test",
      "-A",
      "--no-check",
      ...testFiles.map((f) => `tests/${f}`),
    ]),
  bun: () =>
    run(bin("bun"), [
      "test",
      "--timeout",
      "120000",
      ...testFiles.map((f) => `./tests/${f}`),
    ]),
};

let built = null;
/** Builds npm/ and .node-test/ once, for every Node line. */
function buildForNode() {
  built ??= run(bin("deno"), ["run", "-A", "scripts/build_npm.ts", "--tests"]);
  return built.status === 0;
}

function runNode(line) {
  if (!buildForNode()) return { output: "", status: 1 };
  const files = testFiles.map((f) =>
    join(".node-test", "tests", f.replace(/\.ts$/, ".js"))
  );
  return run(nodeBinary(line), [
    "--test",
    "--test-reporter=tap",
    "--test-concurrency=1",
    ...files,
  ]);
}

let passed = 0;
let failed = 0;
const lines = [];
for (const name of runtimes) {
  const { output, status } = isNode(name)
    ? runNode(name.slice(4))
    : commands[name]();
  const counts = parsers[isNode(name) ? "node" : name](output);
  if (counts === null) {
    failed += 1;
    lines.push(`${name}: no summary (exit ${status}) — counted as 1 failure`);
    continue;
  }
  if (status !== 0 && counts.failed === 0) counts.failed = 1;
  passed += counts.passed;
  failed += counts.failed;
  lines.push(`${name}: ${counts.passed} passed, ${counts.failed} failed`);
}
for (const name of skipped) lines.push(`${name}: skipped (no binary here)`);
console.log("\n" + lines.join("\n"));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
