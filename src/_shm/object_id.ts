/**
 * The ids that name shared objects in `toString()` output: drawn once when
 * the object is created and kept in its shared memory, so that every thread
 * prints the same one.
 *
 * @module
 */

/** A short random tag that names one shared object in `toString()` output, in every thread. */
export function newObjectId(): number {
  return (Math.random() * 0x7fffffff) | 0;
}

/** Formats an id from {@linkcode newObjectId} like an address: `0x1a2b3c4d`. */
export function formatId(id: number): string {
  return `0x${id.toString(16).padStart(8, "0")}`;
}
