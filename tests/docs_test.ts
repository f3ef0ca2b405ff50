// Docs that cannot rot: every `ts` block of README.md and docs/*.md runs as a
// program on the runtime that runs the tests (Node runs the copy that
// scripts/build_npm.ts --tests compiled against the built package) and
// exits 0; a block that prints must state its output in a ```text block
// after it, and prints exactly that. On Deno, the blocks are type-checked too.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  BLOCKS_DIR,
  type DocBlock,
  docFiles,
  extractBlocks,
  writeBlocks,
} from "./_doc_blocks.ts";
import { runtimeName } from "./_helpers.ts";

const compiled = !import.meta.url.endsWith(".ts");
const root = fileURLToPath(
  new URL(compiled ? "../../" : "../", import.meta.url),
);
const blocks = compiled ? extractBlocks(root) : writeBlocks(root);

function programOf(block: DocBlock): string {
  return compiled
    ? join(root, ".node-test", BLOCKS_DIR, `${block.name}.js`)
    : join(root, BLOCKS_DIR, `${block.name}.ts`);
}

function run(
  path: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = runtimeName === "deno"
    ? ["run", "-A", "--no-check", path]
    : [path];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`${path} did not exit within 120 s\n${stdout}\n${stderr}`),
      );
    }, 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("docs: README.md and docs/ have code blocks to run", () => {
  assert.ok(blocks.length > 0);
  assert.ok(blocks.some((block) => block.file === "README.md"));
});

if (runtimeName === "deno") {
  test("docs: every ts block type-checks (deno check --doc-only)", () => {
    const result = spawnSync(
      process.execPath,
      ["check", "--doc-only", ...docFiles(root)],
      { cwd: root, encoding: "utf8" },
    );
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  });

  test("docs: every @example of the API type-checks (deno check --doc-only)", () => {
    const result = spawnSync(
      process.execPath,
      ["check", "--doc-only", "mod.ts", "testing.ts", "src/"],
      { cwd: root, encoding: "utf8" },
    );
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  });
}

for (const block of blocks) {
  test(`docs: ${block.file}:${block.line} (${block.name}) runs and prints what it states`, async () => {
    const path = programOf(block);
    assert.ok(
      existsSync(path),
      `${path} is missing: run deno run -A scripts/build_npm.ts --tests`,
    );
    const { code, stdout, stderr } = await run(path);
    assert.equal(code, 0, `exit code ${code}\n${stdout}\n${stderr}`);
    if (block.expected === undefined) {
      assert.equal(
        stdout,
        "",
        `${block.file}:${block.line} prints but states no output: add a text block after it`,
      );
    } else {
      assert.equal(stdout, block.expected);
    }
  });
}
