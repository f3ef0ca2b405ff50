/**
 * The arithmetic of the executor's rings, shared by the pool side
 * (`_task_ring.ts`, `_result_ring.ts`) and the worker side
 * (`_task_ring_reader.ts`, `_result_ring_writer.ts`)
 * so that both read the same layout (the constants are in `_protocol.ts`).
 *
 * @module
 */
import { RECORD_INTS, SLOT_INTS, SLOTS } from "./_protocol.ts";

/** The index of the first int of the task-ring slot that sequence number `seq` uses. */
export function slotBase(seq: number): number {
  return (seq & (SLOTS - 1)) * SLOT_INTS;
}

/** Bytes of the result-ring header before a record's payload. */
export const RECORD_HEADER_BYTES: number = RECORD_INTS * 4;

/** Bytes a result record with `length` payload bytes takes (payloads are 8-byte aligned). */
export function recordBytes(length: number): number {
  return RECORD_HEADER_BYTES + ((length + 7) & ~7);
}

/**
 * Whether `n` travels as an int32 (`F_INT`, `R_INT`) rather than a float64:
 * an integer in range that is not `-0`.
 */
export function isInt32(n: number): boolean {
  return (n | 0) === n && (n !== 0 || 1 / n > 0);
}
