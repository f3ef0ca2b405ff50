/**
 * The message channel every runtime shares: `node:worker_threads`'
 * `MessageChannel`, whose ports a thread can read synchronously with
 * `receiveMessageOnPort` (Deno and Bun provide the module too). Code above the
 * runtime layer takes it from here, so that only `src/runtime/` names a
 * runtime's module.
 *
 * @module
 */
export {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
} from "node:worker_threads";
