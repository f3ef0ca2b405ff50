/**
 * The calling thread's ident: 1 on the main thread, else what the worker's
 * entry left in its slot (`slots.ts`) or what the worker recorded as its
 * current thread. Locks write it as their owner on every acquire, so it is
 * one module variable.
 *
 * @module
 */
import { selfSlot } from "./slots.ts";

let currentIdent = selfSlot()?.ident ?? 1;

/** Records the calling thread's ident (the registry, when a worker names its thread). */
export function setIdent(ident: number): void {
  currentIdent = ident;
}

/**
 * The calling thread's ident: 1 on the main thread, unique in the process.
 *
 * @example Usage
 * ```ts
 * import { getIdent } from "@threading/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(getIdent(), 1);
 * ```
 */
export function getIdent(): number {
  return currentIdent;
}
