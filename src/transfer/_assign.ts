/**
 * Setting a decoded property the way `structuredClone` does: shared by the
 * args codec (`codec.ts`), the queue and map codec (`value_codec.ts`) and
 * the error codec (`error_codec.ts`).
 *
 * @module
 */

/** Sets `out[key]`, as an own data property even for `__proto__`. */
export function assign(
  out: Record<string, unknown>,
  key: string,
  value: unknown,
): void {
  if (key === "__proto__") {
    Object.defineProperty(out, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else out[key] = value;
}

/**
 * Sets `target[key]` as a non-enumerable data property, as an error's own
 * `name`, `stack`, `cause` and `errors` are.
 */
export function defineHidden(
  target: object,
  key: string,
  value: unknown,
): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}
