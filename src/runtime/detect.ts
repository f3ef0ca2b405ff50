import { createBunRuntime } from "./bun.ts";
import { createDenoRuntime } from "./deno.ts";
import { createNodeRuntime } from "./node.ts";
import type { Runtime } from "./types.ts";

function detect(): Runtime {
  const scope = globalThis as unknown as { Deno?: unknown; Bun?: unknown };
  if (scope.Deno !== undefined) return createDenoRuntime();
  if (scope.Bun !== undefined) return createBunRuntime();
  return createNodeRuntime();
}

/** The adapter for the runtime this code runs on, chosen once by feature detection. */
export const runtime: Runtime = detect();
