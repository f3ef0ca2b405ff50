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

/** A short random tag that names one shared object in `toString()` output, in every thread. */
export function newObjectId(): number {
  return (Math.random() * 0x7fffffff) | 0;
}

/** Formats an id from {@linkcode newObjectId} like an address: `0x1a2b3c4d`. */
export function formatId(id: number): string {
  return `0x${id.toString(16).padStart(8, "0")}`;
}
