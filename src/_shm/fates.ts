/**
 * The fate of every thread of the process, one byte per ident in the shared
 * globals buffer (`globals.ts`): how lock waiters learn that a holder will
 * never release, and how a stopped thread learns that it must end.
 *
 * This module imports nothing, not even types: a thread's worker loads it
 * at every start (Bun resolves type-only imports too).
 *
 * @module
 */

/**
 * The process-wide fate table: one byte per thread ident at byte
 * `FATES + ident` of the shared globals buffer (see `globals.ts`), written
 * once when the thread ends. Lock waiters read it to learn that a holder
 * will never release (`OwnerDiedError`).
 */
export const FATES = 8;
/** Fate: alive, not started, or unknown. */
export const ALIVE = 0;
/** Fate: the target returned; the thread ended normally. */
export const ENDED = 1;
/** Fate: the thread failed: its target threw, it exited, crashed or was terminated. */
export const FAILED = 2;
/**
 * Fate: the thread's owner stopped it (a pool worker terminated on abort, a
 * thread whose parent ended). Like `FAILED` for its locks' waiters; the
 * thread itself, should it still run (a runtime whose `terminate()` does not
 * stop a busy worker), ends at its next wait in a library primitive.
 */
export const TERMINATED = 3;

/** Records the fate of thread `ident` in the globals buffer, unless one is recorded already. */
export function recordFate(
  globals: SharedArrayBuffer,
  ident: number,
  fate: number,
): void {
  const fates = new Uint8Array(globals);
  if (FATES + ident < fates.length) {
    Atomics.compareExchange(fates, FATES + ident, ALIVE, fate);
  }
}
