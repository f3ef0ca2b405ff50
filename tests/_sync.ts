/**
 * Helpers for the synchronization suites: polling for a state that other
 * threads reach (never for time to pass), and joining groups of threads.
 */
import type { Thread } from "../mod.ts";

/** Resolves once `predicate()` is true; fails with `what` after `timeout` ms. */
export async function until(
  predicate: () => boolean,
  what: string,
  timeout = 30_000,
): Promise<void> {
  const deadline = performance.now() + timeout;
  while (!predicate()) {
    if (performance.now() > deadline) {
      throw new Error(`Timed out waiting until ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Joins every thread and returns their results in order. */
export function joinAll<T>(threads: Thread<T>[]): Promise<T[]> {
  return Promise.all(threads.map((thread) => thread.join()));
}

/** A fresh shared `Int32Array` of `length` zeros. */
export function sharedInts(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}
