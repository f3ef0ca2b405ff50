/**
 * Setting a decoded property the way `structuredClone` does: shared by the
 * args codec (`codec.ts`) and the queue and map codec (`value_codec.ts`).
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
