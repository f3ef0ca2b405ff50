/**
 * The lock example from the Python primer, for real threads: one thread keeps
 * checking a shared cache while another keeps adding to it, and a Lock makes
 * sure that the cache never changes in the middle of a check (Python would
 * raise "dictionary changed size during iteration").
 *
 * The cache is shared memory: a count and a table of keys and values. Both
 * threads receive the same Lock and the same memory through `args`.
 *
 * Run: `deno run -A examples/lock.ts` or `bun examples/lock.ts`
 * (Node: `node .node-test/examples/lock.js` after `npm run build -- --tests`).
 * Add `--unlocked` to run both threads without the lock and see the checks
 * catch the cache changing under them.
 */
import process from "node:process";
import { Event, Lock, Thread } from "../mod.ts";

const locked = !process.argv.includes("--unlocked");

const CAPACITY = 300;
const INITIAL = 100;
const ADDITIONS = 100;

// my_cache = {str(i): i for i in range(100)}
const size = new Int32Array(new SharedArrayBuffer(4));
const keys = new Int32Array(new SharedArrayBuffer(CAPACITY * 4));
const values = new Float64Array(new SharedArrayBuffer(CAPACITY * 8));
for (let i = 0; i < INITIAL; i++) {
  keys[i] = i;
  values[i] = i;
}
size[0] = INITIAL;

const lock = new Lock();
const done = new Event();

/** Checks the cache over and over until `done` is set. */
function checkCache(
  lock: Lock | null,
  done: Event,
  size: Int32Array,
  keys: Int32Array,
  values: Float64Array,
): { checks: number; changedDuringCheck: number } {
  let checks = 0;
  let changedDuringCheck = 0;
  while (!done.isSet()) {
    lock?.acquireSync();
    try {
      const before = size[0];
      let total = 0;
      for (let i = 0; i < before; i++) total += keys[i] + values[i];
      if (size[0] !== before || Number.isNaN(total)) changedDuringCheck++;
      checks++;
    } finally {
      lock?.release();
    }
  }
  return { checks, changedDuringCheck };
}

/** Adds `count` entries, one a millisecond, then sets `done`. */
function addToCache(
  lock: Lock | null,
  done: Event,
  size: Int32Array,
  keys: Int32Array,
  values: Float64Array,
  count: number,
): number {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let n = 0; n < count; n++) {
    lock?.acquireSync();
    try {
      const now = performance.now();
      keys[size[0]] = Math.floor(now);
      values[size[0]] = now;
      size[0] = size[0] + 1;
    } finally {
      lock?.release();
    }
    Atomics.wait(pause, 0, 0, 1); // time.sleep(0.001), outside the lock
  }
  done.set();
  return count;
}

const checker = new Thread({
  target: checkCache,
  args: [locked ? lock : null, done, size, keys, values],
}).start();
const adder = new Thread({
  target: addToCache,
  args: [locked ? lock : null, done, size, keys, values, ADDITIONS],
}).start();

const added = await adder.join();
const { checks, changedDuringCheck } = await checker.join();
console.log(
  `${
    locked ? "with" : "without"
  } the lock, added ${added} entries: the cache holds ${size[0]}`,
);
console.log(
  `checked the cache ${checks} times; it changed during a check ${changedDuringCheck} times`,
);
if (locked) console.log(`the lock is ${lock.locked() ? "still held" : "free"}`);
