// Values cross threads as structuredClone would carry them (API.md, "Precise
// semantics" → "Values"): Thread args and return values, queue items, map
// keys and values, executor arguments and results. The differential fuzzer
// (value_fuzz_test.ts) covers random values; these are the cases found by
// hand, each of which failed once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Thread } from "../mod.ts";

test("Thread.join() resolves null when the target returns null", async () => {
  assert.equal(await new Thread({ target: () => null }).start().join(), null);
  assert.equal(
    await new Thread({ target: () => Promise.resolve(null) }).start().join(),
    null,
  );
  assert.equal(new Thread({ target: () => null }).start().joinSync(), null);
});
