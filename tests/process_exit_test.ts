// How threads affect the end of the process, checked by running child
// processes on the runtime that runs the tests.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Thread } from "../mod.ts";
import { runScript } from "./_helpers.ts";

test("process waits for a non-daemon thread after the main module ended", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/exit_nondaemon",
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "end of main\nnon-daemon thread finished\n");
});

test("process exits at once when only daemon threads are left, stopping them", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/exit_daemon",
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "end of main\n");
  assert.doesNotMatch(stdout + stderr, /woke up|stopped spinning/);
});

test("a joined daemon thread keeps the process alive until it ends", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/exit_daemon_joined",
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "daemon thread finished\njoined: 42\n");
});

test("process waits for a non-daemon thread started inside a thread", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/exit_nested",
  );
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n").sort();
  assert.deepEqual(lines, [
    "end of main",
    "inner thread finished",
    "outer thread returns",
  ]);
});

test("an error in an unjoined thread is printed as 'Exception in thread NAME:' and the exit code stays 0", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/exit_unjoined_error",
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "end of main\n");
  assert.match(
    stderr,
    /Exception in thread failing thread:\nRangeError: division by zero\n/,
  );
  assert.match(stderr, /at failing/);
  assert.match(
    stderr,
    /Exception in thread object thrower:\n\{ code: 'E_NOT_AN_ERROR' \}\n/,
  );
});

test("an excepthook that throws is reported on stderr and the exit code stays 0", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/exit_hook_throws",
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "end of main\n");
  assert.match(
    stderr,
    /^Exception in Thread\.excepthook:\nTypeError: the hook failed\n/,
  );
  assert.doesNotMatch(stderr, /run failed/);
});

test("a thread that calls process.exit() ends only itself; the default excepthook ignores it", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/exit_thread_calls_exit",
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "joined: true 3\nend of main 0\n");
  assert.equal(stderr, "");
});

test("an error thrown in a thread after its target returned reaches stderr", async () => {
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/exit_late_error",
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "joined: returned\n");
  assert.match(
    stderr,
    /Exception in thread late after its target returned:\nError: late failure\n/,
  );
});

test("daemon threads run in workers that can be unref'd (Deno: node:worker_threads, not a web Worker)", async () => {
  const target = async () => {
    const { parentPort } = await import("node:worker_threads");
    return parentPort !== null;
  };
  // Deno's web Worker has no parentPort and no unref(); its node:worker_threads
  // Worker has both. Node and Bun workers have a parentPort either way.
  assert.equal(await new Thread({ target, daemon: true }).start().join(), true);
});
