/**
 * What a `Thread` costs over a bare worker of the same runtime (Deno and Bun:
 * the web `Worker`; Node: `node:worker_threads`), measured in one run:
 *
 * 1. start + join of a trivial target, median over many iterations
 *    (Thread and raw worker interleaved, so that both see the same noise);
 * 2. a counting loop of 200,000,000 increments split over 2 Threads, over 2
 *    raw workers, and run by 1 Thread; the three variants run in every
 *    round in a rotating order, and the ratios are medians of the ratios
 *    within each round (the load of a shared machine drifts between rounds).
 *
 * It prints the load average before and after: figures taken under load
 * say so.
 * Run: `deno run -A bench/thread_start.ts`, `bun bench/thread_start.ts`,
 * `node .node-test/bench/thread_start.js` (after
 * `deno run -A scripts/build_npm.ts --tests`). Options: `--iterations N`
 * (start + join, default 100), `--rounds N` (counting, default 15),
 * `--increments N` (counting, default 200,000,000), `--settle MS` (the pause
 * before each timed run, default 50).
 */
import { Worker as NodeWorker } from "node:worker_threads";
import process from "node:process";
import { availableParallelism, loadavg } from "node:os";
import { Thread } from "../mod.ts";
import { saveResults } from "./_results.ts";

const runtime = process.versions.deno !== undefined
  ? "deno"
  : process.versions.bun !== undefined
  ? "bun"
  : "node";
const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const rawUrl = new URL(`./_raw_worker${extension}`, import.meta.url);

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

const iterations = option("iterations", 100);
const rounds = option("rounds", 15);
const total = option("increments", 200_000_000);
const settle = option("settle", 50);

/** Runs `source(...args)` in a bare worker and resolves with its result. */
function rawWorker(source: string, args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (runtime === "node") {
      const worker = new NodeWorker(rawUrl);
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.postMessage({ source, args });
    } else {
      const WebWorker = (globalThis as unknown as {
        Worker: new (url: URL, options: { type: "module" }) => {
          postMessage(message: unknown): void;
          addEventListener(
            type: string,
            listener: (event: { data?: unknown; error?: unknown }) => void,
          ): void;
        };
      }).Worker;
      const worker = new WebWorker(rawUrl, { type: "module" });
      worker.addEventListener("message", (event) => resolve(event.data));
      worker.addEventListener("error", (event) => reject(event.error));
      worker.postMessage({ source, args });
    }
  });
}

function viaThread(
  target: (...args: number[]) => number,
  args: number[],
): Promise<unknown> {
  return new Thread({ target, args }).start().join();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  // Lets the previous run's background work end first (a thread's worker
  // shutting down, a spare worker starting), so that it slows neither variant.
  await new Promise((resolve) => setTimeout(resolve, settle));
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const add = (a: number, b: number): number => a + b;
const addSource = add.toString();

function count(nMax: number): number {
  let n = 0;
  while (n < nMax) n++;
  return n;
}
const countSource = count.toString();

const loadBefore = loadavg()[0];

// 1. start + join of a trivial target.
for (let i = 0; i < 5; i++) {
  await viaThread(add, [1, 2]);
  await rawWorker(addSource, [1, 2]);
}
const threadTimes: number[] = [];
const rawTimes: number[] = [];
for (let i = 0; i < iterations; i++) {
  // Alternate the order so that neither always runs second.
  if (i % 2 === 0) {
    threadTimes.push(await time(() => viaThread(add, [1, 2])));
    rawTimes.push(await time(() => rawWorker(addSource, [1, 2])));
  } else {
    rawTimes.push(await time(() => rawWorker(addSource, [1, 2])));
    threadTimes.push(await time(() => viaThread(add, [1, 2])));
  }
}

// 2. the counting loop.
const half = total / 2;
const twoThreads: number[] = [];
const twoRaw: number[] = [];
const oneThread: number[] = [];
const countings: [number[], () => Promise<unknown>][] = [
  [
    twoThreads,
    () => Promise.all([viaThread(count, [half]), viaThread(count, [half])]),
  ],
  [
    twoRaw,
    () =>
      Promise.all([
        rawWorker(countSource, [half]),
        rawWorker(countSource, [half]),
      ]),
  ],
  [oneThread, () => viaThread(count, [total])],
];
const speedRatios: number[] = [];
const speedups: number[] = [];
for (let round = 0; round < rounds; round++) {
  // Rotate the order so that no variant always runs first.
  for (let i = 0; i < countings.length; i++) {
    const [times, run] = countings[(round + i) % countings.length];
    times.push(await time(run));
  }
  const last = (times: number[]) => times[times.length - 1];
  speedRatios.push(last(twoRaw) / last(twoThreads));
  speedups.push(last(oneThread) / last(twoThreads));
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const rawName = runtime === "node"
  ? "node:worker_threads Worker"
  : "web Worker";
const startRatio = median(threadTimes) / median(rawTimes);
const countRatio = median(speedRatios);
console.log(
  `thread_start on ${runtime} ${
    process.versions[runtime]
  } (medians; load average ${loadBefore.toFixed(1)} before, ${
    loadavg()[0].toFixed(1)
  } after, on ${availableParallelism()} cores)`,
);
console.log("");
console.log(`| start + join, ${iterations} iterations | median |`);
console.log("| --- | --- |");
console.log(`| Thread | ${ms(median(threadTimes))} |`);
console.log(`| raw ${rawName} | ${ms(median(rawTimes))} |`);
console.log(`| Thread / raw | ${startRatio.toFixed(2)}x |`);
console.log("");
console.log(
  `| count to ${total.toLocaleString("en-US")}, ${rounds} rounds | median |`,
);
console.log("| --- | --- |");
console.log(`| 2 Threads | ${ms(median(twoThreads))} |`);
console.log(`| 2 raw workers | ${ms(median(twoRaw))} |`);
console.log(`| 1 Thread | ${ms(median(oneThread))} |`);
console.log(
  `| speed of 2 Threads vs 2 raw workers (median of rounds) | ${
    countRatio.toFixed(2)
  }x |`,
);
console.log(
  `| speed-up of 2 Threads over 1 (median of rounds) | ${
    median(speedups).toFixed(2)
  }x |`,
);
saveResults("thread_start", {
  iterations,
  rounds,
  increments: total,
}, {
  threadStartMs: median(threadTimes),
  rawStartMs: median(rawTimes),
  startRatio,
  twoThreadsMs: median(twoThreads),
  twoRawMs: median(twoRaw),
  oneThreadMs: median(oneThread),
  countSpeedRatio: countRatio,
  speedup: median(speedups),
});
