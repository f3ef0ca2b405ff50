/**
 * The iterator that `ThreadPoolExecutor.map()` returns: it reads its input
 * lazily, keeps a window of submitted futures, and yields their results in
 * input order; an error ends the iteration when it reaches the failing item.
 *
 * @module
 */
import { TimeoutError } from "../errors.ts";
import { remaining } from "../_shm/deadline.ts";
import { ChunkFailed } from "./_chunk_failed.ts";
import type { Future } from "./future.ts";

/**
 * Submits one task: an argument list, or with `chunk` a list of argument
 * lists whose results come back as an array (or a `ChunkFailed`).
 */
export type SubmitItems = (args: unknown[], chunk: boolean) => Future<unknown>;

/** The iterator `map()` returns: a window of futures, read in order. */
export class MapIterator<R> implements AsyncIterableIterator<R> {
  #submit: SubmitItems;
  #nextArgs: () => unknown[] | undefined;
  #chunksize: number;
  #buffersize: number;
  #deadline: number;
  #closeInput: () => void;
  #window: { future: Future<unknown>; chunk: boolean }[] = [];
  #ready: unknown[] = [];
  #pendingError: { error: unknown } | undefined;
  #exhausted = false;
  #closed = false;
  #chain: Promise<unknown> = Promise.resolve();

  /**
   * Reads argument lists from `nextArgs` (`undefined` at the end) and submits
   * them through `submit`, `chunksize` at a time, at most `buffersize` chunks
   * ahead; `deadline` bounds the wait for each result; `closeInput` closes the
   * input when the iteration ends early.
   */
  constructor(
    submit: SubmitItems,
    nextArgs: () => unknown[] | undefined,
    chunksize: number,
    buffersize: number,
    deadline: number,
    closeInput: () => void,
  ) {
    this.#submit = submit;
    this.#nextArgs = nextArgs;
    this.#chunksize = chunksize;
    this.#buffersize = buffersize;
    this.#deadline = deadline;
    this.#closeInput = closeInput;
    this.#fill();
  }

  #fill(): void {
    while (
      !this.#exhausted && this.#window.length < this.#buffersize &&
      this.#pendingError === undefined
    ) {
      try {
        if (this.#chunksize === 1) {
          const args = this.#nextArgs();
          if (args === undefined) {
            this.#exhausted = true;
            break;
          }
          this.#window.push({
            future: this.#submit(args, false),
            chunk: false,
          });
        } else {
          const chunk: unknown[][] = [];
          while (chunk.length < this.#chunksize) {
            const args = this.#nextArgs();
            if (args === undefined) {
              this.#exhausted = true;
              break;
            }
            chunk.push(args);
          }
          if (chunk.length === 0) break;
          // A chunk's args are `[chunk]`: the worker spreads each entry.
          this.#window.push({
            future: this.#submit([chunk], true),
            chunk: true,
          });
        }
      } catch (error) {
        this.#pendingError = { error };
        this.#exhausted = true;
      }
    }
  }

  /** The next result, in input order. */
  next(): Promise<IteratorResult<R>> {
    const step = this.#chain.then(() => this.#step());
    this.#chain = step.catch(() => {});
    return step;
  }

  async #step(): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#closed) return { done: true, value: undefined };
      if (this.#ready.length > 0) {
        return { done: false, value: this.#ready.shift() as R };
      }
      const head = this.#window[0];
      if (head === undefined) {
        if (this.#pendingError !== undefined) {
          const { error } = this.#pendingError;
          this.#close();
          throw error;
        }
        this.#close();
        return { done: true, value: undefined };
      }
      let value: unknown;
      try {
        const left = Math.max(0, remaining(this.#deadline));
        value = await head.future.result({ timeout: left });
      } catch (error) {
        this.#close();
        if (error instanceof TimeoutError) {
          throw new TimeoutError(
            `map() did not produce its next result within the timeout`,
            { cause: error },
          );
        }
        throw error;
      }
      this.#window.shift();
      if (head.chunk) {
        if (value instanceof ChunkFailed) {
          this.#ready.push(...value.values);
          this.#pendingError = { error: value.error };
          // Items after the failure are not reported.
          this.#cancelWindow();
          this.#window.length = 0;
          if (this.#ready.length === 0) {
            const { error } = this.#pendingError;
            this.#close();
            throw error;
          }
          continue;
        }
        this.#ready.push(...(value as unknown[]));
      } else {
        this.#ready.push(value);
      }
      this.#fill();
    }
  }

  #cancelWindow(): void {
    for (const { future } of this.#window) future.cancel();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelWindow();
    this.#window.length = 0;
    this.#ready.length = 0;
    if (!this.#exhausted) this.#closeInput();
  }

  /** Ends the iteration: the tasks not yet started are cancelled. */
  return(): Promise<IteratorResult<R>> {
    this.#close();
    return Promise.resolve({ done: true, value: undefined });
  }

  /** The iterator itself. */
  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this;
  }
}
