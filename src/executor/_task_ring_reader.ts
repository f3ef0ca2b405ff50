/**
 * A worker's side of the task ring (`_task_ring.ts` is the pool's): claiming
 * the next published task, reading its id, function and arguments from its
 * slot, and sleeping until the pool publishes one. Both sides read the
 * layout from `_ring_layout.ts`.
 *
 * @module
 */
import { waitAsync } from "../_shm/futex.ts";
import {
  C_HEAD,
  C_SLEEPERS,
  C_STOP,
  C_TAIL,
  C_WAKE,
  CLAIMED_BASE,
  F_INT,
  F_NUMBER,
  F_OOB,
  FREE,
  READY,
  S_FLAGS,
  S_FN,
  S_ID,
  S_LENGTH,
  S_NUMBER,
  S_OFFSET,
  S_STATE,
} from "./_protocol.ts";
import { slotBase } from "./_ring_layout.ts";
import { decodeFromRing } from "./_ring_codec.ts";

/** The task ring as worker `index` of the pool reads it. */
export class TaskRingReader {
  readonly #control: Int32Array;
  readonly #slots: Int32Array;
  readonly #slots64: Float64Array;
  readonly #arena: Uint8Array;
  readonly #claimed: number;

  /** The ring over the pool's control block, slots and arena. */
  constructor(
    control: SharedArrayBuffer,
    slots: SharedArrayBuffer,
    arena: SharedArrayBuffer,
    index: number,
  ) {
    this.#control = new Int32Array(control);
    this.#slots = new Int32Array(slots);
    this.#slots64 = new Float64Array(slots);
    this.#arena = new Uint8Array(arena);
    this.#claimed = CLAIMED_BASE + index;
  }

  /** Whether the pool asked its workers to stop. */
  stopped(): boolean {
    return Atomics.load(this.#control, C_STOP) !== 0;
  }

  /** Whether a published task waits to be claimed. */
  pending(): boolean {
    const control = this.#control;
    return Atomics.load(control, C_TAIL) !== Atomics.load(control, C_HEAD);
  }

  /** Claims the next published task; returns its slot's base index or -1. */
  claim(): number {
    const control = this.#control;
    const slots = this.#slots;
    for (;;) {
      const head = Atomics.load(control, C_HEAD);
      if (head === Atomics.load(control, C_TAIL)) return -1;
      if (
        Atomics.compareExchange(control, C_HEAD, head, (head + 1) | 0) !== head
      ) continue;
      const base = slotBase(head);
      if (
        Atomics.compareExchange(slots, base + S_STATE, READY, this.#claimed) ===
          READY
      ) return base;
      // The pool withdrew it (cancelled): consume the slot.
      Atomics.store(slots, base + S_STATE, FREE);
    }
  }

  /** The id of the task claimed at `base`. */
  id(base: number): number {
    return this.#slots[base + S_ID];
  }

  /** The id of its function in the pool's registry. */
  fnId(base: number): number {
    return this.#slots[base + S_FN];
  }

  /** Its `F_*` flags. */
  flags(base: number): number {
    return this.#slots[base + S_FLAGS];
  }

  /**
   * Reads the arguments of the task claimed at `base` (`undefined` when they
   * travel by message, `F_OOB`) and frees its slot: the pool may then reuse
   * the slot and its arena bytes.
   *
   * @throws {RangeError} when the arena's bytes are not a valid encoding (the
   * slot is freed all the same).
   */
  take(base: number, flags: number): unknown[] | undefined {
    const slots = this.#slots;
    try {
      if ((flags & F_INT) !== 0) return [slots[base + S_NUMBER]];
      if ((flags & F_NUMBER) !== 0) {
        return [this.#slots64[(base + S_NUMBER) >> 1]];
      }
      if ((flags & F_OOB) !== 0) return undefined;
      return decodeFromRing(
        this.#arena,
        slots[base + S_OFFSET],
        slots[base + S_LENGTH],
      ) as unknown[];
    } finally {
      Atomics.store(slots, base + S_STATE, FREE);
    }
  }

  /**
   * Sleeps until a task is published, the pool stops or `ms` pass, asking
   * the pool for a wake-up call with the next task (`C_WAKE`).
   *
   * @returns The futex wait's result: `"not-equal"` when it did not sleep.
   */
  async sleep(ms: number): Promise<"ok" | "not-equal" | "timed-out"> {
    const control = this.#control;
    Atomics.store(control, C_WAKE, 0);
    Atomics.add(control, C_SLEEPERS, 1);
    let result: "ok" | "not-equal" | "timed-out" = "not-equal";
    try {
      const tail = Atomics.load(control, C_TAIL);
      if (tail === Atomics.load(control, C_HEAD) && !this.stopped()) {
        result = await waitAsync(control, C_TAIL, tail, ms);
      }
    } finally {
      Atomics.sub(control, C_SLEEPERS, 1);
    }
    // Awake: should another worker still sleep, the next task wakes it.
    if (result !== "not-equal") Atomics.store(control, C_WAKE, 0);
    return result;
  }
}
