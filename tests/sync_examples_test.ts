import assert from "node:assert/strict";
import { test } from "node:test";
import { runScript } from "./_helpers.ts";

test("examples/lock: the checker never sees the cache change under the lock", async () => {
  const { code, stdout, stderr } = await runScript("examples/lock");
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^with the lock, added 100 entries: the cache holds 200$/m,
  );
  assert.match(
    stdout,
    /^checked the cache \d+ times; it changed during a check 0 times$/m,
  );
  assert.match(stdout, /^the lock is free$/m);
});

test("examples/lock --unlocked runs to the end without the lock", async () => {
  const { code, stdout, stderr } = await runScript("examples/lock", {
    args: ["--unlocked"],
  });
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^without the lock, added 100 entries: the cache holds 200$/m,
  );
  assert.match(
    stdout,
    /^checked the cache \d+ times; it changed during a check \d+ times$/m,
  );
});

test("examples/producer_consumer: every item arrives once, in order", async () => {
  const { code, stdout, stderr } = await runScript(
    "examples/producer_consumer",
  );
  assert.equal(code, 0, stderr);
  const consumed = [...stdout.matchAll(/^consumed (\d+)$/gm)].map((m) =>
    Number(m[1])
  );
  assert.deepEqual(consumed, Array.from({ length: 20 }, (_, i) => i + 1));
  assert.match(stdout, /^the consumer received 20 items, summing to 210$/m);
});
