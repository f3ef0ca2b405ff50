import assert from "node:assert/strict";
import { test } from "node:test";
import { runScript } from "./_helpers.ts";

test("examples/return_value: the thread's result comes back through a queue", async () => {
  const { code, stdout, stderr } = await runScript("examples/return_value");
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "thread doing work...\n29999997 from queue\n");
});

test("examples/cache: with the lock, no check ever sees the cache change", async () => {
  const { code, stdout, stderr } = await runScript("examples/cache");
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^with the lock: added 50 entries, the cache holds 150$/m,
  );
  assert.match(
    stdout,
    /^checked the whole cache \d+ times; ConcurrentModificationError 0 times$/m,
  );
  assert.doesNotMatch(stdout, /check_cache:/);
});

test("examples/cache --unlocked: the checker's iteration fails with ConcurrentModificationError", async () => {
  const { code, stdout, stderr } = await runScript("examples/cache", {
    args: ["--unlocked"],
  });
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^check_cache: ConcurrentModificationError: The map changed while it was iterated/m,
  );
  const [, added, size] = stdout.match(
    /^without the lock: added (\d+) entries, the cache holds (\d+)$/m,
  )!;
  assert.equal(Number(size), 100 + Number(added));
  const [, errors] = stdout.match(/ConcurrentModificationError (\d+) times$/m)!;
  assert.ok(Number(errors) >= 1);
});
