// A thread of bench/queues.ts: runs one side of a transfer on command, either
// over a queue of the library or over a MessagePort.
import { type MessagePort, parentPort, workerData } from "node:worker_threads";

interface Shared {
  reviveShared(state: { tag: string; data: unknown }): unknown;
}
interface Channel {
  putSync(item: unknown): void;
  getSync(): unknown;
  get(): Promise<unknown>;
}

const { shareableUrl } = workerData as {
  shareableUrl: string;
  libraryUrl: string;
};
await import((workerData as { libraryUrl: string }).libraryUrl);
const { reviveShared } = (await import(shareableUrl)) as Shared;

export interface Command {
  side: "produce" | "consume";
  via: "queue" | "port";
  queue?: { tag: string; data: unknown };
  port?: MessagePort;
  item: "number" | "object" | "64KB";
  n: number;
  go: Int32Array;
  async?: boolean;
}

const block = new Uint8Array(65536).fill(1);

function make(kind: Command["item"], i: number): unknown {
  if (kind === "number") return i;
  if (kind === "object") {
    return { id: i, name: "item", tags: ["a", "b"], price: 9.99 };
  }
  return block;
}

function waitGo(go: Int32Array): void {
  while (Atomics.load(go, 0) === 0) Atomics.wait(go, 0, 0);
}

// Every command answers "ready" once set up, then "done" once finished.
parentPort!.on("message", async (command: Command) => {
  const { side, via, item, n, go } = command;
  if (via === "queue") {
    const queue = reviveShared(command.queue!) as Channel;
    parentPort!.postMessage("ready");
    waitGo(go);
    if (side === "produce") {
      for (let i = 0; i < n; i++) queue.putSync(make(item, i));
    } else if (command.async) {
      for (let i = 0; i < n; i++) await queue.get();
    } else {
      for (let i = 0; i < n; i++) queue.getSync();
    }
    parentPort!.postMessage("done");
    return;
  }
  const port = command.port!;
  if (side === "produce") {
    parentPort!.postMessage("ready");
    waitGo(go);
    for (let i = 0; i < n; i++) port.postMessage(make(item, i));
    port.close();
    parentPort!.postMessage("done");
  } else {
    let count = 0;
    port.on("message", () => {
      if (++count === n) {
        port.close();
        parentPort!.postMessage("done");
      }
    });
    parentPort!.postMessage("ready");
  }
});
parentPort!.postMessage("started");
