/**
 * The module every `ThreadPoolExecutor` worker starts on. It loads the
 * shareable classes (so that shared objects revive) and the library (which
 * tasks compiled from source may name), runs the initializer, then takes
 * tasks from the pool's shared task ring and writes their outcomes into its
 * own result ring, sleeping on a futex while the ring is empty.
 *
 * @module
 */
import "../shareable_classes.ts";
import "../transfer/_library.ts";
import { runtime } from "../runtime/detect.ts";
import { bootWorker, type ParentHandle } from "../runtime/worker_scope.ts";
import { deadlineOf, remaining } from "../_shm/deadline.ts";
import { adoptGlobals, fateOf, setFate } from "../_shm/globals.ts";
import { ENDED, FAILED, TERMINATED } from "../_shm/fates.ts";
import { type FunctionSpec, resolveSpec } from "../thread/target_spec.ts";
import { getIdent } from "../_shm/ident.ts";
import { mainThread, setCurrentThread } from "../thread/registry.ts";
import { threadForWorker } from "../thread/thread.ts";
import { cloneError, decode, encode, type Encoded } from "../transfer/codec.ts";
import { adoptDirectory } from "../transfer/_directory.ts";
import { deserializeError, serializeError } from "../transfer/error_codec.ts";
import { explainMissingVariable } from "../transfer/function_source.ts";
import {
  ACTIVE,
  DEAD,
  F_CHUNK,
  type FromWorker,
  INIT_FAILED,
  type PoolInit,
  R_CHUNK_ERROR,
  R_ERROR,
  R_INIT_FAILED,
  R_OK,
  R_OOB,
  R_UNDEFINED,
  RETIRED,
  type ToWorker,
  W_STATE,
  W_TASK,
} from "../executor/_protocol.ts";
import { TaskRingReader } from "../executor/_task_ring_reader.ts";
import { ResultRingWriter } from "../executor/_result_ring_writer.ts";
import { abortTask, enterTask, leaveTask } from "../executor/task_signal.ts";

type Fn = (...args: unknown[]) => unknown;

const SPIN = 2000;
/** Longest single sleep: a safety net should a wake-up ever be missed. */
const SLEEP_SLICE = 1000;
/** The pool, once its first message arrived. */
let parent: ParentHandle | undefined;

let tasks: TaskRingReader;
let results: ResultRingWriter;
/** This worker's control block (`W_*` of `executor/_protocol.ts`). */
let wctl: Int32Array;
let taskName = "";

const specs = new Map<number, FunctionSpec>();
const functions = new Map<number, Fn>();
const defined = new Map<number, () => void>();
const payloads = new Map<number, Encoded>();
const payloadArrived = new Map<number, () => void>();

bootWorker((data, from) => {
  const message = data as ToWorker;
  switch (message?.t) {
    case "init":
      parent = from;
      void start(message);
      break;
    case "define":
      specs.set(message.id, message.spec);
      defined.get(message.id)?.();
      break;
    case "payload":
      payloads.set(message.id, message.args);
      payloadArrived.get(message.id)?.();
      break;
    case "abort":
      abortTask(message.id, deserializeError(message.reason));
      break;
  }
});

function post(message: FromWorker): void {
  parent!.postMessage(message);
}

/** An error nothing caught: fail the running task with it, then end the worker. */
function crash(error: unknown): void {
  setFate(getIdent(), FAILED);
  const id = Atomics.load(wctl, W_TASK);
  if (id !== 0) writeError(id, error, 0);
  Atomics.store(wctl, W_TASK, 0);
  Atomics.store(wctl, W_STATE, DEAD);
  results.bump();
  runtime.exitThread();
}

async function start(init: PoolInit): Promise<void> {
  adoptGlobals(init.globals);
  adoptDirectory(init.directory);
  tasks = new TaskRingReader(init.control, init.slots, init.arena, init.index);
  wctl = new Int32Array(init.worker);
  results = new ResultRingWriter(
    init.results,
    wctl,
    new Int32Array(init.control),
  );
  taskName = init.name;
  for (const [id, spec] of init.functions) specs.set(id, spec);
  const self = threadForWorker(
    { name: init.name, daemon: false },
    init.ident,
    new Int32Array(new SharedArrayBuffer(4)),
  );
  setCurrentThread(self, mainThread());
  runtime.onThreadExit(() => {
    // A task that exits the worker leaves what it held to lock waiters.
    setFate(init.ident, Atomics.load(wctl, W_TASK) !== 0 ? FAILED : ENDED);
    Atomics.store(wctl, W_STATE, DEAD);
    results.bump();
  });
  runtime.onUncaughtError(crash);
  // Some test runners route a worker's uncaught errors past the process
  // hooks; the scope's own error event still sees them first.
  (globalThis as unknown as {
    addEventListener?: (type: string, fn: (event: ErrorEvent) => void) => void;
  }).addEventListener?.("error", (event) => {
    event.preventDefault?.();
    crash(event.error);
  });
  if (init.initializer !== null) {
    try {
      const fn = await resolveSpec(init.initializer);
      await fn(...(decode(init.initargs) as unknown[]));
    } catch (error) {
      // Reported through the result ring, which the pool reads even after
      // the worker is gone (a message could be lost when it is terminated).
      const serialized = serializeError(
        explainMissingVariable(error, `The initializer of ${init.name}`),
      );
      if (!results.encoded(0, R_INIT_FAILED, serialized, 0)) {
        results.encoded(
          0,
          R_INIT_FAILED,
          serializeError(new Error(String(serialized.message ?? error))),
          0,
        );
      }
      Atomics.store(wctl, W_STATE, INIT_FAILED);
      results.bump();
      return;
    }
  }
  Atomics.compareExchange(wctl, W_STATE, 0, ACTIVE);
  await loop(init.idleTimeout);
}

async function loop(idleTimeout: number): Promise<void> {
  for (;;) {
    if (tasks.stopped()) break;
    // Terminated by the pool but still running (Deno's terminate() does not
    // stop a busy worker): claim nothing more, its results would be lost.
    if (fateOf(getIdent()) === TERMINATED) break;
    const base = tasks.claim();
    if (base < 0) {
      if (await idle(idleTimeout)) break;
      continue;
    }
    const pending = runSlot(base);
    if (pending !== undefined) await pending;
  }
  leave();
}

function leave(): void {
  parent!.close();
  runtime.exitThread();
}

/** Waits for tasks; `true` when the worker should leave. */
async function idle(idleTimeout: number): Promise<boolean> {
  for (let i = 0; i < SPIN; i++) {
    if (tasks.pending()) return false;
  }
  const deadline = deadlineOf(idleTimeout);
  for (;;) {
    const result = await tasks.sleep(
      Math.min(SLEEP_SLICE, Math.max(0, remaining(deadline))),
    );
    if (tasks.stopped()) return true;
    if (tasks.pending()) return false;
    if (result !== "timed-out") return false;
    if (
      performance.now() >= deadline &&
      Atomics.compareExchange(wctl, W_STATE, ACTIVE, RETIRED) === ACTIVE
    ) {
      results.bump();
      return true;
    }
  }
}

/** Runs a claimed task; returns a promise only when it must be awaited. */
function runSlot(base: number): Promise<void> | undefined {
  const id = tasks.id(base);
  const fnId = tasks.fnId(base);
  const flags = tasks.flags(base);
  Atomics.store(wctl, W_TASK, id);
  let args: unknown[] | undefined;
  try {
    args = tasks.take(base, flags);
  } catch (error) {
    writeError(id, error, 0);
    finishTask();
    return undefined;
  }
  const fn = functions.get(fnId);
  if (fn === undefined || args === undefined) {
    return runSlow(id, fnId, flags, args);
  }
  return run(id, fn, args, flags);
}

/** Runs a task whose function or (by message) arguments must come first. */
async function runSlow(
  id: number,
  fnId: number,
  flags: number,
  args: unknown[] | undefined,
): Promise<void> {
  let fn: Fn;
  try {
    fn = await functionFor(fnId);
    args ??= decode(await fetchPayload(id)) as unknown[];
  } catch (error) {
    writeError(id, error, 0);
    finishTask();
    return;
  }
  const pending = run(id, fn, args, flags);
  if (pending !== undefined) await pending;
}

function run(
  id: number,
  fn: Fn,
  args: unknown[],
  flags: number,
): Promise<void> | undefined {
  enterTask(id, wctl);
  const started = performance.now();
  let value: unknown;
  try {
    value = (flags & F_CHUNK) !== 0
      ? runChunk(fn, args[0] as unknown[])
      : fn(...args);
  } catch (error) {
    if (error instanceof ChunkFailure) {
      writeChunkError(id, error, performance.now() - started);
    } else writeError(id, error, performance.now() - started);
    finishTask();
    return undefined;
  }
  if (
    typeof value === "object" && value !== null &&
    typeof (value as PromiseLike<unknown>).then === "function"
  ) {
    return Promise.resolve(value).then(
      (v) => {
        writeValue(id, v, performance.now() - started);
        finishTask();
      },
      (error) => {
        if (error instanceof ChunkFailure) {
          writeChunkError(id, error, performance.now() - started);
        } else writeError(id, error, performance.now() - started);
        finishTask();
      },
    );
  }
  writeValue(id, value, performance.now() - started);
  finishTask();
  return undefined;
}

function finishTask(): void {
  leaveTask();
  Atomics.store(wctl, W_TASK, 0);
}

/** A chunk stopped at a failing item: the values before it, and the error. */
class ChunkFailure {
  readonly values: unknown[];
  readonly error: unknown;
  constructor(values: unknown[], error: unknown) {
    this.values = values;
    this.error = error;
  }
}

/** Runs `fn` over a chunk of argument lists (`map` with `chunksize`). */
function runChunk(fn: Fn, chunk: unknown[]): unknown {
  const values: unknown[] = [];
  for (let i = 0; i < chunk.length; i++) {
    let value: unknown;
    try {
      value = fn(...(chunk[i] as unknown[]));
    } catch (error) {
      throw new ChunkFailure(values, error);
    }
    if (
      typeof value === "object" && value !== null &&
      typeof (value as PromiseLike<unknown>).then === "function"
    ) {
      return finishChunkAsync(fn, chunk, i, values, value);
    }
    values.push(value);
  }
  return values;
}

async function finishChunkAsync(
  fn: Fn,
  chunk: unknown[],
  from: number,
  values: unknown[],
  first: unknown,
): Promise<unknown[]> {
  for (let i = from; i < chunk.length; i++) {
    try {
      values.push(
        await (i === from ? first : fn(...(chunk[i] as unknown[]))),
      );
    } catch (error) {
      throw new ChunkFailure(values, error);
    }
  }
  return values;
}

async function functionFor(fnId: number): Promise<Fn> {
  let fn = functions.get(fnId);
  if (fn !== undefined) return fn;
  let spec = specs.get(fnId);
  while (spec === undefined) {
    // The definition was posted before the task was published: it will come.
    await new Promise<void>((arrived) => defined.set(fnId, arrived));
    defined.delete(fnId);
    spec = specs.get(fnId);
  }
  fn = await resolveSpec(spec);
  functions.set(fnId, fn);
  return fn;
}

async function fetchPayload(id: number): Promise<Encoded> {
  post({ t: "fetch", id });
  let payload = payloads.get(id);
  while (payload === undefined) {
    await new Promise<void>((arrived) => payloadArrived.set(id, arrived));
    payloadArrived.delete(id);
    payload = payloads.get(id);
  }
  payloads.delete(id);
  return payload;
}

// Results ---------------------------------------------------------------------

function writeValue(id: number, value: unknown, runTime: number): void {
  if (typeof value === "number") {
    results.number(id, value, runTime);
    return;
  }
  if (value === undefined) {
    results.empty(id, R_UNDEFINED, runTime);
    return;
  }
  if (results.encoded(id, R_OK, value, runTime)) return;
  try {
    post({ t: "result", id, ok: true, value: encode(value, "the result") });
  } catch (error) {
    // The codec's own explanation, or the part postMessage refused.
    const reason = (error instanceof TypeError ||
        error instanceof RangeError) && /^Cannot send /.test(error.message)
      ? error
      : cloneError(value, "the result", error);
    const Kind = reason instanceof RangeError ? RangeError : TypeError;
    writeError(
      id,
      new Kind(
        `Cannot return the result of a task run by ${taskName}: ${
          reason.message.replace(
            /^Cannot send (.*?) to another thread: /,
            "$1: ",
          )
        }`,
        { cause: error },
      ),
      runTime,
    );
    return;
  }
  results.empty(id, R_OOB, runTime);
}

function writeError(id: number, error: unknown, runTime: number): void {
  const serialized = serializeError(
    explainMissingVariable(error, "The task"),
  );
  if (results.encoded(id, R_ERROR, serialized, runTime)) return;
  post({ t: "result", id, ok: false, error: serialized });
  results.empty(id, R_OOB, runTime);
}

function writeChunkError(
  id: number,
  failure: ChunkFailure,
  runTime: number,
): void {
  const serialized = serializeError(
    explainMissingVariable(failure.error, "The task"),
  );
  if (
    results.encoded(id, R_CHUNK_ERROR, [failure.values, serialized], runTime)
  ) return;
  // Rare: report the error alone, by message.
  post({ t: "result", id, ok: false, error: serialized });
  results.empty(id, R_OOB, runTime);
}
