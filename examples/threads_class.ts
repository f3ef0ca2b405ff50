/**
 * Class-based thread: extend `Thread` and override `run()`. On `start()`, the
 * subclass's methods and the instance's fields (here `nMax`) travel to the
 * new thread, where `run()` executes.
 *
 * Run: `deno run -A examples/threads_class.ts` or `bun examples/threads_class.ts`
 */
import { Thread } from "../mod.ts";

class MyThread extends Thread<number> {
  nMax: number;

  constructor(nMax = 1_000_000) {
    super();
    this.nMax = nMax;
  }

  funcThread(): number {
    let n = 0;
    while (n < this.nMax) {
      n += 1;
    }
    return n;
  }

  override run(): number {
    return this.funcThread();
  }
}

const myThread = new MyThread(1_000_000);
myThread.start();
console.log(`${myThread.name} counts to ${myThread.nMax}...`);
console.log(`It counted to ${await myThread.join()}`);
