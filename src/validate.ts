/**
 * Argument validation: every "Cannot X as 'y' must be Z: received W" message
 * is built here, so that its wording lives in one place.
 *
 * The checkers cost nothing when the value is good: they take the action and
 * the name as strings the caller already has, and build the message only to
 * throw. A caller whose action or name would need building (a template) calls
 * {@linkcode invalid} after its own check instead.
 *
 * @module
 */

/** Renders a bad value with its type, for error messages: `-1 (number)`. */
export function describe(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  if (shown.length > 60) shown = shown.slice(0, 57) + "...";
  const type = value === null
    ? "null"
    : Array.isArray(value)
    ? "array"
    : typeof value;
  return `${shown} (${type})`;
}

/**
 * The error for a bad argument, to throw:
 * `Cannot ${action} as '${name}' must be ${what}: received ${describe(value)}`.
 *
 * @param action What the call could not do: `"create executor"`.
 * @param name The argument's name, quoted in the message; `null` says "it"
 * instead (a setter's value, a function handed over as "the target").
 * @param what What the argument must be: `"a boolean"`.
 * @param value The value received.
 * @param Class `RangeError` for a value of the right type but out of range.
 * @param options The error's `cause`, when another error revealed the problem.
 */
export function invalid(
  action: string,
  name: string | null,
  what: string,
  value: unknown,
  Class: TypeErrorConstructor | RangeErrorConstructor = TypeError,
  options?: ErrorOptions,
): TypeError | RangeError {
  return new Class(
    `Cannot ${action} as ${
      name === null ? "it" : `'${name}'`
    } must be ${what}: received ${describe(value)}`,
    options,
  );
}

/**
 * Checks that `options` is an object (not `null`); the message names it
 * `'options'`.
 *
 * @param example A sample of its shape for the message, such as
 * `"{ block, timeout }"`: "must be an object such as { block, timeout }".
 * @throws {TypeError} otherwise.
 */
export function checkOptions(
  options: unknown,
  action: string,
  example?: string,
): asserts options is object {
  if (typeof options !== "object" || options === null) {
    throw invalid(
      action,
      "options",
      example === undefined ? "an object" : `an object such as ${example}`,
      options,
    );
  }
}

/**
 * Checks that `value` is a boolean.
 *
 * @throws {TypeError} otherwise.
 */
export function checkBoolean(
  value: unknown,
  action: string,
  name: string | null,
): asserts value is boolean {
  if (typeof value !== "boolean") {
    throw invalid(action, name, "a boolean", value);
  }
}

/**
 * Checks that `value` is a function.
 *
 * @throws {TypeError} otherwise.
 */
export function checkFunction(
  value: unknown,
  action: string,
  name: string,
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw invalid(action, name, "a function", value);
  }
}

/**
 * Checks that `value` is an array.
 *
 * @throws {TypeError} otherwise.
 */
export function checkArray(
  value: unknown,
  action: string,
  name: string,
): asserts value is unknown[] {
  if (!Array.isArray(value)) {
    throw invalid(action, name, "an array", value);
  }
}

/**
 * Checks that `value` is an integer of at least `min` (0 or 1).
 *
 * @param what What it must be, for the message; by default "a non-negative
 * integer" (`min` 0) or "a positive integer" (`min` 1).
 * @throws {TypeError} when it is not a number.
 * @throws {RangeError} when it is not an integer (`NaN`, `Infinity`, `1.5`)
 * or is below `min`.
 */
export function checkInteger(
  value: unknown,
  action: string,
  name: string,
  min: 0 | 1,
  what?: string,
): asserts value is number {
  if (typeof value === "number" && Number.isInteger(value) && value >= min) {
    return;
  }
  throw invalid(
    action,
    name,
    what ?? (min === 0 ? "a non-negative integer" : "a positive integer"),
    value,
    typeof value === "number" ? RangeError : TypeError,
  );
}
