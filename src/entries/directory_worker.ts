/**
 * The shared-buffer directory's worker (see `transfer/_directory.ts`): a daemon that
 * runs no user code. It keeps every buffer registered with it and answers
 * requests for them, sleeping in `Atomics.wait` on the doorbell between
 * requests and reading its ports with `receiveMessageOnPort`, so that it
 * never needs an event loop, neither its own nor anyone else's.
 *
 * @module
 */
import {
  type MessagePort,
  receiveMessageOnPort,
} from "../runtime/message_channel.ts";
import { bootWorker } from "../runtime/worker_scope.ts";
import { notify, waitSync } from "../_shm/futex.ts";
import {
  BELL,
  type DirectoryInit,
  type FromDirectory,
  type ToDirectory,
} from "../transfer/_directory_protocol.ts";

bootWorker((data, parent) => {
  parent.close();
  serve(data as DirectoryInit);
});

/** A request that waits for a buffer the directory has not read yet. */
interface Pending {
  port: MessagePort;
  id: number;
  reply: Int32Array;
}

function serve(init: DirectoryInit): never {
  const bell = new Int32Array(init.cells);
  const ports: MessagePort[] = [init.port as MessagePort];
  const buffers = new Map<number, SharedArrayBuffer>();
  let pending: Pending[] = [];
  for (;;) {
    const rung = Atomics.load(bell, BELL);
    // Read every port until none has anything left: a request's buffer was
    // posted (on another port) before the request, and a new thread's port
    // before that thread could post anything.
    let read = true;
    while (read) {
      read = false;
      for (let i = 0; i < ports.length; i++) {
        const port = ports[i];
        for (;;) {
          const received = receiveMessageOnPort(port);
          if (received === undefined) break;
          read = true;
          const message = received.message as ToDirectory;
          if (message.t === "bye") {
            // Read no more from the ended thread's port: not every request
            // has to go through the ports of every thread that ever ran.
            ports.splice(i--, 1);
            port.close();
            break;
          }
          if (message.t === "buffer") {
            buffers.set(message.id, message.buffer);
          } else if (message.t === "port") {
            ports.push(message.port as MessagePort);
          } else if (message.t === "get") {
            pending.push({
              port,
              id: message.id,
              reply: new Int32Array(message.reply),
            });
          }
        }
      }
    }
    const waiting: Pending[] = [];
    for (const request of pending) {
      const buffer = buffers.get(request.id);
      if (buffer === undefined) {
        waiting.push(request);
        continue;
      }
      request.port.postMessage(
        { id: request.id, buffer } satisfies FromDirectory,
      );
      Atomics.add(request.reply, 0, 1);
      notify(request.reply, 0);
    }
    pending = waiting;
    // A buffer still missing is on its way (posted, not yet readable): look
    // again soon. Otherwise sleep until the next request.
    waitSync(bell, BELL, rung, pending.length > 0 ? 1 : Infinity);
  }
}
