/**
 * Producer and consumer around a bounded buffer, with a Condition: the
 * producer waits while the buffer is full, the consumer while it is empty,
 * and each notifies the other when it changed the buffer. This is how
 * Python's queue.Queue is built.
 *
 * Run: `deno run -A examples/producer_consumer.ts` or
 * `bun examples/producer_consumer.ts` (Node: `node
 * .node-test/examples/producer_consumer.js` after `npm run build -- --tests`).
 */
import { Condition, Thread } from "../mod.ts";

const CAPACITY = 4;
const ITEMS = 20;

// [head, tail, count, ...slots]: a ring buffer in shared memory.
const buffer = new Int32Array(new SharedArrayBuffer((3 + CAPACITY) * 4));
const changed = new Condition();

function produce(
  changed: Condition,
  buffer: Int32Array,
  capacity: number,
  items: number,
): void {
  for (let item = 1; item <= items; item++) {
    changed.acquireSync();
    try {
      changed.waitForSync(() => buffer[2] < capacity);
      buffer[3 + buffer[1]] = item;
      buffer[1] = (buffer[1] + 1) % capacity;
      buffer[2]++;
      changed.notifyAll();
    } finally {
      changed.release();
    }
  }
  // 0 tells the consumer that nothing more will come.
  changed.acquireSync();
  try {
    changed.waitForSync(() => buffer[2] < capacity);
    buffer[3 + buffer[1]] = 0;
    buffer[1] = (buffer[1] + 1) % capacity;
    buffer[2]++;
    changed.notifyAll();
  } finally {
    changed.release();
  }
}

async function consume(
  changed: Condition,
  buffer: Int32Array,
  capacity: number,
): Promise<number> {
  let sum = 0;
  for (;;) {
    await changed.acquire();
    let item: number;
    try {
      await changed.waitFor(() => buffer[2] > 0);
      item = buffer[3 + buffer[0]];
      buffer[0] = (buffer[0] + 1) % capacity;
      buffer[2]--;
      changed.notifyAll();
    } finally {
      changed.release();
    }
    if (item === 0) return sum;
    console.log(`consumed ${item}`);
    sum += item;
  }
}

const producer = new Thread({
  target: produce,
  args: [changed, buffer, CAPACITY, ITEMS],
}).start();
const consumer = new Thread({
  target: consume,
  args: [changed, buffer, CAPACITY],
}).start();

await producer.join();
const sum = await consumer.join();
console.log(`the consumer received ${ITEMS} items, summing to ${sum}`);
