/**
 * How a thread that its owner stopped ends where the runtime did not stop it:
 * Deno's `terminate()` leaves a busy worker running (denoland/deno#35657),
 * and a Deno worker outlives the worker that started it. The owner records
 * the fate `TERMINATED` for such a thread; the thread checks its own fate
 * whenever a library primitive wakes from a wait, and ends there.
 *
 * Ending the worker is the runtime's business: `thread/thread.ts`, which
 * every thread that can be stopped loads, installs it with
 * {@linkcode setThreadExit} (this layer names no runtime).
 *
 * @module
 */
import { ThreadExitError } from "../errors.ts";
import { fateOf } from "./globals.ts";
import { TERMINATED } from "./fates.ts";
import { getIdent } from "./ident.ts";

let exitThread: () => void = () => {};

/** Installs how the calling thread's worker ends at once (`exitThread` of the runtime layer). */
export function setThreadExit(exit: () => void): void {
  exitThread = exit;
}

/**
 * Ends the calling thread at once if its owner stopped it.
 *
 * @throws {ThreadExitError} when the runtime does not end the thread at once
 * (Deno, where `terminate()` was called, lets `Deno.exit()` return): the
 * thread's code unwinds to its event loop, where the runtime stops it.
 */
export function stopIfTerminated(): void {
  if (fateOf(getIdent()) !== TERMINATED) return;
  exitThread();
  throw new ThreadExitError(
    `Thread ${getIdent()} was stopped by its owner and cannot continue`,
  );
}
