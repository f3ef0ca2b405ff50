/**
 * Reads a local file's text through `node:fs`, loaded only when called (each
 * built-in module a worker loads costs it time at start in Bun).
 *
 * @module
 */

/** The text of the file at `url`, or `undefined` when it cannot be read. */
export function readTextFile(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  try {
    const fs = (globalThis as unknown as {
      process: { getBuiltinModule(id: string): unknown };
    }).process.getBuiltinModule("node:fs") as {
      readFileSync(path: URL, encoding: "utf8"): string;
    };
    return fs.readFileSync(new URL(url), "utf8");
  } catch {
    return undefined;
  }
}
