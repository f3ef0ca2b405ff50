import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { test } from "node:test";
import { runtimeName, scriptPath } from "./_helpers.ts";

const FIXTURE = "tests/fixtures/runner_unjoined_error";

/** Runs a fixture under this runtime's own test runner. */
function runUnderTestRunner(
  relative: string,
): Promise<{ code: number | null; output: string }> {
  const path = scriptPath(relative);
  const args = runtimeName === "deno"
    ? ["test", "-A", "--no-check", path]
    : runtimeName === "bun"
    ? ["test", path]
    : ["--test", path];
  // Node's runner refuses to run files from inside a test it runs.
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: "1",
  };
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

test("an unjoined thread's error is printed once under the runtime's test runner", async () => {
  const { code, output } = await runUnderTestRunner(FIXTURE);
  assert.equal(code, 0, output);
  const reports = output.match(/Exception in thread runner-loser:/g) ?? [];
  assert.equal(reports.length, 1, output);
  // The first frame names the fixture at the throwing line (node --test
  // prefixes a child's stderr with "# ").
  const fixture = readFileSync(scriptPath(FIXTURE), "utf8");
  const line = fixture.slice(0, fixture.indexOf("marker:runner-throw"))
    .split("\n").length;
  assert.match(
    output,
    new RegExp(
      `Exception in thread runner-loser:\\n(?:# )?RunnerError: nobody joined me\\n(?:# )?\\s+at failLater \\([^\\n]*runner_unjoined_error\\.(?:ts|js)(?:, <anonymous>)?:${line}:`,
    ),
  );
});
