#!/usr/bin/env node
// Compares two checkouts of this repository on the benchmarks in one run: each round runs every
// benchmark on the old tree and the new one, alternating which goes first, so that the machine's
// drift falls on both. Prints each figure's median per tree, after/before, and the median of the
// per-round ratios (paired), which resists drift best. Contended figures on a 2-core machine swing
// more than the differences this looks for: read them with their unchanged baselines.
//
// Usage: node scripts/bench_compare.mjs BEFORE_DIR AFTER_DIR [--rounds N] [--log FILE]
//          [deno|bun|node20|node22|node24|node26 ...]
// Make BEFORE_DIR with `git worktree add --detach ../before REV` (it uses this checkout's
// node_modules). Node runs each tree's .node-test build, made here first.
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import { bin, programCommand, root } from "./_runner.mjs";

const argv = process.argv.slice(2);
function option(name, fallback) {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const [value] = argv.splice(i, 2).slice(1);
  return value;
}
const rounds = Number(option("rounds", "5"));
const log = option("log", resolve(root, ".bench-tmp/compare.jsonl"));
const [before, after, ...picked] = argv;
if (before === undefined || after === undefined || !(rounds > 0)) {
  console.error(
    "usage: node scripts/bench_compare.mjs BEFORE_DIR AFTER_DIR [--rounds N] [--log FILE] [runtimes...]",
  );
  process.exit(2);
}
const trees = [resolve(before), resolve(after)];
const runtimes = picked.length > 0 ? picked : ["deno", "bun", "node24"];
const benches = ["thread_start", "locks", "queues", "executor"];

function run(runtime, tree, file, extra, timeout = 600_000) {
  const [command, args] = programCommand(runtime, "bench", `${file}.ts`);
  return spawnSync(command, [...args, ...extra], {
    cwd: tree,
    env: { ...process.env, BENCH_RUNS: "3" },
    encoding: "utf8",
    timeout,
  });
}

for (const tree of trees) {
  if (!existsSync(`${tree}/node_modules`)) {
    symlinkSync(resolve(root, "node_modules"), `${tree}/node_modules`);
  }
  if (runtimes.some((r) => r.startsWith("node"))) {
    const build = spawnSync(
      bin("deno"),
      ["run", "-A", "scripts/build_npm.ts", "--tests"],
      { cwd: tree, stdio: "inherit" },
    );
    if (build.status !== 0) process.exit(1);
  }
}

// `bench/executor.ts --child` writes the worker files it loads into its tree's .bench-tmp/;
// a tree from before it did so runs the after tree's, which also keeps the workload the same.
if (benches.includes("executor")) {
  const files = ["peer_worker.mjs", "raw_worker.mjs"];
  for (const file of files) {
    rmSync(`${trees[1]}/.bench-tmp/${file}`, { force: true });
  }
  run(runtimes[0], trees[1], "executor", ["--child", "raw"], 120_000); // Hangs without the files.
  for (const file of files) {
    const written = `${trees[1]}/.bench-tmp/${file}`;
    if (!existsSync(written)) {
      console.error(
        `${after}: bench/executor.ts --child does not write ${file}; use a newer AFTER_DIR`,
      );
      process.exit(1);
    }
    mkdirSync(`${trees[0]}/.bench-tmp`, { recursive: true });
    copyFileSync(written, `${trees[0]}/.bench-tmp/${file}`);
  }
}

/** Says which run gave no figures, and why: its sample is left out of the table. */
function failed(runtime, tree, what, r) {
  const why = r.error?.message ?? (r.stderr ?? "").trim().split("\n").at(-1) ??
    `exit ${r.status}`;
  console.error(`${runtime} ${tree} ${what}: no figures (${why})`);
}

/** One run's figures: the executor child's RESULT line, else the results file. */
function measure(runtime, tree, bench) {
  if (bench === "executor") {
    const figures = {};
    for (const who of ["threading", "raw"]) {
      const r = run(runtime, tree, "executor", ["--child", who]);
      const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (line === undefined) {
        failed(runtime, tree, `executor --child ${who}`, r);
        continue;
      }
      const { tiny, medium } = JSON.parse(line.slice(7));
      figures[`${who} tiny tasks/s`] = tiny[0];
      figures[`${who} medium tasks/s`] = medium[0];
    }
    return figures;
  }
  const r = run(runtime, tree, bench, []);
  if (r.status !== 0) {
    failed(runtime, tree, bench, r);
    return {};
  }
  const all = JSON.parse(
    readFileSync(`${tree}/bench/${bench}_results.json`, "utf8"),
  );
  return all[runtime.startsWith("node") ? "node" : runtime].figures;
}

// The runs overwrite each tree's bench/*_results.json: put them back at the end.
const saved = trees.flatMap((tree) =>
  benches.filter((b) => b !== "executor").map((b) => {
    const file = `${tree}/bench/${b}_results.json`;
    return [file, existsSync(file) ? readFileSync(file, "utf8") : undefined];
  })
);
mkdirSync(dirname(log), { recursive: true });
const values = new Map(); // "runtime|bench|figure" -> [Map(round -> v), Map(round -> v)]
for (let round = 1; round <= rounds; round++) {
  for (const runtime of runtimes) {
    for (const bench of benches) {
      const repeats = bench === "executor" ? 3 : 1; // Short runs: more samples.
      for (let repeat = 0; repeat < repeats; repeat++) {
        const order = (round + repeat) % 2 === 1 ? [0, 1] : [1, 0];
        for (const side of order) {
          const figures = measure(runtime, trees[side], bench);
          const sample = `${round}.${repeat}`;
          appendFileSync(
            log,
            JSON.stringify({ sample, runtime, bench, side, figures }) + "\n",
          );
          for (const [name, v] of Object.entries(figures)) {
            if (typeof v !== "number") continue;
            const key = `${runtime}|${bench}|${name}`;
            if (!values.has(key)) values.set(key, [new Map(), new Map()]);
            values.get(key)[side].set(sample, v);
          }
        }
      }
    }
    console.error(`round ${round}/${rounds} done on ${runtime}`);
  }
}
for (const [file, text] of saved) {
  if (text !== undefined) writeFileSync(file, text);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};
const fmt = (v) => (Math.abs(v) >= 1000 ? v.toExponential(3) : v.toFixed(3));
console.log(
  "| runtime | bench | figure | before | after | after/before | paired |",
);
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: |");
for (const [key, [a, b]] of [...values].sort()) {
  const ma = median(a.values());
  const mb = median(b.values());
  const paired = median(
    [...a].filter(([s]) => b.has(s)).map(([s, v]) => b.get(s) / v),
  );
  console.log(
    `| ${key.split("|").join(" | ")} | ${fmt(ma)} | ${fmt(mb)} | ${
      (mb / ma).toFixed(3)
    } | ${paired.toFixed(3)} |`,
  );
}
console.log(`\nevery sample is in ${log}`);
