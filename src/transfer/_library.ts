/**
 * Makes the library's exports reachable by targets compiled from source text
 * (see `function_source.ts`), which bind the ones they name from
 * {@linkcode LIBRARY_SLOT}. Code that compiles such a target imports this
 * module first, when the target names any.
 *
 * @module
 */
import * as library from "../../mod.ts";
import { LIBRARY_SLOT } from "./_library_names.ts";

(globalThis as unknown as Record<symbol, unknown>)[LIBRARY_SLOT] = library;
