/**
 * How values travel through the executor's rings: in the library's one value
 * encoding (`transfer/value_codec.ts`, as queues and the shared map keep
 * their items). A value it cannot encode, or one too large for a ring, takes
 * the message path instead (`transfer/codec.ts`), which explains what cannot
 * cross.
 *
 * @module
 */
import {
  decodeValueAt,
  encodeValueToScratch,
  type ScratchEncoding,
} from "../transfer/value_codec.ts";

/**
 * The value's encoding in a reused buffer (valid until the next encode in
 * this thread: copy it at once), or `undefined` when the value must take the
 * message path: it cannot be encoded here, or it takes more than `maxBytes`.
 */
export function encodeForRing(
  value: unknown,
  maxBytes: number,
): ScratchEncoding | undefined {
  let encoding: ScratchEncoding;
  try {
    encoding = encodeValueToScratch(value);
  } catch {
    // The message path reports it (or clones what this encoding refuses).
    return undefined;
  }
  return encoding.length <= maxBytes ? encoding : undefined;
}

/** Decodes the `length` bytes at `offset` written from {@linkcode encodeForRing}. */
export function decodeFromRing(
  bytes: Uint8Array,
  offset: number,
  length: number,
): unknown {
  return decodeValueAt(bytes, offset, offset + length);
}
