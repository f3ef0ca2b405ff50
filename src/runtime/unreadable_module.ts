/**
 * Why a worker could not load one of the library's worker modules, as the
 * sentence that `Thread` and `ThreadPoolExecutor` put after their action.
 *
 * @module
 */
import { runtime } from "./detect.ts";

const RUNTIME_NAMES = { deno: "Deno", bun: "Bun", node: "Node" } as const;

/**
 * The reason a worker started on `url` would fail to load it (Deno without
 * read permission), naming the flag that fixes it, or `undefined` when it
 * can load it.
 */
export function unreadableModule(url: URL): string | undefined {
  const missing = runtime.missingPermission(url);
  if (missing === undefined) return undefined;
  return `${
    RUNTIME_NAMES[runtime.name]
  } may not read the library's worker module (${
    decodeURIComponent(url.pathname)
  }): run the program with ${missing}, or ${missing}=${
    decodeURIComponent(new URL("../..", url).pathname)
  } to allow the library's files only`;
}
