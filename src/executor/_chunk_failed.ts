/**
 * The outcome of a `map()` chunk that failed at an item.
 *
 * @module
 */

/** The result of a chunk that failed at an item: the values before it. */
export class ChunkFailed {
  /** The values of the items before the failing one. */
  readonly values: unknown[];
  /** What the failing item threw. */
  readonly error: unknown;
  /** Wraps the values and the error. */
  constructor(values: unknown[], error: unknown) {
    this.values = values;
    this.error = error;
  }
}
