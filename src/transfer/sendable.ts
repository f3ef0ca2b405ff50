/**
 * The type of values that may travel to a thread as arguments: what
 * `structuredClone` keeps (primitives but symbols, plain objects and arrays,
 * `Map`, `Set`, `Date`, `RegExp`, errors, buffers and typed arrays) and shared
 * objects (locks, queues, `SharedMap`...), which arrive live.
 *
 * @module
 */
import type { Barrier } from "../sync/barrier.ts";
import type { BoundedSemaphore } from "../sync/bounded_semaphore.ts";
import type { Condition } from "../sync/condition.ts";
import type { Event } from "../sync/event.ts";
import type { Lock } from "../sync/lock.ts";
import type { RLock } from "../sync/rlock.ts";
import type { Semaphore } from "../sync/semaphore.ts";
import type { Queue } from "../queue/queue.ts";
import type { SimpleQueue } from "../queue/simple_queue.ts";
import type { SharedMap } from "../collections/shared_map.ts";

/** The objects that cross threads live, over the same shared memory. */
export type SharedObject =
  | Lock
  | RLock
  | Semaphore
  | BoundedSemaphore
  | Event
  | Condition
  | Barrier
  // deno-lint-ignore no-explicit-any
  | Queue<any>
  // deno-lint-ignore no-explicit-any
  | SimpleQueue<any>
  // deno-lint-ignore no-explicit-any
  | SharedMap<any, any>;

/**
 * `T` where every part of it can travel to a thread, and a type that no value
 * has in place of a part that cannot: a function, a symbol, or a method of a
 * class instance (which `structuredClone` would drop). The compiler's error
 * then names the problem: "Type '() => number' is not assignable to type
 * 'FunctionsCannotTravelToThreads'".
 *
 * @typeParam T The type to check, usually a tuple of arguments.
 */
export type Sendable<T> = T extends SharedObject ? T
  : T extends (...args: never[]) => unknown ? FunctionsCannotTravelToThreads
  : T extends symbol ? SymbolsCannotTravelToThreads
  : T extends
    | string
    | number
    | boolean
    | bigint
    | null
    | undefined
    | Date
    | RegExp
    | Error
    | ArrayBuffer
    | SharedArrayBuffer
    | ArrayBufferView ? T
  : T extends Map<infer K, infer V> ? Map<Sendable<K>, Sendable<V>>
  : T extends Set<infer V> ? Set<Sendable<V>>
  : T extends readonly unknown[] ? { [K in keyof T]: Sendable<T[K]> }
  : T extends object ? [
      {
        [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K
          : never;
      }[keyof T],
    ] extends [never] ? { [K in keyof T]: Sendable<T[K]> }
      // An interface with methods: a shared object may fit it.
    : [Extract<SharedObject, T>] extends [never]
      ? ClassInstancesWithMethodsCannotTravelToThreads
    : T
  : T;

/**
 * What an object with methods among a thread's args is checked against,
 * unless a shared object fits its type: no value has this type.
 */
export interface ClassInstancesWithMethodsCannotTravelToThreads {
  /** Never present. */
  readonly classInstancesWithMethodsCannotTravelToThreads: never;
}

/** What a function among a thread's args is checked against: no value has this type. */
export interface FunctionsCannotTravelToThreads {
  /** Never present. */
  readonly functionsCannotTravelToThreads: never;
}

/** What a symbol among a thread's args is checked against: no value has this type. */
export interface SymbolsCannotTravelToThreads {
  /** Never present. */
  readonly symbolsCannotTravelToThreads: never;
}

/**
 * What an argument beyond a target's last parameter is checked against, so
 * that the compiler's error names the problem: "Type 'number' is not
 * assignable to type 'NoParameterForThisArgument'".
 */
export interface NoParameterForThisArgument {
  /** Never present: no value has this type. */
  readonly noParameterForThisArgument: never;
}

/**
 * The args a target with parameters `A` accepts: each of them
 * {@linkcode Sendable}, and none beyond its last parameter.
 *
 * @typeParam A The target's parameters.
 */
export type TargetArgs<A extends unknown[]> = number extends A["length"]
  ? { [K in keyof A]: Sendable<A[K]> }
  : [...{ [K in keyof A]: Sendable<A[K]> }, ...NoParameterForThisArgument[]];
