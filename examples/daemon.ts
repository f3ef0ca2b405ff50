/**
 * Daemon threads: background threads that never keep the program alive. When
 * only daemon threads are left, the program exits and stops them, on Deno, Bun
 * and Node alike. (A normal thread would keep the program running for ever
 * here.)
 *
 * Run: `deno run -A examples/daemon.ts` or `bun examples/daemon.ts`
 */
import { Thread } from "../mod.ts";

// A background task that never ends: it counts heartbeats in shared memory.
function heartbeat(beats: Int32Array): never {
  for (;;) {
    Atomics.add(beats, 0, 1);
    Atomics.notify(beats, 0);
    Atomics.wait(beats, 1, 0, 10); // sleep 10 ms
  }
}

const beats = new Int32Array(new SharedArrayBuffer(8));
const daemon = new Thread({
  target: heartbeat,
  args: [beats],
  name: "heartbeat",
  daemon: true,
});
daemon.start();

// Let the daemon beat a few times.
while (Atomics.load(beats, 0) < 3) {
  Atomics.wait(beats, 0, Atomics.load(beats, 0));
}
console.log(`${daemon.name} is a daemon thread: ${daemon.daemon}`);
console.log(`It is alive and beating: ${daemon.isAlive()}`);
console.log(
  "The main program ends here; the daemon thread is stopped with it.",
);
