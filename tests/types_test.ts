/**
 * Type tests: `deno check` on files that must compile (with
 * `@ts-expect-error` on each line that must not) and on files that must not,
 * with the compiler's message. Every runtime runs them, through the
 * repository's Deno binary.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import process from "node:process";
import { fileURLToPath } from "node:url";

// The repository root (Node runs a compiled copy of this file elsewhere).
let root = fileURLToPath(new URL(".", import.meta.url));
while (!existsSync(join(root, "deno.json"))) root = join(root, "..");
const types = join(root, "tests", "fixtures", "types");

function check(...files: string[]): { ok: boolean; output: string } {
  const result = spawnSync(
    join(root, "node_modules", ".bin", "deno"),
    ["check", "--quiet", ...files.map((file) => join(types, file))],
    { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
  return {
    ok: result.status === 0,
    // deno-lint-ignore no-control-regex
    output: `${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, ""),
  };
}

test("Thread, Timer and submit() types accept what can travel and reject the rest", () => {
  const { ok, output } = check("targets_compile.mts");
  assert.ok(ok, output);
});

test("Thread types reject missing args, extra args and functions with plain messages", () => {
  const { ok, output } = check(
    "targets_missing_args.mts",
    "targets_extra_args.mts",
    "targets_function_arg.mts",
  );
  assert.equal(ok, false);
  assert.match(
    output,
    /Property 'args' is missing in type '\{ target: \(a: number\) => number; \}'[^\n]*\n[^]*targets_missing_args\.mts:5/,
  );
  assert.match(
    output,
    /Type 'number' is not assignable to type 'NoParameterForThisArgument'\.[^]*targets_extra_args\.mts:5/,
  );
  assert.match(
    output,
    /Type '\(\) => number' is not assignable to type 'FunctionsCannotTravelToThreads'\.[^]*targets_function_arg\.mts:5/,
  );
  assert.equal(output.match(/ERROR/g)?.length, 3, output);
});
