/**
 * Helpers for the fault-injection suites: a seeded random generator, so that
 * a failing run can be replayed with `FAULT_SEED`, and the suite's size from
 * the environment (`FAULT_SECONDS` for a soak).
 */
import process from "node:process";

/** The seed of this run: `FAULT_SEED` when set, else a fixed one. */
export function seedFromEnv(): number {
  const text = process.env.FAULT_SEED;
  const seed = text === undefined ? 20261204 : Number(text);
  if (!Number.isInteger(seed)) {
    throw new TypeError(`FAULT_SEED must be an integer: received ${text}`);
  }
  return seed >>> 0;
}

/** How long a soak runs each scenario, in seconds: `FAULT_SECONDS`, else 0 (one pass). */
export function soakSeconds(): number {
  const text = process.env.FAULT_SECONDS;
  const seconds = text === undefined ? 0 : Number(text);
  if (!(seconds >= 0)) {
    throw new TypeError(
      `FAULT_SECONDS must be a non-negative number: received ${text}`,
    );
  }
  return seconds;
}

/** A generator of numbers in [0, 1), the same sequence for the same seed (mulberry32). */
export function randomFrom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
