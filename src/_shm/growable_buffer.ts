/**
 * Growable shared buffers, the storage of queues and the shared map: they
 * start small and double as needed, up to a limit all three runtimes accept.
 *
 * @module
 */

/** The length a growable buffer starts with unless told otherwise. */
export const INITIAL_BYTES = 1024;

/** The largest a queue's or map's storage may grow (all three runtimes accept it). */
export const MAX_BYTES = 2 ** 32 - 65536;

/** A growable shared buffer for a queue's or map's storage. */
export function growableBuffer(initial = INITIAL_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(initial, { maxByteLength: MAX_BYTES });
}

/**
 * Grows `buffer` to hold at least `min` bytes (doubling, so that growth is
 * amortized) and returns its new length.
 *
 * @throws {RangeError} when that is beyond {@linkcode MAX_BYTES} or memory.
 */
export function growBuffer(
  buffer: SharedArrayBuffer,
  min: number,
  action: string,
): number {
  if (min > MAX_BYTES) {
    throw new RangeError(
      `Cannot ${action}: the storage would need ${min} bytes, beyond its limit of ${MAX_BYTES} bytes`,
    );
  }
  let size = Math.max(buffer.byteLength * 2, min, INITIAL_BYTES);
  size = Math.min(Math.ceil(size / 4096) * 4096, MAX_BYTES);
  try {
    buffer.grow(size);
  } catch (error) {
    throw new RangeError(
      `Cannot ${action}: the storage could not grow to ${size} bytes`,
      { cause: error },
    );
  }
  return size;
}
