/**
 * The Python primer's cache guarded by a lock, on a `SharedMap` that two real
 * threads share: one thread keeps iterating over the cache while the other
 * keeps adding to it. With the `Lock` held around both, every check sees a
 * cache that does not change under it. Run with `--unlocked` to drop the
 * lock: the checker's iteration then fails with ConcurrentModificationError,
 * Python's "RuntimeError: dictionary changed size during iteration".
 *
 * ```python
 * my_cache = {str(i): i for i in range(100)}
 * lck = Lock()
 * def check_cache() -> None:
 *     while True:
 *         with lck:
 *             for key, value in my_cache.items():
 *                 pass  # do important stuff with cache items
 * def add_to_cache() -> None:
 *     while True:
 *         with lck:
 *             current_time = time.time_ns()
 *             my_cache[str(current_time)] = current_time
 *         time.sleep(0.1)
 * ```
 *
 * Unlike the primer's, these threads end: the adder stops after 50
 * additions (without the lock, once the checker has also seen the error, or
 * after 5,000), and the checker stops when the adder is done.
 *
 * Run: `deno run -A examples/cache.ts [--unlocked]` or
 * `bun examples/cache.ts [--unlocked]` (Node: `node .node-test/examples/cache.js`
 * after `deno run -A scripts/build_npm.ts --tests`).
 */
import process from "node:process";
import { Event, Lock, SharedMap, Thread } from "../mod.ts";

const locked = !process.argv.includes("--unlocked");

// my_cache = {str(i): i for i in range(100)}
const myCache = new SharedMap<string, number>(
  Array.from({ length: 100 }, (_, i) => [String(i), i]),
);
const lck = new Lock();
const done = new Event();
// [checks, errors seen by the checker]
const stats = new Int32Array(new SharedArrayBuffer(8));

/** Iterates over the whole cache, again and again, until `done` is set. */
function checkCache(
  cache: SharedMap<string, number>,
  lck: Lock | null,
  done: Event,
  stats: Int32Array,
): void {
  while (!done.isSet()) {
    lck?.acquireSync();
    try {
      let total = 0;
      for (const [key, value] of cache.entries()) {
        total += key.length + value; // do important stuff with cache items
      }
      Atomics.add(stats, 0, 1);
    } catch (error) {
      if ((error as Error).name !== "ConcurrentModificationError") throw error;
      if (Atomics.add(stats, 1, 1) === 0) {
        console.log(
          `check_cache: ${(error as Error).name}: ${(error as Error).message}`,
        );
      }
    } finally {
      lck?.release();
    }
  }
}

/** Adds entries keyed by the time, pausing 1 ms between them, then sets `done`. */
function addToCache(
  cache: SharedMap<string, number>,
  lck: Lock | null,
  done: Event,
  stats: Int32Array,
): number {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let added = 0;
  while (
    added < 50 ||
    (lck === null && Atomics.load(stats, 1) === 0 && added < 5_000)
  ) {
    lck?.acquireSync();
    try {
      // time.time_ns(), in microseconds (nanoseconds exceed 2 ** 53)
      const currentTime = Math.round(
        (performance.timeOrigin + performance.now()) * 1e3,
      );
      cache.set(String(currentTime), currentTime);
      added++;
    } finally {
      lck?.release();
    }
    Atomics.wait(pause, 0, 0, 1); // time.sleep(0.001), outside the lock
  }
  done.set();
  return added;
}

const checker = new Thread({
  target: checkCache,
  args: [myCache, locked ? lck : null, done, stats],
}).start();
const adder = new Thread({
  target: addToCache,
  args: [myCache, locked ? lck : null, done, stats],
}).start();
const added = await adder.join();
await checker.join();

console.log(
  `${
    locked ? "with" : "without"
  } the lock: added ${added} entries, the cache holds ${myCache.size}`,
);
console.log(
  `checked the whole cache ${stats[0]} times; ConcurrentModificationError ${
    stats[1]
  } times`,
);
