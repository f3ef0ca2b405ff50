import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runScript, runtimeName, scriptPath } from "./_helpers.ts";

function runDenoWithoutPermissions(
  path: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Deno runs a child spawned on its own execPath with all permissions (as
  // a Node script): spawn it through the repository's link instead.
  const deno = fileURLToPath(
    new URL("../node_modules/.bin/deno", import.meta.url),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(deno, ["run", "--no-check", path], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("a thread whose worker cannot start rejects join() with one clear error, and is reported once unjoined", async () => {
  const fixture = "tests/fixtures/start_failure";
  if (runtimeName === "deno") {
    const { code, stdout, stderr } = await runDenoWithoutPermissions(
      scriptPath(fixture),
    );
    assert.equal(code, 0, stderr);
    assert.match(
      stdout,
      /^joined: Cannot start thread joined: Deno may not read the library's worker module \([^)]*_worker_entry\.generated\.ts\): run the program with --allow-read, or --allow-read=\S+ to allow the library's files only\nend of main\n$/,
    );
    // Only the unjoined thread's report: nothing about internal modules.
    assert.match(
      stderr,
      /^Exception in thread unjoined:\nError: Cannot start thread unjoined: Deno may not read/,
    );
    assert.equal(stderr.match(/Exception in thread/g)?.length, 1, stderr);
    assert.doesNotMatch(stderr, /directory|Uncaught/);
  }
  // Everywhere (Deno with its permissions): a missing module is named.
  const { code, stdout, stderr } = await runScript(fixture);
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^joined: [^\n]*start_failure_missing_module\.(?:ts|js)[^\n]*\nend of main\n$/,
  );
  assert.equal(
    stderr.match(/Exception in thread unjoined:/g)?.length,
    1,
    stderr,
  );
  assert.match(stderr, /start_failure_missing_module/);
});

test("a ThreadPoolExecutor whose workers cannot start fails its futures with BrokenExecutorError instead of hanging", async () => {
  const fixture = "tests/fixtures/executor_start_failure";
  if (runtimeName === "deno") {
    const { code, stdout, stderr } = await runDenoWithoutPermissions(
      scriptPath(fixture),
    );
    assert.equal(code, 0, stderr);
    assert.match(
      stdout,
      /^first: BrokenExecutorError: The thread pool cannot start its workers: Deno may not read the library's worker module \([^)]*pool_worker\.ts\): run the program with --allow-read, or --allow-read=\S+ to allow the library's files only\nsecond: BrokenExecutorError: Cannot submit task: The thread pool cannot start its workers: Deno may not read [^\n]*\nend of main\n$/,
    );
    assert.doesNotMatch(stderr, /Uncaught|never resolved/);
  }
  // Everywhere (Deno with its permissions): the same program runs its tasks.
  const { code, stdout, stderr } = await runScript(fixture);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "first: 42\nsecond: 8\nend of main\n");
});
