/**
 * A worker's side of its result ring (`_result_ring.ts` is the pool's): one
 * record per finished task — id, status, run time, payload — appended into
 * the ring's shared memory, and a wake-up for the pool. When the ring is
 * full, the writer waits for the pool to read. Both sides read the layout
 * from `_ring_layout.ts`.
 *
 * @module
 */
import { notify, waitPlain } from "../_shm/futex.ts";
import {
  C_MAIN_WAITING,
  C_RESULTS,
  R_INT,
  R_NUMBER,
  R_WRAP,
  RECORD_INTS,
  RESULT_BYTES,
  W_READ,
  W_WRITER_WAITING,
  W_WRITTEN,
} from "./_protocol.ts";
import { isInt32, RECORD_HEADER_BYTES, recordBytes } from "./_ring_layout.ts";
import { encodeForRing } from "./_ring_codec.ts";

/** The most payload bytes of a record: larger outcomes travel by message. */
const MAX_PAYLOAD = RESULT_BYTES / 4 - 64;

/** A worker's result ring, as the worker writes it. */
export class ResultRingWriter {
  readonly #control: Int32Array;
  readonly #worker: Int32Array;
  readonly #ring32: Int32Array;
  readonly #ring8: Uint8Array;
  readonly #ring64: Float64Array;
  #written = 0;

  /**
   * The ring `results`, written through the worker's control block
   * `worker` (`W_WRITTEN`, `W_READ`, `W_WRITER_WAITING`); the pool's
   * `control` block counts the results (`C_RESULTS`).
   */
  constructor(
    results: SharedArrayBuffer,
    worker: Int32Array,
    control: Int32Array,
  ) {
    this.#control = control;
    this.#worker = worker;
    this.#ring32 = new Int32Array(results);
    this.#ring8 = new Uint8Array(results);
    this.#ring64 = new Float64Array(results);
  }

  /** Tells the pool that something changed: a result, or the worker's state. */
  bump(): void {
    const control = this.#control;
    Atomics.add(control, C_RESULTS, 1);
    if (Atomics.load(control, C_MAIN_WAITING) !== 0) notify(control, C_RESULTS);
  }

  /** Writes a record of a number: `R_INT` or `R_NUMBER`. */
  number(id: number, value: number, runTime: number): void {
    const pos = this.#reserve(8);
    if (isInt32(value)) {
      this.#ring32[(pos >> 2) + RECORD_INTS] = value;
      this.#publish(pos, id, R_INT, runTime, 8);
    } else {
      this.#ring64[(pos >> 3) + RECORD_INTS / 2] = value;
      this.#publish(pos, id, R_NUMBER, runTime, 8);
    }
  }

  /** Writes a record with no payload (`R_UNDEFINED`, `R_OOB`). */
  empty(id: number, status: number, runTime: number): void {
    this.#publish(this.#reserve(0), id, status, runTime, 0);
  }

  /**
   * Writes a record whose payload is `value`'s encoding; `false` (nothing
   * written) when it is too large or not encodable, and must travel by
   * message instead.
   */
  encoded(
    id: number,
    status: number,
    value: unknown,
    runTime: number,
  ): boolean {
    const encoding = encodeForRing(value, MAX_PAYLOAD);
    if (encoding === undefined) return false;
    const { bytes, length } = encoding;
    const pos = this.#reserve(length);
    this.#ring8.set(bytes.subarray(0, length), pos + RECORD_HEADER_BYTES);
    this.#publish(pos, id, status, runTime, length);
    return true;
  }

  /** Reserves room for a record of up to `bytes` payload bytes; returns its position. */
  #reserve(bytes: number): number {
    const need = recordBytes(bytes);
    const worker = this.#worker;
    for (;;) {
      const read = Atomics.load(worker, W_READ);
      const written = this.#written;
      const pos = written & (RESULT_BYTES - 1);
      const skip = pos + need > RESULT_BYTES ? RESULT_BYTES - pos : 0;
      if (((written - read) | 0) + skip + need <= RESULT_BYTES) {
        if (skip === 0) return pos;
        this.#ring32[(pos >> 2) + 1] = R_WRAP;
        this.#written = (written + skip) | 0;
        return this.#written & (RESULT_BYTES - 1);
      }
      // Full: make sure the pool drains, then wait for it.
      Atomics.store(worker, W_WRITER_WAITING, 1);
      this.bump();
      waitPlain(worker, W_READ, read, 20);
      Atomics.store(worker, W_WRITER_WAITING, 0);
    }
  }

  /** Publishes the record at `pos`, of `length` payload bytes. */
  #publish(
    pos: number,
    id: number,
    status: number,
    runTime: number,
    length: number,
  ): void {
    const ring32 = this.#ring32;
    const at = pos >> 2;
    ring32[at] = id;
    ring32[at + 1] = status;
    ring32[at + 2] = Math.min(Math.round(runTime * 1000), 0x7fffffff);
    ring32[at + 3] = length;
    this.#written = (this.#written + recordBytes(length)) | 0;
    Atomics.store(this.#worker, W_WRITTEN, this.#written);
    this.bump();
  }
}
