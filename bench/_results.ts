/**
 * Where the benchmarks leave their figures: `bench/NAME_results.json`, one
 * entry per runtime (the latest run on it), which scripts/bench_charts.mjs
 * draws as `bench/NAME.svg`. The charts thus show a benchmark's own output,
 * with the conditions it ran under.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The runtime running the benchmark. */
export const runtimeName: "deno" | "bun" | "node" =
  process.versions.deno !== undefined
    ? "deno"
    : process.versions.bun !== undefined
    ? "bun"
    : "node";

/** One runtime's figures of one benchmark. */
export interface BenchEntry {
  /** The runtime's version. */
  version: string;
  /** When the run ended (ISO 8601). */
  date: string;
  /** The 1-minute load average at the end, and the cores. */
  load: number;
  cores: number;
  /** What the run measured with (iterations, rounds...). */
  settings: Record<string, number | string>;
  /** The figures, by name. */
  figures: Record<string, number>;
}

/** Writes this runtime's figures into `bench/<bench>_results.json`. */
export function saveResults(
  bench: string,
  settings: Record<string, number | string>,
  figures: Record<string, number>,
): void {
  const compiled = import.meta.url.includes("/.node-test/");
  const root = fileURLToPath(
    new URL(compiled ? "../../" : "../", import.meta.url),
  );
  const file = `${root}bench/${bench}_results.json`;
  const all = existsSync(file)
    ? JSON.parse(readFileSync(file, "utf8")) as Record<string, BenchEntry>
    : {};
  all[runtimeName] = {
    version: process.versions[runtimeName] ?? "",
    date: new Date().toISOString(),
    load: Number(loadavg()[0].toFixed(2)),
    cores: availableParallelism(),
    settings,
    figures,
  };
  writeFileSync(file, JSON.stringify(all, null, 2) + "\n");
  console.log(
    `wrote bench/${bench}_results.json (draw with node scripts/bench_charts.mjs)`,
  );
}
