// What threads print reaches the process's streams, whole and in order with
// join(), on every runtime. Each case runs child processes, as a user's
// program would.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runScript } from "./_helpers.ts";

const sorted = (text: string): string[] => text.trim().split("\n").sort();

test("every line of nested, daemon and failing threads is written before the process exits", async () => {
  // Several processes at once: the loss showed under load, at exit.
  const runs = await Promise.all(
    Array.from({ length: 4 }, () => runScript("tests/fixtures/output_at_exit")),
  );
  for (const { code, stdout, stderr } of runs) {
    assert.equal(code, 0, stderr);
    assert.deepEqual(sorted(stdout), [
      "daemon thread line",
      "end of main",
      "failing thread line",
      "inner thread line",
      "innermost thread line",
      "outer thread line",
    ]);
    assert.match(stderr, /inner thread error line\n/);
    assert.match(
      stderr,
      /Exception in thread failing thread:\nTypeError: the failing thread failed\n/,
    );
  }
});

test("a thread's and a task's output is written before join(), joinSync() or the future resolves", async () => {
  const rounds = 30;
  const { code, stdout, stderr } = await runScript(
    "tests/fixtures/output_order",
    { args: [String(rounds)] },
  );
  assert.equal(code, 0, stderr);
  const expected = (stream: "out" | "err"): string[] => {
    const lines = [];
    for (let i = 0; i < rounds; i++) {
      lines.push(`thread ${i} ${stream} ${i % 2 === 1 ? "daemon" : "plain"}`);
      lines.push(`main joined ${i}`);
    }
    for (let i = 0; i < rounds; i++) {
      lines.push(`thread ${i} ${stream} task`, `main got ${i}`);
    }
    return lines;
  };
  assert.deepEqual(stdout.trim().split("\n"), expected("out"));
  assert.deepEqual(stderr.trim().split("\n"), expected("err"));
});
