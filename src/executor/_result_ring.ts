/**
 * The pool's side of a worker's result ring: the worker appends one record
 * per finished task (id, status, run time, payload) into shared memory of
 * its own, and the pool reads them in order, telling the worker how far it
 * has read so that a writer waiting for room may go on. The writer is
 * `_result_ring_writer.ts`; both read `_ring_layout.ts`.
 *
 * @module
 */
import { notify } from "../_shm/futex.ts";
import {
  R_INT,
  R_NUMBER,
  R_WRAP,
  RECORD_INTS,
  RESULT_BYTES,
  W_READ,
  W_WRITER_WAITING,
  W_WRITTEN,
} from "./_protocol.ts";
import { RECORD_HEADER_BYTES, recordBytes } from "./_ring_layout.ts";
import { decodeFromRing } from "./_ring_codec.ts";

/**
 * Receives one record; `ring.payload()` reads its payload, during the call
 * only.
 */
export type ResultVisitor = (
  id: number,
  status: number,
  runTime: number,
  ring: ResultRing,
  now: number,
) => void;

/** One worker's result ring, as the pool reads it. */
export class ResultRing {
  readonly #control: Int32Array;
  readonly #ring32: Int32Array;
  readonly #ring8: Uint8Array;
  readonly #ring64: Float64Array;
  #read = 0;
  #status = 0;
  #pos = 0;
  #length = 0;

  /**
   * A new ring, read through the worker's control block (`W_WRITTEN`,
   * `W_READ`, `W_WRITER_WAITING`).
   */
  constructor(control: Int32Array) {
    const buffer = new SharedArrayBuffer(RESULT_BYTES);
    this.#control = control;
    this.#ring32 = new Int32Array(buffer);
    this.#ring8 = new Uint8Array(buffer);
    this.#ring64 = new Float64Array(buffer);
  }

  /** The ring's memory, for the worker. */
  get buffer(): SharedArrayBuffer {
    return this.#ring32.buffer as SharedArrayBuffer;
  }

  /**
   * The payload of the record being visited: the number of an `R_INT` or
   * `R_NUMBER` record, else the decoded value (`undefined` when it has none).
   *
   * @throws {RangeError} when the bytes are not a valid encoding.
   */
  payload(): unknown {
    const pos = this.#pos;
    switch (this.#status) {
      case R_INT:
        return this.#ring32[(pos >> 2) + RECORD_INTS];
      case R_NUMBER:
        return this.#ring64[(pos >> 3) + RECORD_INTS / 2];
    }
    return this.#length === 0
      ? undefined
      : decodeFromRing(this.#ring8, pos + RECORD_HEADER_BYTES, this.#length);
  }

  /** Hands every record written since the last call to `visit`, in order. */
  drain(visit: ResultVisitor, now: number): void {
    const control = this.#control;
    const end = Atomics.load(control, W_WRITTEN);
    let read = this.#read;
    if (read === end) return;
    const ring32 = this.#ring32;
    while (read !== end) {
      const pos = read & (RESULT_BYTES - 1);
      const at = pos >> 2;
      const status = ring32[at + 1];
      if (status === R_WRAP) {
        read = (read + RESULT_BYTES - pos) | 0;
        continue;
      }
      const length = ring32[at + 3];
      this.#status = status;
      this.#pos = pos;
      this.#length = length;
      visit(ring32[at], status, ring32[at + 2] / 1000, this, now);
      read = (read + recordBytes(length)) | 0;
    }
    this.#read = read;
    Atomics.store(control, W_READ, read);
    if (Atomics.load(control, W_WRITER_WAITING) !== 0) {
      notify(control, W_READ);
    }
  }
}
