// Runs every program in examples/ on the runtime that runs the tests and
// checks its exit code, and its output where this file knows what to expect.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runScript } from "./_helpers.ts";

const expected: Record<string, string> = {
  threads_function: "Thread-1 (func4Thread) is counting...\n" +
    "It counted to 10000000\n",
  threads_class: "Thread-1 counts to 1000000...\nIt counted to 1000000\n",
  join: "Waiting for the new thread to finish...\n" +
    "This is coming from another thread\n",
  daemon: "heartbeat is a daemon thread: true\n" +
    "It is alive and beating: true\n" +
    "The main program ends here; the daemon thread is stopped with it.\n",
  return_join: "thread doing work...\n" +
    "42 from join, computed by the thread\n" +
    "join() re-raised RangeError: no answer today\n",
  targets: "worker-1: 6765\n832040\n",
  fib: "",
};

const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const examples = readdirSync(
  fileURLToPath(new URL("../examples/", import.meta.url)),
)
  .filter((file) => file.endsWith(extension) && !file.startsWith("_"))
  .map((file) => file.slice(0, -extension.length))
  .sort();

test("examples/ holds the seed's examples", () => {
  for (const name of Object.keys(expected)) {
    assert.ok(examples.includes(name), name);
  }
});

for (const name of examples) {
  test(`examples/${name} runs and exits with code 0`, async () => {
    const { code, stdout, stderr } = await runScript(`examples/${name}`, {
      timeout: 120_000,
    });
    assert.equal(code, 0, `exit code ${code}\n${stdout}\n${stderr}`);
    if (name in expected) {
      assert.equal(stdout, expected[name]);
      assert.equal(stderr, "");
    }
  });
}
