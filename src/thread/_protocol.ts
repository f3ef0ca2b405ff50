/**
 * The messages between a thread's owner and the worker that runs it, and the
 * layout of the thread's control block (an `Int32Array` over shared memory).
 *
 * @module
 */
import type { MessagePort } from "node:worker_threads";
import type { Encoded } from "../transfer/codec.ts";
import type { SerializedError } from "../transfer/error_codec.ts";

/** Control block cell: the thread's state. */
export const STATE = 0;
/** Control block cell: the exit code, once the thread called exit. */
export const EXIT_CODE = 1;
/** The number of `Int32` cells in a control block. */
export const CONTROL_CELLS = 2;
/** State: the target is running (or the thread has not started yet). */
export const RUNNING = 0;
/** State: the target finished; its outcome waits on the result port. */
export const DONE = 1;
/** State: the thread ended without an outcome (it exited or crashed). */
export const DIED = 2;

/** How the worker finds the code to run. */
export type TargetSpec =
  | { kind: "none" }
  | { kind: "function"; source: string }
  | { kind: "module"; url: string; exportName: string };

/** The first message a thread's worker receives. */
export interface StartMessage {
  type: "thread";
  globals: SharedArrayBuffer;
  control: SharedArrayBuffer;
  port: MessagePort;
  ident: number;
  name: string;
  daemon: boolean;
  target: TargetSpec;
  args: Encoded;
  /** A `Thread` subclass: each level's methods as an object literal's source, nearest first. */
  classLevels?: string[];
  /** A `Thread` subclass: its instance's own fields, but functions. */
  fields?: Encoded;
  /** A `Thread` subclass: its instance's own fields that hold functions, as source. */
  fieldFunctions?: Record<string, string>;
}

/** What the worker posts on the result port when the target ends. */
export type Outcome =
  | { ok: true; value: Encoded }
  | { ok: false; error: SerializedError };

/** What the worker posts to its parent once the outcome is on the port. */
export const DONE_MESSAGE = "threading:done";
