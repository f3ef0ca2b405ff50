/**
 * Executor throughput: 100,000 tiny tasks (`x => x + 1`) and 1,000 medium
 * tasks (a 100,000-iteration loop) through a warm pool of 2 workers, in tasks
 * per second, beside piscina, tinypool, the `multithreading` package and a
 * hand-written pool of 2 raw workers (one `postMessage` per task; for medium
 * tasks, each raw worker runs half of them in one message). Each measurement
 * runs in a child process of its own (peers patch globals) on a warmed-up
 * pool; the 5 rounds interleave the contenders so that the machine's load
 * spreads over all of them. The table shows medians and ratios measured in
 * the same run. A contender that throws or does not finish in time is
 * reported as "fails" / "hangs".
 *
 * Writes bench/executor_results.json (medians per runtime, merged across
 * runs) and draws bench/executor.svg from it.
 *
 * Run: `deno run -A bench/executor.ts`, `bun bench/executor.ts`, and on Node
 * `node .node-test/bench/executor.js` after
 * `deno run -A scripts/build_npm.ts --tests`. `--child NAME` measures one
 * contender once and prints its `RESULT` line (what `bench_compare.mjs` runs).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

const TINY = 100_000;
const MEDIUM = 1_000;
const ROUNDS = 5;
const WORKERS = 2;
const CHILD_TIMEOUT = 180_000;
/** multithreading hangs with 100,000 tasks in flight: it gets them in waves. */
const WAVE = 10_000;

const runtimeName: "deno" | "bun" | "node" = process.versions.deno
  ? "deno"
  : process.versions.bun
  ? "bun"
  : "node";
const scriptPath = fileURLToPath(import.meta.url);
const repoRoot = fileURLToPath(
  new URL(
    scriptPath.includes("/.node-test/") ? "../../" : "../",
    import.meta.url,
  ),
);
const tmp = `${repoRoot}.bench-tmp/`;

interface Measured {
  tiny: number[];
  medium: number[];
}

const contenders = [
  "threading",
  "raw",
  "piscina",
  "tinypool",
  "multithreading",
] as const;
type Contender = typeof contenders[number];

const labels: Record<Contender, string> = {
  threading: "@threading/threading",
  raw: "2 raw workers",
  piscina: "piscina 5.3.2",
  tinypool: "tinypool 2.2.0",
  multithreading: "multithreading 0.3.52 *",
};

const medium = (n: number): number => {
  let sum = 0;
  for (let i = 0; i < 100_000; i++) sum = (sum + i * n) % 1_000_003;
  return sum;
};
const mediumSource = medium.toString();

function writeWorkerFiles(): void {
  mkdirSync(tmp, { recursive: true });
  writeFileSync(
    `${tmp}peer_worker.mjs`,
    `const medium = ${mediumSource};\nexport default (x) => x + 1;\nexport { medium };\n`,
  );
  writeFileSync(
    `${tmp}raw_worker.mjs`,
    `import { parentPort } from "node:worker_threads";
const medium = ${mediumSource};
parentPort.on("message", (m) => {
  if (m.t === "tiny") parentPort.postMessage({ id: m.id, v: m.x + 1 });
  else {
    let s = 0;
    for (let i = m.from; i < m.to; i++) s += medium(i);
    parentPort.postMessage({ id: m.id, v: s });
  }
});
`,
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(run: () => Promise<void>, count: number): Promise<number> {
  const started = performance.now();
  await run();
  return count / ((performance.now() - started) / 1000);
}

function check(results: unknown[], expected: (i: number) => number): void {
  for (let i = 0; i < results.length; i++) {
    if (results[i] !== expected(i)) {
      throw new Error(`wrong result at ${i}: ${results[i]}`);
    }
  }
}

/** One contender: a function running `count` tiny or medium tasks. */
interface Runner {
  tiny(count: number): Promise<void>;
  medium(count: number): Promise<void>;
  close(): Promise<void> | void;
}

async function makeRunner(name: Contender): Promise<Runner> {
  switch (name) {
    case "threading": {
      const { ThreadPoolExecutor } = await import("../mod.ts");
      const pool = new ThreadPoolExecutor({ maxWorkers: WORKERS });
      const tiny = (x: number) => x + 1;
      return {
        async tiny(count) {
          const futures = new Array(count);
          for (let i = 0; i < count; i++) futures[i] = pool.submit(tiny, i);
          check(await Promise.all(futures), (i) => i + 1);
        },
        async medium(count) {
          const futures = new Array(count);
          for (let i = 0; i < count; i++) futures[i] = pool.submit(medium, i);
          check(await Promise.all(futures), medium);
        },
        close: () => pool.shutdown(),
      };
    }
    case "raw": {
      const { Worker } = await import("node:worker_threads");
      const workers = [0, 1].map(() =>
        new Worker(pathToFileURL(`${tmp}raw_worker.mjs`))
      );
      const pending = new Map<number, (v: number) => void>();
      for (const w of workers) {
        w.on("message", (m: { id: number; v: number }) => {
          pending.get(m.id)!(m.v);
          pending.delete(m.id);
        });
      }
      let nextId = 0;
      const call = (w: number, message: Record<string, number | string>) =>
        new Promise<number>((resolve) => {
          const id = nextId++;
          pending.set(id, resolve);
          workers[w].postMessage({ ...message, id });
        });
      return {
        async tiny(count) {
          const all = new Array(count);
          for (let i = 0; i < count; i++) {
            all[i] = call(i & 1, { t: "tiny", x: i });
          }
          check(await Promise.all(all), (i) => i + 1);
        },
        async medium(count) {
          const half = count >> 1;
          const sums = await Promise.all([
            call(0, { t: "medium", from: 0, to: half }),
            call(1, { t: "medium", from: half, to: count }),
          ]);
          let expected = 0;
          for (let i = 0; i < count; i++) expected += medium(i);
          if (sums[0] + sums[1] !== expected) throw new Error("wrong sum");
        },
        close: async () => {
          await Promise.all(workers.map((w) => w.terminate()));
        },
      };
    }
    case "piscina": {
      const { Piscina } = await import("piscina");
      const pool = new Piscina({
        filename: pathToFileURL(`${tmp}peer_worker.mjs`).href,
        minThreads: WORKERS,
        maxThreads: WORKERS,
      });
      return {
        async tiny(count) {
          const all = new Array(count);
          for (let i = 0; i < count; i++) all[i] = pool.run(i);
          check(await Promise.all(all), (i) => i + 1);
        },
        async medium(count) {
          const all = new Array(count);
          for (let i = 0; i < count; i++) {
            all[i] = pool.run(i, { name: "medium" });
          }
          check(await Promise.all(all), medium);
        },
        close: () => pool.destroy(),
      };
    }
    case "tinypool": {
      const { Tinypool } = await import("tinypool");
      const pool = new Tinypool({
        filename: pathToFileURL(`${tmp}peer_worker.mjs`).href,
        minThreads: WORKERS,
        maxThreads: WORKERS,
      });
      return {
        async tiny(count) {
          const all = new Array(count);
          for (let i = 0; i < count; i++) all[i] = pool.run(i);
          check(await Promise.all(all), (i) => i + 1);
        },
        async medium(count) {
          const all = new Array(count);
          for (let i = 0; i < count; i++) {
            all[i] = pool.run(i, { name: "medium" });
          }
          check(await Promise.all(all), medium);
        },
        close: () => pool.destroy(),
      };
    }
    case "multithreading": {
      // Node 20 lacks what the package expects of a newer runtime.
      const scope = globalThis as Record<string, unknown>;
      if (scope.navigator === undefined) {
        const { availableParallelism } = await import("node:os");
        scope.navigator = { hardwareConcurrency: availableParallelism() };
      }
      const promise = Promise as unknown as Record<string, unknown>;
      if (promise.withResolvers === undefined) {
        promise.withResolvers = () => {
          let resolve!: (v: unknown) => void;
          let reject!: (e: unknown) => void;
          const p = new Promise((a, b) => {
            resolve = a;
            reject = b;
          });
          return { promise: p, resolve, reject };
        };
      }
      const mt = await import("multithreading");
      mt.initRuntime({ maxWorkers: WORKERS });
      const unwrap = (r: { ok: boolean; value?: unknown; error?: unknown }) => {
        if (!r.ok) throw r.error;
        return r.value;
      };
      return {
        async tiny(count) {
          // 100,000 tasks in flight at once do not finish within minutes:
          // submit in waves of 10,000 (documented with the results).
          for (let from = 0; from < count; from += WAVE) {
            const to = Math.min(count, from + WAVE);
            const all = new Array(to - from);
            for (let i = from; i < to; i++) {
              all[i - from] = mt.spawn(mt.move(i), (x: number) => x + 1)
                .join().then(unwrap);
            }
            check(await Promise.all(all), (i) => from + i + 1);
          }
        },
        async medium(count) {
          const all = new Array(count);
          for (let i = 0; i < count; i++) {
            all[i] = mt.spawn(mt.move(i), medium).join().then(unwrap);
          }
          check(await Promise.all(all), medium);
        },
        close: () => mt.shutdown(),
      };
    }
  }
}

/** Child process: measures one contender once and prints its numbers as JSON. */
async function child(name: Contender): Promise<void> {
  writeWorkerFiles(); // So that `--child NAME` also runs alone.
  const runner = await makeRunner(name);
  await runner.tiny(2_000); // Warm-up: workers started, code compiled.
  await runner.medium(20);
  await runner.tiny(TINY / 10);
  const result: Measured = { tiny: [], medium: [] };
  result.tiny.push(await timed(() => runner.tiny(TINY), TINY));
  result.medium.push(await timed(() => runner.medium(MEDIUM), MEDIUM));
  await runner.close();
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

function runChild(name: Contender): Promise<Measured | string> {
  const args = runtimeName === "deno"
    ? ["run", "-A", "--no-check", scriptPath, "--child", name]
    : [scriptPath, "--child", name];
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: repoRoot,
    });
    let out = "";
    let err = "";
    proc.stdout!.on("data", (chunk) => (out += chunk));
    proc.stderr!.on("data", (chunk) => (err += chunk));
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      resolve("hangs");
    }, CHILD_TIMEOUT);
    proc.on("close", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (line !== undefined) resolve(JSON.parse(line.slice(7)) as Measured);
      else {
        const reason = (err.trim().split("\n").find((l) => /error/i.test(l)) ??
          err.trim().split("\n")[0] ?? `exit ${code}`).slice(0, 100);
        resolve(`fails (${reason})`);
      }
    });
  });
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

async function main(): Promise<void> {
  console.log(
    `executor bench on ${runtimeName} ${
      process.versions[runtimeName] ?? process.version
    }: ${WORKERS} workers, ${fmt(TINY)} tiny and ${
      fmt(MEDIUM)
    } medium tasks, median of ${ROUNDS}`,
  );
  const results = {} as Record<Contender, Measured | string>;
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of contenders) {
      const previous = results[name];
      if (typeof previous === "string") continue; // Failed once: skip.
      const r = await runChild(name);
      if (typeof r === "string") results[name] = r;
      else if (previous === undefined) results[name] = r;
      else {
        previous.tiny.push(...r.tiny);
        previous.medium.push(...r.medium);
      }
    }
    console.error(`round ${round + 1}/${ROUNDS} done`);
  }
  const ours = results.threading;
  if (typeof ours === "string") throw new Error(`our pool ${ours}`);
  const oursTiny = median(ours.tiny);
  const oursMedium = median(ours.medium);
  console.log(
    "\n| contender | tiny tasks/s | ours vs it | medium tasks/s | ours vs it |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: |");
  const medians: Record<string, { tiny: number; medium: number } | string> = {};
  for (const name of contenders) {
    const r = results[name];
    if (typeof r === "string") {
      console.log(`| ${labels[name]} | ${r} | | | |`);
      medians[name] = r;
      continue;
    }
    const tiny = median(r.tiny);
    const med = median(r.medium);
    medians[name] = { tiny, medium: med };
    const ratio = (a: number, b: number) =>
      name === "threading" ? "" : `${(a / b).toFixed(2)}x`;
    console.log(
      `| ${labels[name]} | ${fmt(tiny)} | ${ratio(oursTiny, tiny)} | ${
        fmt(med)
      } | ${ratio(oursMedium, med)} |`,
    );
  }
  const file = `${repoRoot}bench/executor_results.json`;
  const all = existsSync(file)
    ? JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>
    : {};
  all[runtimeName] = medians;
  writeFileSync(file, JSON.stringify(all, null, 2) + "\n");
  writeFileSync(
    `${repoRoot}bench/executor.svg`,
    chart(all as Record<string, typeof medians>),
  );
  console.log(
    `\n* multithreading gets its tiny tasks in waves of ${fmt(WAVE)}: ${
      fmt(TINY)
    } in flight at once did not finish in minutes.`,
  );
  console.log(`wrote bench/executor_results.json and bench/executor.svg`);
}

/** Draws tiny-task throughput per runtime and contender as grouped bars. */
function chart(
  all: Record<
    string,
    Record<string, { tiny: number; medium: number } | string>
  >,
): string {
  const runtimes = ["node", "deno", "bun"].filter((r) => all[r] !== undefined);
  const colors: Record<string, string> = {
    threading: "#2f6fdd",
    raw: "#8a8a8a",
    piscina: "#e07b39",
    tinypool: "#d4b62c",
    multithreading: "#4aa564",
  };
  let max = 1;
  for (const r of runtimes) {
    for (const name of contenders) {
      const v = all[r][name];
      if (typeof v === "object") max = Math.max(max, v.tiny);
    }
  }
  const barH = 16;
  const groupH = contenders.length * barH + 30;
  const left = 170;
  const width = 720;
  const plotW = width - left - 110;
  const height = 50 + runtimes.length * groupH + 20;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">Tiny tasks per second, 2 workers (higher is better)</text>`,
  ];
  runtimes.forEach((r, g) => {
    const top = 40 + g * groupH;
    parts.push(
      `<text x="10" y="${top + 14}" font-weight="bold">${r}</text>`,
    );
    contenders.forEach((name, i) => {
      const y = top + 20 + i * barH;
      const v = all[r][name];
      parts.push(
        `<text x="${left - 6}" y="${y + 12}" text-anchor="end">${
          labels[name]
        }</text>`,
      );
      if (typeof v === "object") {
        const w = Math.max(1, (v.tiny / max) * plotW);
        parts.push(
          `<rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="${
            barH - 4
          }" fill="${colors[name]}"/>`,
          `<text x="${left + w + 4}" y="${y + 12}">${fmt(v.tiny)}</text>`,
        );
      } else {
        parts.push(
          `<text x="${left + 4}" y="${y + 12}" fill="#b00">${
            v.split(" ")[0]
          }</text>`,
        );
      }
    });
  });
  parts.push(`</svg>`);
  return parts.join("\n") + "\n";
}

const childIndex = process.argv.indexOf("--child");
if (childIndex >= 0) {
  await child(process.argv[childIndex + 1] as Contender);
} else {
  await main();
}
