// What the repository's runner scripts (test, examples, bench) share: where
// the tools are, how their arguments read, which files they pick and how each
// runtime runs a repo program (Node runs the copy compiled against the built
// npm package, in .node-test/).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The path of a tool installed by `npm ci` (deno, bun, tsc). */
export const bin = (name) => join(root, "node_modules", ".bin", name);

/**
 * Reads `[deno|bun|node ...] [-- name filters]`; runtimes default to all
 * three.
 */
export function parseArgs(argv) {
  const split = argv.indexOf("--");
  const chosen = (split < 0 ? argv : argv.slice(0, split)).filter(Boolean);
  const filters = split < 0 ? [] : argv.slice(split + 1);
  const runtimes = chosen.length > 0 ? chosen : ["deno", "bun", "node"];
  return { runtimes, filters };
}

/** The `.ts` files of `dir` that `keep` accepts and match a filter, sorted. */
export function pickFiles(dir, keep, filters) {
  return readdirSync(join(root, dir))
    .filter(keep)
    .filter((file) =>
      filters.length === 0 || filters.some((f) => file.includes(f))
    )
    .sort();
}

/** `[command, args]` that runs the repo program `dir/file` on `runtime`. */
export function programCommand(runtime, dir, file) {
  switch (runtime) {
    case "deno":
      return [bin("deno"), ["run", "-A", `${dir}/${file}`]];
    case "bun":
      return [bin("bun"), [`${dir}/${file}`]];
    case "node":
      return [
        process.execPath,
        [join(".node-test", dir, file.replace(/\.ts$/, ".js"))],
      ];
    default:
      throw new Error(`Unknown runtime ${runtime}: use deno, bun or node`);
  }
}

/** Builds npm/ and .node-test/ for Node; exits the process when it fails. */
export function buildForNode() {
  console.log("$ deno run -A scripts/build_npm.ts --tests");
  const build = spawnSync(
    bin("deno"),
    ["run", "-A", "scripts/build_npm.ts", "--tests"],
    { cwd: root, stdio: "inherit" },
  );
  if (build.status !== 0) process.exit(1);
}
