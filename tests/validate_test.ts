import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkArray,
  checkBoolean,
  checkFunction,
  checkInteger,
  checkOptions,
  describe,
  invalid,
} from "../src/validate.ts";

type ErrorClass = TypeErrorConstructor | RangeErrorConstructor;

/**
 * Asserts that `fn` throws an instance of exactly `Class` (a RangeError is
 * not a TypeError, and neither passes for the other) with `message`.
 */
function throwsExactly(
  fn: () => unknown,
  Class: ErrorClass,
  message: string,
): void {
  assert.throws(fn, (error: unknown) => {
    assert.equal((error as Error).constructor, Class);
    assert.equal((error as Error).message, message);
    return true;
  });
}

test("describe() shows a value with its type, cut to 60 characters", () => {
  assert.equal(describe(-1), "-1 (number)");
  assert.equal(describe("x"), '"x" (string)');
  assert.equal(describe(null), "null (null)");
  assert.equal(describe([1, 2]), "1,2 (array)");
  assert.equal(describe(Object.create(null)), "[object Object] (object)");
  assert.equal(describe("y".repeat(80)), `"${"y".repeat(56)}... (string)`);
});

test("invalid() builds the one message shape, a TypeError unless told", () => {
  const error = invalid("create executor", "maxWorkers", "a number", "1");
  assert.equal(error.constructor, TypeError);
  assert.equal(
    error.message,
    `Cannot create executor as 'maxWorkers' must be a number: received "1" (string)`,
  );
  const range = invalid("map", "chunksize", "positive", 0, RangeError);
  assert.equal(range.constructor, RangeError);
  assert.equal(
    range.message,
    "Cannot map as 'chunksize' must be positive: received 0 (number)",
  );
});

test("invalid() says 'it' for a null name and passes a cause on", () => {
  assert.equal(
    invalid("set daemon", null, "a boolean", 1).message,
    "Cannot set daemon as it must be a boolean: received 1 (number)",
  );
  const cause = new Error("inner");
  const error = invalid("act", "url", "a URL", "x", TypeError, { cause });
  assert.equal(error.cause, cause);
  assert.equal(
    Object.getOwnPropertyDescriptor(error, "cause")?.enumerable,
    false,
  );
  assert.ok(!Object.hasOwn(invalid("act", "url", "a URL", "x"), "cause"));
});

test("the type checkers pass good values and name bad ones", () => {
  checkOptions({}, "act");
  checkOptions([], "act");
  checkBoolean(false, "act", "flag");
  checkFunction(() => {}, "act", "fn");
  checkArray([], "act", "args");
  throwsExactly(
    () => checkOptions(null, "act"),
    TypeError,
    "Cannot act as 'options' must be an object: received null (null)",
  );
  throwsExactly(
    () => checkOptions(5, "act", "{ block, timeout }"),
    TypeError,
    "Cannot act as 'options' must be an object such as { block, timeout }: received 5 (number)",
  );
  throwsExactly(
    () => checkBoolean(0, "act", "flag"),
    TypeError,
    "Cannot act as 'flag' must be a boolean: received 0 (number)",
  );
  throwsExactly(
    () => checkBoolean("true", "set daemon", null),
    TypeError,
    'Cannot set daemon as it must be a boolean: received "true" (string)',
  );
  throwsExactly(
    () => checkFunction({}, "act", "fn"),
    TypeError,
    "Cannot act as 'fn' must be a function: received [object Object] (object)",
  );
  throwsExactly(
    () => checkArray("ab", "act", "args"),
    TypeError,
    `Cannot act as 'args' must be an array: received "ab" (string)`,
  );
});

test("checkInteger() throws a TypeError for a non-number, a RangeError for a bad number", () => {
  checkInteger(0, "act", "n", 0);
  checkInteger(1, "act", "n", 1);
  checkInteger(2 ** 40, "act", "n", 1);
  throwsExactly(
    () => checkInteger("1", "act", "n", 1),
    TypeError,
    `Cannot act as 'n' must be a positive integer: received "1" (string)`,
  );
  throwsExactly(
    () => checkInteger(1n, "act", "n", 0),
    TypeError,
    "Cannot act as 'n' must be a non-negative integer: received 1 (bigint)",
  );
  for (const bad of [0, -1, 1.5, NaN, Infinity, -Infinity]) {
    throwsExactly(
      () => checkInteger(bad, "act", "n", 1),
      RangeError,
      `Cannot act as 'n' must be a positive integer: received ${bad} (number)`,
    );
  }
  throwsExactly(
    () => checkInteger(-1, "act", "n", 0),
    RangeError,
    "Cannot act as 'n' must be a non-negative integer: received -1 (number)",
  );
  throwsExactly(
    () => checkInteger(0, "act", "maxWorkers", 1, "an integer greater than 0"),
    RangeError,
    "Cannot act as 'maxWorkers' must be an integer greater than 0: received 0 (number)",
  );
});

test("a wrong error class fails the check (the tests above can fail)", () => {
  const message =
    "Cannot act as 'n' must be a positive integer: received 0 (number)";
  assert.throws(
    () =>
      throwsExactly(() => checkInteger(0, "act", "n", 1), TypeError, message),
    assert.AssertionError,
  );
  assert.throws(
    () =>
      throwsExactly(
        () => checkInteger("0", "act", "n", 1),
        RangeError,
        `Cannot act as 'n' must be a positive integer: received "0" (string)`,
      ),
    assert.AssertionError,
  );
  assert.throws(
    () => throwsExactly(() => checkInteger(0, "act", "n", 1), RangeError, "x"),
    assert.AssertionError,
  );
  assert.throws(
    () =>
      throwsExactly(() => checkInteger(1, "act", "n", 1), RangeError, message),
    assert.AssertionError,
  );
});
