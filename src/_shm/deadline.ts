/**
 * Deadlines for waits that may wake several times: a timeout becomes an
 * absolute time once, and each sleep gets what is left of it.
 *
 * @module
 */

/** The absolute time (`performance.now()` scale) at which `timeout` ms end. */
export function deadlineOf(timeout: number): number {
  return timeout === Infinity ? Infinity : performance.now() + timeout;
}

/** The milliseconds left until `deadline`; zero or less once it passed. */
export function remaining(deadline: number): number {
  return deadline === Infinity ? Infinity : deadline - performance.now();
}
