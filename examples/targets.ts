/**
 * A target reads as the code written in its module: the library's exports
 * are in scope, a relative `import()` resolves against this module, and a
 * `moduleFunction` may name a module relatively (the README's examples).
 *
 * Run: `deno run --allow-read examples/targets.ts` or `bun examples/targets.ts`
 */
import { currentThread, Lock, moduleFunction, Thread } from "../mod.ts";

const thread = new Thread({
  target: async (n: number) => {
    const { fib } = await import("./fib.ts"); // next to this module
    const lock = new Lock(); // this module's Lock, not the runtime's global one
    return await lock.withLock(() => `${currentThread().name}: ${fib(n)}`);
  },
  args: [20],
  name: "worker-1",
});
console.log(await thread.start().join()); // "worker-1: 6765"

// fib.ts next to this module; fib.js next to its compiled copy.
const fib = moduleFunction<(n: number) => number>("./fib.ts", "fib");
console.log(await new Thread({ target: fib, args: [30] }).start().join()); // 832040
