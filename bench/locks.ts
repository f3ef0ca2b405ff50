/**
 * Lock benchmark: our `Lock`/`RLock` beside a hand-written futex mutex (the
 * floor: the same compare-and-swap / exchange / `Atomics.wait` protocol with
 * nothing around it) and `async-mutex` (single thread, for reference).
 *
 * - uncontended `acquireSync()` + `release()`: ns per pair;
 * - uncontended `await acquire()` + `release()`: ns per pair;
 * - contended hand-offs per second with 2 and 4 threads, each thread doing
 *   `acquireSync(); counter++; release()` in a loop, started together.
 *
 * Ours and the baseline run in alternation (the same threads, the same
 * moments of machine load), and every figure is a median of several runs.
 *
 * Run: `deno run -A bench/locks.ts`, `bun bench/locks.ts`, or on Node
 * `node .node-test/bench/locks.js` after `deno run -A scripts/build_npm.ts --tests`.
 */
import { Mutex } from "async-mutex";
import process from "node:process";
import { Lock, RLock, Thread } from "../mod.ts";
import { saveResults } from "./_results.ts";

const RUNS = 9;
const ROUNDS = 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// The floor: Drepper's futex mutex, written out by hand.
function floorLock(cells: Int32Array): void {
  if (Atomics.compareExchange(cells, 0, 0, 1) === 0) return;
  while (Atomics.exchange(cells, 0, 2) !== 0) Atomics.wait(cells, 0, 2);
}

function floorUnlock(cells: Int32Array): void {
  if (Atomics.exchange(cells, 0, 0) === 2) Atomics.notify(cells, 0, 1);
}

/** Median ns per pair of each of `runs` (each does `n` pairs), run in alternation. */
async function timePairs(
  runs: ((n: number) => void | Promise<void>)[],
  n: number,
): Promise<number[]> {
  for (const run of runs) await run(n / 10); // warm up
  const samples: number[][] = runs.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    for (let i = 0; i < runs.length; i++) {
      const start = performance.now();
      await runs[i](n);
      samples[i].push(((performance.now() - start) * 1e6) / n);
    }
  }
  return samples.map(median);
}

/**
 * Hand-offs per second with `threads` threads contending for one lock: the
 * same threads alternate rounds on the hand-written floor and on our Lock
 * (in pairs, each pair in the other order than the one before). Returns the
 * medians `[floor, lock, ratio]`, the ratio being the median of the pairs'.
 */
async function contended(
  threads: number,
  perThread: number,
): Promise<[number, number, number]> {
  const lock = new Lock();
  // [round, finished, counter, ready]; the floor's mutex word has a buffer
  // of its own, as our Lock has.
  const state = new Int32Array(new SharedArrayBuffer(16));
  const mutex = new Int32Array(new SharedArrayBuffer(4));
  const rounds = 2 + 2 * ROUNDS; // the first two warm up
  const workers = Array.from({ length: threads }, () =>
    new Thread({
      target: (
        lock: Lock,
        mutex: Int32Array,
        state: Int32Array,
        rounds: number,
        n: number,
      ) => {
        const floorLock = (cells: Int32Array) => {
          if (Atomics.compareExchange(cells, 0, 0, 1) === 0) return;
          while (Atomics.exchange(cells, 0, 2) !== 0) {
            Atomics.wait(cells, 0, 2);
          }
        };
        const floorUnlock = (cells: Int32Array) => {
          if (Atomics.exchange(cells, 0, 0) === 2) Atomics.notify(cells, 0, 1);
        };
        Atomics.add(state, 3, 1);
        Atomics.notify(state, 3);
        for (let round = 0; round < rounds; round++) {
          // Waits on the value it compared: loading it again for the wait
          // could see the new round, posted and notified in between, and
          // sleep for ever.
          for (let seen; (seen = Atomics.load(state, 0)) < round;) {
            Atomics.wait(state, 0, seen);
          }
          if (round % 2 !== (round >> 1) % 2) {
            for (let i = 0; i < n; i++) {
              lock.acquireSync();
              state[2]++;
              lock.release();
            }
          } else {
            for (let i = 0; i < n; i++) {
              floorLock(mutex);
              state[2]++;
              floorUnlock(mutex);
            }
          }
          Atomics.add(state, 1, 1);
          Atomics.notify(state, 1);
        }
      },
      args: [lock, mutex, state, rounds, perThread],
    }).start());
  // Blocks only once every thread runs its target.
  for (let ready; (ready = Atomics.load(state, 3)) < threads;) {
    await Atomics.waitAsync(state, 3, ready, 1000).value;
  }
  const samples: [number[], number[]] = [[], []];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    Atomics.store(state, 0, round);
    Atomics.notify(state, 0);
    // The main thread has nothing else to do: block until the round ends.
    const target = (round + 1) * threads;
    for (let done = Atomics.load(state, 1); done < target;) {
      Atomics.wait(state, 1, done);
      done = Atomics.load(state, 1);
    }
    const seconds = (performance.now() - start) / 1000;
    const ours = round % 2 !== (round >> 1) % 2;
    if (round >= 2) samples[ours ? 1 : 0].push((threads * perThread) / seconds);
  }
  await Promise.all(workers.map((worker) => worker.join()));
  if (state[2] !== rounds * threads * perThread) {
    throw new Error(`Lost updates: ${state[2]}`);
  }
  const ratios = samples[1].map((ours, i) => ours / samples[0][i]);
  return [median(samples[0]), median(samples[1]), median(ratios)];
}

const rows: string[][] = [];
const fmt = (value: number, digits = 1) => value.toFixed(digits);

// Uncontended, blocking form.
const floorCells = new Int32Array(new SharedArrayBuffer(4));
const lock = new Lock();
const rlock = new RLock();
const [floorNs, lockNs, rlockNs] = await timePairs([
  (n) => {
    for (let i = 0; i < n; i++) {
      floorLock(floorCells);
      floorUnlock(floorCells);
    }
  },
  (n) => {
    for (let i = 0; i < n; i++) {
      lock.acquireSync();
      lock.release();
    }
  },
  (n) => {
    for (let i = 0; i < n; i++) {
      rlock.acquireSync();
      rlock.release();
    }
  },
], 1_000_000);
rows.push(
  [
    "uncontended acquireSync+release (ns/pair)",
    "Lock",
    fmt(lockNs),
    "futex floor",
    fmt(floorNs),
    fmt(lockNs / floorNs, 2),
  ],
  [
    "",
    "RLock",
    fmt(rlockNs),
    "futex floor",
    fmt(floorNs),
    fmt(rlockNs / floorNs, 2),
  ],
);

// Uncontended, async form.
const mutex = new Mutex();
const [asyncMutexNs, asyncLockNs] = await timePairs([
  async (n) => {
    for (let i = 0; i < n; i++) {
      const release = await mutex.acquire();
      release();
    }
  },
  async (n) => {
    for (let i = 0; i < n; i++) {
      await lock.acquire();
      lock.release();
    }
  },
], 100_000);
rows.push([
  "uncontended await acquire+release (ns/pair)",
  "Lock",
  fmt(asyncLockNs),
  "async-mutex",
  fmt(asyncMutexNs),
  fmt(asyncLockNs / asyncMutexNs, 2),
]);

// Contended hand-offs.
const contendedFigures: Record<string, number> = {};
for (const threads of [2, 4]) {
  const [floor, ours, ratio] = await contended(threads, 200_000 / threads);
  contendedFigures[`contended${threads}Ours`] = ours;
  contendedFigures[`contended${threads}Floor`] = floor;
  contendedFigures[`contended${threads}Ratio`] = ratio;
  rows.push([
    `contended, ${threads} threads (hand-offs/s)`,
    "Lock",
    fmt(ours / 1e6, 2) + "M",
    "futex floor",
    fmt(floor / 1e6, 2) + "M",
    fmt(ratio, 2),
  ]);
}

const runtime = process.versions.deno !== undefined
  ? "deno"
  : process.versions.bun !== undefined
  ? "bun"
  : "node";
console.log(
  `locks benchmark on ${runtime}: medians of ${RUNS} runs (uncontended) and ${ROUNDS} rounds (contended), ours alternating with the baseline`,
);
const header = ["measure", "ours", "", "baseline", "", "ratio"];
const widths = header.map((_, i) =>
  Math.max(...[header, ...rows].map((row) => row[i].length))
);
for (const row of [header, ...rows]) {
  console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  "));
}
saveResults("locks", { runs: RUNS, rounds: ROUNDS }, {
  lockNs,
  floorNs,
  rlockNs,
  asyncLockNs,
  asyncMutexNs,
  ...contendedFigures,
});
