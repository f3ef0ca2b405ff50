/**
 * The `ts` code blocks of README.md and docs/*.md as programs: each block is
 * a complete program, and a ```text block right after it (blank lines
 * between allowed) is what it prints. `writeBlocks()` writes each one to
 * `.doc-blocks/NAME.ts` with its `@threading/threading` specifiers mapped to
 * the repository's sources; tests/docs_test.ts runs them on Deno and Bun, and
 * scripts/build_npm.ts compiles them for Node against the built package.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One `ts` block of the docs. */
export interface DocBlock {
  /** A file name for it: `readme_03`, `docs_threads_01`. */
  name: string;
  /** The Markdown file, relative to the repository. */
  file: string;
  /** The line of its opening fence (1-based). */
  line: number;
  /** Its code. */
  code: string;
  /** What it prints, from the ```text block after it; `undefined` when none. */
  expected: string | undefined;
}

/** The folder the blocks are written to, relative to the repository. */
export const BLOCKS_DIR = ".doc-blocks";

/** README.md and every docs/*.md, relative to the repository, sorted. */
export function docFiles(root: string): string[] {
  const docs = existsSync(join(root, "docs"))
    ? readdirSync(join(root, "docs"))
      .filter((file) => file.endsWith(".md"))
      .sort()
      .map((file) => `docs/${file}`)
    : [];
  return ["README.md", ...docs];
}

/** Every `ts` block of the docs, in file order. */
export function extractBlocks(root: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const file of docFiles(root)) {
    const lines = readFileSync(join(root, file), "utf8").split("\n");
    const stem = file === "README.md"
      ? "readme"
      : `docs_${file.slice(5, -3).replace(/[^a-z0-9]+/gi, "_")}`;
    let count = 0;
    for (let i = 0; i < lines.length; i++) {
      const fence = /^(`{3,})([^\s`]*)(?:\s.*)?$/.exec(lines[i]);
      if (fence === null) continue;
      const end = lines.findIndex((l, j) => j > i && l === fence[1]);
      if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code block`);
      if (fence[2] === "ts") {
        const code = lines.slice(i + 1, end).join("\n") + "\n";
        let next = end + 1;
        while (next < lines.length && lines[next].trim() === "") next++;
        let expected: string | undefined;
        if (next < lines.length && /^`{3,}text\s*$/.test(lines[next])) {
          const close = lines.findIndex((l, j) =>
            j > next && /^`{3,}$/.test(l)
          );
          expected = lines.slice(next + 1, close).join("\n") + "\n";
        }
        count += 1;
        blocks.push({
          name: `${stem}_${String(count).padStart(2, "0")}`,
          file,
          line: i + 1,
          code,
          expected,
        });
      }
      i = end;
    }
  }
  return blocks;
}

/**
 * The block's program: `@threading/threading` (and `/testing`) point at the
 * repository's `mod.ts` (and `testing.ts`) from `.doc-blocks/`.
 */
export function blockSource(block: DocBlock): string {
  return `// ${block.file}:${block.line}\n` +
    block.code
      .replaceAll('"@threading/threading/testing"', '"../testing.ts"')
      .replaceAll('"@threading/threading"', '"../mod.ts"');
}

/** Writes every block to `.doc-blocks/NAME.ts` (afresh); returns them. */
export function writeBlocks(root: string): DocBlock[] {
  const blocks = extractBlocks(root);
  const dir = join(root, BLOCKS_DIR);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const block of blocks) {
    writeFileSync(join(dir, `${block.name}.ts`), blockSource(block));
  }
  return blocks;
}
