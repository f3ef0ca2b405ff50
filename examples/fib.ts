/**
 * A module that examples/targets.ts loads inside threads: by a relative
 * `import()` in a target, and as a `moduleFunction`. Run alone, it prints
 * nothing.
 */

/** The n-th Fibonacci number, the slow way (work for a thread). */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
