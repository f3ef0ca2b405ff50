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
import { notify, waitAsync, waitPlain } from "../_shm/futex.ts";
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
  C_HEAD,
  C_MAIN_WAITING,
  C_RESULTS,
  C_SLEEPERS,
  C_STOP,
  C_TAIL,
  C_WAKE,
  CLAIMED_BASE,
  DEAD,
  F_CHUNK,
  F_INT,
  F_NUMBER,
  F_OOB,
  FREE,
  type FromWorker,
  INIT_FAILED,
  type PoolInit,
  R_CHUNK_ERROR,
  R_ERROR,
  R_INIT_FAILED,
  R_INT,
  R_NUMBER,
  R_OK,
  R_OOB,
  R_UNDEFINED,
  R_WRAP,
  READY,
  RECORD_INTS,
  RESULT_BYTES,
  RETIRED,
  S_FLAGS,
  S_FN,
  S_ID,
  S_LENGTH,
  S_NUMBER,
  S_OFFSET,
  S_STATE,
  type ToWorker,
  W_READ,
  W_STATE,
  W_TASK,
  W_WRITER_WAITING,
  W_WRITTEN,
} from "../executor/_protocol.ts";
import {
  isInt32,
  RECORD_HEADER_BYTES,
  recordBytes,
  slotBase,
} from "../executor/_ring_layout.ts";
import { decodeFromRing, encodeForRing } from "../executor/_ring_codec.ts";
import { abortTask, enterTask, leaveTask } from "../executor/task_signal.ts";

type Fn = (...args: unknown[]) => unknown;

const SPIN = 2000;
/** Longest single sleep: a safety net should a wake-up ever be missed. */
const SLEEP_SLICE = 1000;
/** The pool, once its first message arrived. */
let parent: ParentHandle | undefined;

let ctl: Int32Array;
let slots: Int32Array;
let slots64: Float64Array;
let arena: Uint8Array;
let wctl: Int32Array;
let ring32: Int32Array;
let ring8: Uint8Array;
let ring64: Float64Array;
let index = 0;
let written = 0;
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

function bumpResults(): void {
  Atomics.add(ctl, C_RESULTS, 1);
  if (Atomics.load(ctl, C_MAIN_WAITING) !== 0) notify(ctl, C_RESULTS);
}

/** An error nothing caught: fail the running task with it, then end the worker. */
function crash(error: unknown): void {
  setFate(getIdent(), FAILED);
  const id = Atomics.load(wctl, W_TASK);
  if (id !== 0) writeError(id, error, 0);
  Atomics.store(wctl, W_TASK, 0);
  Atomics.store(wctl, W_STATE, DEAD);
  bumpResults();
  runtime.exitThread();
}

async function start(init: PoolInit): Promise<void> {
  adoptGlobals(init.globals);
  adoptDirectory(init.directory);
  ctl = new Int32Array(init.control);
  slots = new Int32Array(init.slots);
  slots64 = new Float64Array(init.slots);
  arena = new Uint8Array(init.arena);
  wctl = new Int32Array(init.worker);
  ring32 = new Int32Array(init.results);
  ring8 = new Uint8Array(init.results);
  ring64 = new Float64Array(init.results);
  index = init.index;
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
    bumpResults();
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
      if (!writeEncoded(0, R_INIT_FAILED, serialized, 0)) {
        writeEncoded(
          0,
          R_INIT_FAILED,
          serializeError(new Error(String(serialized.message ?? error))),
          0,
        );
      }
      Atomics.store(wctl, W_STATE, INIT_FAILED);
      bumpResults();
      return;
    }
  }
  Atomics.compareExchange(wctl, W_STATE, 0, ACTIVE);
  await loop(init.idleTimeout);
}

async function loop(idleTimeout: number): Promise<void> {
  for (;;) {
    if (Atomics.load(ctl, C_STOP) !== 0) break;
    // Terminated by the pool but still running (Deno's terminate() does not
    // stop a busy worker): claim nothing more, its results would be lost.
    if (fateOf(getIdent()) === TERMINATED) break;
    const base = claim();
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
    if (Atomics.load(ctl, C_TAIL) !== Atomics.load(ctl, C_HEAD)) return false;
  }
  const deadline = deadlineOf(idleTimeout);
  for (;;) {
    // Ask for a wake-up call with the next task (see C_WAKE).
    Atomics.store(ctl, C_WAKE, 0);
    Atomics.add(ctl, C_SLEEPERS, 1);
    let result = "not-equal";
    try {
      const tail = Atomics.load(ctl, C_TAIL);
      if (
        tail === Atomics.load(ctl, C_HEAD) && Atomics.load(ctl, C_STOP) === 0
      ) {
        result = await waitAsync(
          ctl,
          C_TAIL,
          tail,
          Math.min(SLEEP_SLICE, Math.max(0, remaining(deadline))),
        );
      }
    } finally {
      Atomics.sub(ctl, C_SLEEPERS, 1);
    }
    // Awake: should another worker still sleep, the next task wakes it.
    if (result !== "not-equal") Atomics.store(ctl, C_WAKE, 0);
    if (Atomics.load(ctl, C_STOP) !== 0) return true;
    if (Atomics.load(ctl, C_TAIL) !== Atomics.load(ctl, C_HEAD)) return false;
    if (result !== "timed-out") return false;
    if (
      performance.now() >= deadline &&
      Atomics.compareExchange(wctl, W_STATE, ACTIVE, RETIRED) === ACTIVE
    ) {
      bumpResults();
      return true;
    }
  }
}

/** Claims the next published task; returns its slot's base index or -1. */
function claim(): number {
  for (;;) {
    const head = Atomics.load(ctl, C_HEAD);
    if (head === Atomics.load(ctl, C_TAIL)) return -1;
    if (Atomics.compareExchange(ctl, C_HEAD, head, (head + 1) | 0) !== head) {
      continue;
    }
    const base = slotBase(head);
    if (
      Atomics.compareExchange(
        slots,
        base + S_STATE,
        READY,
        CLAIMED_BASE + index,
      ) === READY
    ) return base;
    // The pool withdrew it (cancelled): consume the slot.
    Atomics.store(slots, base + S_STATE, FREE);
  }
}

/** Runs a claimed task; returns a promise only when it must be awaited. */
function runSlot(base: number): Promise<void> | undefined {
  const id = slots[base + S_ID];
  const fnId = slots[base + S_FN];
  const flags = slots[base + S_FLAGS];
  Atomics.store(wctl, W_TASK, id);
  let args: unknown[] | undefined;
  if ((flags & F_INT) !== 0) {
    args = [slots[base + S_NUMBER]];
  } else if ((flags & F_NUMBER) !== 0) {
    args = [slots64[(base + S_NUMBER) >> 1]];
  } else if ((flags & F_OOB) === 0) {
    try {
      args = decodeFromRing(
        arena,
        slots[base + S_OFFSET],
        slots[base + S_LENGTH],
      ) as unknown[];
    } catch (error) {
      Atomics.store(slots, base + S_STATE, FREE);
      writeError(id, error, 0);
      finishTask();
      return undefined;
    }
  }
  // Read: the pool may reuse the slot and its arena bytes.
  Atomics.store(slots, base + S_STATE, FREE);
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

// Result ring ----------------------------------------------------------------

/** Reserves room for a record of up to `bytes` payload bytes; returns its position. */
function reserve(bytes: number): number {
  const need = recordBytes(bytes);
  for (;;) {
    const read = Atomics.load(wctl, W_READ);
    const pos = written & (RESULT_BYTES - 1);
    const skip = pos + need > RESULT_BYTES ? RESULT_BYTES - pos : 0;
    if (((written - read) | 0) + skip + need <= RESULT_BYTES) {
      if (skip !== 0) {
        ring32[(pos >> 2) + 1] = R_WRAP;
        written = (written + skip) | 0;
      }
      return written & (RESULT_BYTES - 1);
    }
    // Full: make sure the pool drains, then wait for it.
    Atomics.store(wctl, W_WRITER_WAITING, 1);
    bumpResults();
    waitPlain(wctl, W_READ, read, 20);
    Atomics.store(wctl, W_WRITER_WAITING, 0);
  }
}

function publish(
  pos: number,
  id: number,
  status: number,
  runTime: number,
  length: number,
): void {
  const at = pos >> 2;
  ring32[at] = id;
  ring32[at + 1] = status;
  ring32[at + 2] = Math.min(Math.round(runTime * 1000), 0x7fffffff);
  ring32[at + 3] = length;
  written = (written + recordBytes(length)) | 0;
  Atomics.store(wctl, W_WRITTEN, written);
  bumpResults();
}

/** The most payload bytes of a record: larger outcomes travel by message. */
const MAX_PAYLOAD = RESULT_BYTES / 4 - 64;

/**
 * Writes a record whose payload is `value`'s encoding; `false` (nothing
 * written) when it must travel by message instead.
 */
function writeEncoded(
  id: number,
  status: number,
  value: unknown,
  runTime: number,
): boolean {
  const encoding = encodeForRing(value, MAX_PAYLOAD);
  if (encoding === undefined) return false;
  const { bytes, length } = encoding;
  const pos = reserve(length);
  ring8.set(bytes.subarray(0, length), pos + RECORD_HEADER_BYTES);
  publish(pos, id, status, runTime, length);
  return true;
}

function writeValue(id: number, value: unknown, runTime: number): void {
  if (typeof value === "number") {
    const pos = reserve(8);
    if (isInt32(value)) {
      ring32[(pos >> 2) + RECORD_INTS] = value;
      publish(pos, id, R_INT, runTime, 8);
    } else {
      ring64[(pos >> 3) + RECORD_INTS / 2] = value;
      publish(pos, id, R_NUMBER, runTime, 8);
    }
    return;
  }
  if (value === undefined) {
    publish(reserve(0), id, R_UNDEFINED, runTime, 0);
    return;
  }
  if (writeEncoded(id, R_OK, value, runTime)) return;
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
  publish(reserve(0), id, R_OOB, runTime, 0);
}

function writeError(id: number, error: unknown, runTime: number): void {
  const serialized = serializeError(
    explainMissingVariable(error, "The task"),
  );
  if (writeEncoded(id, R_ERROR, serialized, runTime)) return;
  post({ t: "result", id, ok: false, error: serialized });
  publish(reserve(0), id, R_OOB, runTime, 0);
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
    writeEncoded(id, R_CHUNK_ERROR, [failure.values, serialized], runTime)
  ) return;
  // Rare: report the error alone, by message.
  post({ t: "result", id, ok: false, error: serialized });
  publish(reserve(0), id, R_OOB, runTime, 0);
}
