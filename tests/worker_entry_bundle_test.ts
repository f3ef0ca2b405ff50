import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

// Thread workers start on src/entries/thread_worker_entry.generated.ts, a one-module
// copy of the worker entry and the two modules it imports. It must match
// those sources: scripts/bundle_worker_entry.mjs --check compares them.
test("the generated worker entry matches its sources", () => {
  const script = join(process.cwd(), "scripts", "bundle_worker_entry.mjs");
  assert.ok(existsSync(script), `run the tests from the repository root`);
  // Node runs the script on every runtime: it is plain JavaScript.
  execFileSync("node", [script, "--check"], { stdio: "pipe" });
});
