/**
 * The shared-buffer directory, the side every thread uses: how a
 * `SharedArrayBuffer` inside a queue item or a `SharedMap` value reaches the
 * thread that takes the item, although bytes cannot carry memory.
 *
 * A `SharedArrayBuffer` reaches another thread only through `postMessage`,
 * and the thread that decodes an item may be blocked in `getSync()` while
 * every other thread (the main thread too) is blocked or busy. So no thread's
 * event loop may be needed. The directory is a daemon worker of its own
 * (`entries/directory_worker.ts`) that runs no user code: it sleeps in
 * `Atomics.wait` on a doorbell cell and reads its ports with
 * `receiveMessageOnPort`, which needs no event loop either.
 *
 * - Every thread of the library holds a `MessageChannel` port to the
 *   directory: the thread that starts another creates the channel, posts the
 *   directory's end on its own port before the new thread starts, and sends
 *   the other end with the start message ({@linkcode linkForNewThread}).
 * - Encoding a buffer gives it an id unique in the process (a counter in
 *   shared memory, cached per buffer) and posts `{ id, buffer }` on the
 *   thread's port ({@linkcode registerBuffers}) before the item is
 *   committed; the bytes hold only the id.
 * - Decoding an id this thread does not know posts a request on its port,
 *   rings the doorbell and waits on a reply cell of its own; the directory
 *   first reads every port (the registration was posted before the item was
 *   committed, so it is there), then answers on the requester's port.
 *
 * The directory starts with the main thread's first `Thread` (or pool
 * worker), or when the main thread first encodes shared memory. It never
 * keeps the process alive.
 *
 * Memory: the directory keeps every buffer registered with it for the life
 * of the process (an item can be decoded any time later, by any thread, and
 * a `SharedMap` value again and again). A buffer is registered once per
 * thread that encodes it, however often it is sent; sending many new shared
 * objects (a fresh `Lock` per item) grows the directory without bound.
 *
 * @module
 */
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
} from "../runtime/message_channel.ts";
import { runtime } from "../runtime/detect.ts";
import { deadlineOf, remaining } from "../_shm/deadline.ts";
import { notify, waitSync } from "../_shm/futex.ts";
// Where a worker's entry leaves its link (a global slot, so that the entry
// need not load this module and every copy of the library finds it).
import { DIRECTORY_SLOT } from "../_shm/slots.ts";
import {
  BELL,
  CELLS,
  type DirectoryInit,
  type DirectoryLink,
  FAILED,
  type FromDirectory,
  NEXT_ID,
  type ToDirectory,
} from "./_directory_protocol.ts";

export type { DirectoryLink };

const directoryUrl = new URL(
  `../entries/directory_worker${
    import.meta.url.endsWith(".ts") ? ".ts" : ".js"
  }`,
  import.meta.url,
);

// How long a decoding thread waits for the directory before it gives up
// (only a broken process gets there: registrations precede commits).
const PATIENCE_MS = 60_000;

const scope = globalThis as unknown as Record<
  symbol,
  DirectoryLink | undefined
>;

let link: DirectoryLink | undefined;
let cells: Int32Array | undefined;
/** Ids of the buffers this thread registered or received. */
const ids = new WeakMap<SharedArrayBuffer, number>();
/** Buffers by id, held weakly: the directory can always send them again. */
const buffers = new Map<number, WeakRef<SharedArrayBuffer>>();
let reply: Int32Array | undefined;
const forget = new FinalizationRegistry<number>((id) => {
  if (buffers.get(id)?.deref() === undefined) buffers.delete(id);
});

function remember(id: number, buffer: SharedArrayBuffer): void {
  ids.set(buffer, id);
  buffers.set(id, new WeakRef(buffer));
  forget.register(buffer, id);
}

/**
 * This thread's link to the directory (made on first use in the main
 * thread); `null` in a worker the library did not start.
 */
function connect(): DirectoryLink | null {
  if (link !== undefined) return link;
  const given = scope[DIRECTORY_SLOT];
  if (given !== undefined) {
    link = given;
  } else {
    if (runtime.parent() !== null) return null;
    // The directory's worker starts later (`launchDirectory`): what this
    // thread posts meanwhile waits on the directory's end of the channel,
    // and goes along with it.
    const shared = new SharedArrayBuffer(CELLS * Int32Array.BYTES_PER_ELEMENT);
    const { port1, port2 } = new MessageChannel();
    link = { port: port1, cells: shared };
    unlaunched = port2;
    scope[DIRECTORY_SLOT] = link;
  }
  cells = new Int32Array(link.cells);
  return link;
}

/** The main thread's end of the directory's channel, until it launches. */
let unlaunched: MessagePort | undefined;

/**
 * Starts the directory's worker if this is the main thread and it has not
 * started yet. Call it after posting a new thread's start message (the
 * thread then boots while this one spawns the directory): the directory must
 * run before any other thread exists, as only the main thread can start it
 * and the main thread may block at any time afterwards.
 */
export function launchDirectory(): void {
  if (unlaunched === undefined) return;
  const port2 = unlaunched;
  unlaunched = undefined;
  const shared = link!.cells;
  // Requests would go unanswered: make them fail instead of waiting.
  const fail = (error: unknown) => {
    Atomics.store(new Int32Array(shared), FAILED, 1);
    runtime.writeStderr(
      `@threading/threading: the shared-buffer directory failed: ${
        error instanceof Error ? error.stack ?? error.message : String(error)
      }\n`,
    );
  };
  try {
    const handle = runtime.spawn(directoryUrl, {
      name: "threading-directory",
      unrefable: true,
    });
    handle.onError(fail);
    handle.unref();
    handle.postMessage(
      { cells: shared, port: port2 } satisfies DirectoryInit,
      [port2],
    );
  } catch (error) {
    fail(error); // the thread that was just started must not fail for it
  }
}

/** Adopts the link a pool worker received with its first message. */
export function adoptDirectory(given: DirectoryLink | undefined): void {
  if (given !== undefined) scope[DIRECTORY_SLOT] = given;
}

/**
 * The link for a thread about to start, to send with its start message (and
 * its port in the transfer list). Call it in the thread that starts the new
 * one, before the start message goes.
 *
 * @returns The link, or `undefined` in a worker the library did not start.
 */
export function linkForNewThread(): DirectoryLink | undefined {
  const own = connect();
  if (own === null) return undefined;
  const { port1, port2 } = new MessageChannel();
  own.port.postMessage({ t: "port", port: port2 } satisfies ToDirectory, [
    port2,
  ]);
  return { port: port1, cells: own.cells };
}

/**
 * Whether this thread can send shared memory through the directory; when it
 * cannot (a worker the library did not start), the reason.
 */
export function sharingUnavailable(): string | null {
  return connect() === null
    ? "is shared memory, which only threads started by this library can put into a queue or a SharedMap"
    : null;
}

/** The id of a buffer this thread registered or received, or -1. */
export function knownBufferId(buffer: SharedArrayBuffer): number {
  return ids.get(buffer) ?? -1;
}

/**
 * A fresh id for a buffer, unique in the process. Register the buffer with
 * {@linkcode registerBuffers} before anyone can read the id.
 */
export function newBufferId(): number {
  connect();
  return (Atomics.add(cells!, NEXT_ID, 1) >>> 0) + 1;
}

/**
 * Sends buffers (`[id, buffer]` pairs) to the directory, synchronously:
 * call it after encoding succeeded and before the item is committed.
 */
export function registerBuffers(
  pending: readonly (SharedArrayBuffer | number)[],
): void {
  const port = connect()!.port;
  for (let i = 0; i < pending.length; i += 2) {
    const id = pending[i] as number;
    const buffer = pending[i + 1] as SharedArrayBuffer;
    if (ids.has(buffer)) continue;
    port.postMessage({ t: "buffer", id, buffer } satisfies ToDirectory);
    remember(id, buffer);
  }
}

/**
 * The buffer registered under `id`: from this thread's cache, else from the
 * directory (blocking this thread until it answers, which never needs
 * another thread's event loop).
 *
 * @throws {RangeError} when the directory does not know the id.
 */
export function bufferById(id: number): SharedArrayBuffer {
  const cached = buffers.get(id)?.deref();
  if (cached !== undefined) return cached;
  const own = connect();
  if (own === null) {
    throw new RangeError(
      `Cannot decode the value: shared buffer #${id} is out of reach of a worker the library did not start`,
    );
  }
  launchDirectory(); // a buffer this (main) thread sent and dropped
  reply ??= new Int32Array(new SharedArrayBuffer(4));
  const seen = Atomics.load(reply, 0);
  own.port.postMessage(
    {
      t: "get",
      id,
      reply: reply.buffer as SharedArrayBuffer,
    } satisfies ToDirectory,
  );
  Atomics.add(cells!, BELL, 1);
  notify(cells!, BELL, 1);
  const deadline = deadlineOf(PATIENCE_MS);
  for (;;) {
    // The answer is on the port once the reply cell moved; wait for either.
    const message = receiveMessageOnPort(own.port as MessagePort);
    if (message !== undefined) {
      const answer = message.message as FromDirectory;
      remember(answer.id, answer.buffer);
      if (answer.id === id) return answer.buffer;
      continue; // a late answer to an earlier request
    }
    const left = remaining(deadline);
    if (left <= 0 || Atomics.load(cells!, FAILED) === 1) {
      throw new RangeError(
        `Cannot decode the value: the shared-buffer directory does not answer for buffer #${id}`,
      );
    }
    if (Atomics.load(reply, 0) === seen) {
      waitSync(reply, 0, seen, Math.min(left, 1000));
    } else {
      waitSync(reply, 0, Atomics.load(reply, 0), 1); // posted, not yet here
    }
  }
}
