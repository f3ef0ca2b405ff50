/**
 * The pool's counters and timing samples, behind `ThreadPoolExecutor.stats()`.
 *
 * @module
 */
import type { ExecutorStats, Percentiles } from "./thread_pool_executor.ts";

const SAMPLES = 1024;

/** Outcome counters and the run and wait times of the last 1024 tasks. */
export class Stats {
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  readonly #runTimes = new Float64Array(SAMPLES);
  readonly #waitTimes = new Float64Array(SAMPLES);
  #samples = 0;

  /** Counts a task that returned a value. */
  completed(): void {
    this.#completed++;
  }

  /** Counts a task that failed (threw, was aborted or lost its worker). */
  failed(): void {
    this.#failed++;
  }

  /** Counts a task cancelled before it started. */
  cancelled(): void {
    this.#cancelled++;
  }

  /** Records how long a task ran and waited, in milliseconds. */
  sample(runTime: number, waitTime: number): void {
    const slot = this.#samples++ & (SAMPLES - 1);
    this.#runTimes[slot] = runTime;
    this.#waitTimes[slot] = waitTime;
  }

  /** The report, with the pool's current `queued`, `active` and `workers`. */
  report(queued: number, active: number, workers: number): ExecutorStats {
    return {
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      queued,
      active,
      workers,
      runTime: this.#percentiles(this.#runTimes),
      waitTime: this.#percentiles(this.#waitTimes),
    };
  }

  #percentiles(samples: Float64Array): Percentiles {
    const n = Math.min(this.#samples, SAMPLES);
    if (n === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
    const sorted = samples.slice(0, n).sort();
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))];
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1] };
  }
}
