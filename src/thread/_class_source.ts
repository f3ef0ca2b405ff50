/**
 * How a `Thread` subclass crosses to its worker: the methods of each class in
 * its prototype chain below `Thread` as object-literal source (so `super`
 * calls keep working once the literals are chained again), and the instance's
 * own fields.
 *
 * @module
 */
import { functionToSource } from "../transfer/function_source.ts";

/** The methods of each class between `instance` and `stop`, nearest first, as source. */
export function classLevels(instance: object, stop: object): string[] {
  const levels: string[] = [];
  for (
    let proto = Object.getPrototypeOf(instance);
    proto !== null && proto !== stop;
    proto = Object.getPrototypeOf(proto)
  ) {
    const members: string[] = [];
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === "constructor") continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, key)!;
      if (typeof descriptor.value === "function") {
        members.push(memberSource(key, descriptor.value));
      } else if (descriptor.get !== undefined || descriptor.set !== undefined) {
        if (descriptor.get) {
          members.push(Function.prototype.toString.call(descriptor.get));
        }
        if (descriptor.set) {
          members.push(Function.prototype.toString.call(descriptor.set));
        }
      } else {
        members.push(
          `${JSON.stringify(key)}: ${JSON.stringify(descriptor.value)}`,
        );
      }
    }
    levels.push(`({\n${members.join(",\n")}\n})`);
  }
  return levels;
}

function memberSource(
  key: string,
  fn: (...args: unknown[]) => unknown,
): string {
  const source = Function.prototype.toString.call(fn);
  // Method shorthand stays as written, so that `super` remains valid inside it.
  return functionToSource(fn, `the method '${key}'`) === source
    ? `${JSON.stringify(key)}: ${source}`
    : source;
}

/** The instance's own fields: functions as source, everything else as values. */
export function ownFields(
  instance: object,
): { values: Record<string, unknown>; functions: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const functions: Record<string, string> = {};
  for (const key of Object.keys(instance)) {
    const value = (instance as Record<string, unknown>)[key];
    if (typeof value === "function") {
      functions[key] = functionToSource(value, `the field '${key}'`);
    } else values[key] = value;
  }
  return { values, functions };
}
