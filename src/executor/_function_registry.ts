/**
 * The pool's functions: each distinct task function gets an id once, and its
 * spec (source text, builtin path or module export) goes to every worker, so
 * that a task names its function by id and each worker compiles it once.
 *
 * @module
 */
import {
  checkFunctionOrModule,
  ModuleFunction,
} from "../thread/module_function.ts";
import {
  type FunctionSpec,
  specKey,
  taskSpecOf,
} from "../thread/target_spec.ts";

/** The ids and specs of the functions a pool has run. */
export class FunctionRegistry {
  readonly #ids = new WeakMap<object, number>();
  readonly #byKey = new Map<string, number>();
  readonly #specs: [number, FunctionSpec][] = [];

  /**
   * The id of `fn`; a function met for the first time (by its spec) gets
   * the next one, and `defined(id, spec)` is called to tell the workers.
   *
   * @throws {TypeError} when `fn` is neither a function nor a moduleFunction().
   */
  idOf(
    fn: unknown,
    action: string,
    defined: (id: number, spec: FunctionSpec) => void,
  ): number {
    if (typeof fn === "function" || fn instanceof ModuleFunction) {
      const known = this.#ids.get(fn);
      if (known !== undefined) return known;
    }
    checkFunctionOrModule(fn, action, "fn");
    const spec = taskSpecOf(fn, "the task");
    const key = specKey(spec);
    let id = this.#byKey.get(key);
    if (id === undefined) {
      id = this.#specs.length + 1;
      this.#byKey.set(key, id);
      this.#specs.push([id, spec]);
      defined(id, spec);
    }
    this.#ids.set(fn as object, id);
    return id;
  }

  /** Every function defined so far, for a new worker. */
  list(): [number, FunctionSpec][] {
    return this.#specs.slice();
  }
}
