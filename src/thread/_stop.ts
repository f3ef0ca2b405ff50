/**
 * How a thread that its owner stopped ends where the runtime did not stop it:
 * Deno's `terminate()` leaves a busy worker running (denoland/deno#35657),
 * and a Deno worker outlives the worker that started it. The owner records
 * the fate `TERMINATED` for such a thread; the thread checks its own fate
 * whenever a library primitive wakes from a wait, and ends there.
 *
 * @module
 */
import { ThreadExitError } from "../errors.ts";
import { exitThread } from "../runtime/worker_scope.ts";
import { fateOf } from "./_globals.ts";
import { TERMINATED } from "./_protocol.ts";
import { getIdent } from "./registry.ts";

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
