/**
 * Test helpers shared by the suites: running a script of this repository as a
 * child process on the runtime that runs the tests (Node runs the compiled
 * copy, which imports the built npm package).
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Thread } from "../mod.ts";

/** Which runtime runs the tests. */
export const runtimeName: "deno" | "bun" | "node" =
  process.versions.deno !== undefined
    ? "deno"
    : process.versions.bun !== undefined
    ? "bun"
    : "node";

const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** The absolute path of a repository script (`"examples/daemon"`), as this runtime runs it. */
export function scriptPath(relative: string): string {
  return fileURLToPath(new URL(`../${relative}${extension}`, import.meta.url));
}

/** What a finished child process printed and how it ended. */
export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a repository script as a child process on this runtime. */
export function runScript(
  relative: string,
  options: { args?: string[]; timeout?: number } = {},
): Promise<ChildResult> {
  const path = scriptPath(relative);
  const args = runtimeName === "deno"
    ? ["run", "-A", "--no-check", path, ...(options.args ?? [])]
    : [path, ...(options.args ?? [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `${relative} did not exit within ${
            options.timeout ?? 60_000
          } ms\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeout ?? 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The URL of the library's entry module as this runtime loads it, for `import()` inside threads. */
export const libraryUrl: string = runtimeName === "node"
  ? import.meta.resolve("@threading/threading")
  : new URL("../mod.ts", import.meta.url).href;

/** The URL of a test fixture module (`"work"` → tests/fixtures/work.ts). */
export function fixtureUrl(name: string): string {
  return new URL(`./fixtures/${name}${extension}`, import.meta.url).href;
}

/**
 * Runs `target(...args)` in a daemon thread; fails, naming `what`, when it
 * does not end within `timeout` ms (a hang becomes a test failure).
 */
export async function inThread<A extends unknown[], R>(
  target: (...args: A) => R,
  args: A,
  what: string,
  timeout = 20_000,
): Promise<R> {
  // A generic `A` cannot be proven sendable; callers pass plain data.
  const thread = new Thread({ target, args: args as never, daemon: true })
    .start();
  try {
    return await thread.join({ timeout }) as R;
  } catch (error) {
    if ((error as Error).name === "TimeoutError") {
      throw new Error(`${what}: hung for ${timeout} ms`);
    }
    throw error;
  }
}
