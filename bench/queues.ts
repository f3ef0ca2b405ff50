/**
 * Queue throughput beside postMessage, between the same threads.
 *
 * Items per second for small items (a number; a small object) from one
 * producer thread to one consumer thread and from two to two, through a
 * `Queue` (`putSync` → `getSync`, and `putSync` → `await get()`) and through
 * `postMessage` over a `MessageChannel`; bytes per second for 64 KB items.
 * Every figure is the median of several runs; the ratio is against
 * postMessage measured in the same run.
 *
 * Run: `deno run -A bench/queues.ts`, `bun bench/queues.ts`, or on Node
 * `node .node-test/bench/queues.js` after
 * `deno run -A scripts/build_npm.ts --tests`. `BENCH_RUNS=9` sets the number
 * of runs (default 5); `BENCH_ONLY="object 1"` keeps only the scenarios
 * whose name contains that text.
 */
import process from "node:process";
import { MessageChannel, Worker } from "node:worker_threads";
import { Queue } from "../mod.ts";
import type { Command } from "./_queues_worker.ts";
import { saveResults } from "./_results.ts";

const runtime = process.versions.deno !== undefined
  ? "deno"
  : process.versions.bun !== undefined
  ? "bun"
  : "node";
const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const libraryUrl = runtime === "node"
  ? import.meta.resolve("@threading/threading")
  : new URL("../mod.ts", import.meta.url).href;
const shareableUrl = new URL(`./src/transfer/shareable${extension}`, libraryUrl)
  .href;
const runs = Number(process.env.BENCH_RUNS ?? 5);
// BENCH_ONLY=object runs only the scenarios whose name contains "object".
const only = process.env.BENCH_ONLY ?? "";

const toShared = Symbol.for("@threading/threading.toShared");

class Side {
  readonly worker: Worker;
  #waiters: (() => void)[] = [];

  constructor() {
    this.worker = new Worker(
      new URL(`./_queues_worker${extension}`, import.meta.url),
      { workerData: { libraryUrl, shareableUrl } },
    );
    this.worker.on("message", () => this.#waiters.shift()?.());
  }

  next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Sends a command; resolves "ready" and "done" as the side answers. */
  send(
    command: Command,
    transfer: Transferable[] = [],
  ): { ready: Promise<void>; done: Promise<void> } {
    const ready = this.next();
    const done = this.next();
    this.worker.postMessage(command, transfer as never);
    return { ready, done };
  }
}

type Item = Command["item"];

/** Starts the sides together once all are ready; ms until all are done. */
async function timed(
  go: Int32Array,
  runs: { ready: Promise<void>; done: Promise<void> }[],
): Promise<number> {
  await Promise.all(runs.map((run) => run.ready));
  const t0 = performance.now();
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
  await Promise.all(runs.map((run) => run.done));
  return performance.now() - t0;
}

function viaQueue(
  producers: Side[],
  consumers: Side[],
  item: Item,
  n: number,
  async: boolean,
): Promise<number> {
  const queue = new Queue();
  const state = (queue as unknown as Record<symbol, () => unknown>)[toShared]();
  const go = new Int32Array(new SharedArrayBuffer(4));
  const per = n / producers.length;
  const runs = [...producers, ...consumers].map((side, i) =>
    side.send({
      side: i < producers.length ? "produce" : "consume",
      via: "queue",
      queue: state as Command["queue"],
      item,
      n: per,
      go,
      async,
    })
  );
  return timed(go, runs);
}

function viaPorts(
  producers: Side[],
  consumers: Side[],
  item: Item,
  n: number,
): Promise<number> {
  const go = new Int32Array(new SharedArrayBuffer(4));
  const per = n / producers.length;
  const runs = [];
  for (let i = 0; i < producers.length; i++) {
    const { port1, port2 } = new MessageChannel();
    runs.push(
      consumers[i].send(
        { side: "consume", via: "port", port: port2, item, n: per, go },
        [port2] as unknown as Transferable[],
      ),
      producers[i].send(
        { side: "produce", via: "port", port: port1, item, n: per, go },
        [port1] as unknown as Transferable[],
      ),
    );
  }
  return timed(go, runs);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function rate(value: number, bytes: boolean): string {
  if (bytes) return `${(value / 2 ** 20).toFixed(0)} MB/s`;
  return value >= 1e6
    ? `${(value / 1e6).toFixed(2)} M/s`
    : `${(value / 1e3).toFixed(0)} k/s`;
}

const sides = Array.from({ length: 4 }, () => new Side());
await Promise.all(sides.map((side) => side.next()));
const scenarios: [string, Item, number, number][] = [
  ["number 1→1", "number", 1, 200_000],
  ["small object 1→1", "object", 1, 100_000],
  ["number 2→2", "number", 2, 200_000],
  ["small object 2→2", "object", 2, 100_000],
  ["64 KB 1→1", "64KB", 1, 2_000],
];
const rows: string[][] = [];
const figures: Record<string, number> = {};
for (const [name, item, pairs, n] of scenarios) {
  if (!name.includes(only)) continue;
  const producers = sides.slice(0, pairs);
  const consumers = sides.slice(2, 2 + pairs);
  const sync: number[] = [];
  const async: number[] = [];
  const ports: number[] = [];
  for (let r = 0; r < runs; r++) {
    sync.push(n / (await viaQueue(producers, consumers, item, n, false)) * 1e3);
    async.push(n / (await viaQueue(producers, consumers, item, n, true)) * 1e3);
    ports.push(n / (await viaPorts(producers, consumers, item, n)) * 1e3);
  }
  const bytes = item === "64KB";
  const scale = bytes ? 65536 : 1;
  // Items (or bytes, for 64 KB items) per second.
  figures[`${name} getSync`] = median(sync) * scale;
  figures[`${name} await get`] = median(async) * scale;
  figures[`${name} postMessage`] = median(ports) * scale;
  // Ratios are taken run by run (the same moments of machine load), then the median.
  const ratio = (ours: number[]) =>
    median(ours.map((value, r) => value / ports[r])).toFixed(1) + "x";
  rows.push([
    name,
    rate(median(sync) * scale, bytes),
    rate(median(async) * scale, bytes),
    rate(median(ports) * scale, bytes),
    ratio(sync),
    ratio(async),
  ]);
}
for (const side of sides) await side.worker.terminate();

const header = [
  "scenario",
  "Queue getSync",
  "Queue await get",
  "postMessage",
  "ratio sync",
  "ratio async",
];
console.log(
  `\nQueue throughput on ${runtime} ${
    process.versions[runtime]
  } (median of ${runs} runs; ratios against postMessage in the same run)\n`,
);
const widths = header.map((h, i) =>
  Math.max(h.length, ...rows.map((row) => row[i].length))
);
const line = (cells: string[]) =>
  "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
console.log(line(header));
console.log("| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |");
for (const row of rows) console.log(line(row));
saveResults("queues", { runs, only }, figures);
