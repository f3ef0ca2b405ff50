/**
 * The pool's side of the task ring: `SLOTS` slots in shared memory that the
 * pool publishes tasks into and the workers claim them from, and the byte
 * arena that holds the tasks' encoded arguments. The pool is the only writer:
 * it publishes at the tail, withdraws tasks no worker has claimed yet, and
 * reclaims slots and arena bytes once workers have consumed them. The worker
 * side (claiming) is `_task_ring_reader.ts`; both read `_ring_layout.ts`.
 *
 * @module
 */
import { notify } from "../_shm/futex.ts";
import {
  ARENA_BYTES,
  C_HEAD,
  C_SLEEPERS,
  C_TAIL,
  C_WAKE,
  CANCELLED,
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
  SLOT_INTS,
  SLOTS,
} from "./_protocol.ts";
import { slotBase } from "./_ring_layout.ts";

/** What the ring reads of a task to publish it. */
export interface RingTask {
  /** The task's id (never 0). */
  readonly id: number;
  /** The id of its function in the pool's registry. */
  readonly fnId: number;
  /** `F_*` flags: how its arguments travel. */
  readonly flags: number;
  /** The lone number argument, with `F_INT` or `F_NUMBER`. */
  readonly number: number;
  /** The sequence number of its slot once published, else -1. */
  seq: number;
}

/** The task ring and its arena, as the pool writes them. */
export class TaskRing {
  readonly #control: Int32Array;
  readonly #slots = new Int32Array(
    new SharedArrayBuffer(SLOTS * SLOT_INTS * 4),
  );
  readonly #slots64 = new Float64Array(this.#slots.buffer);
  readonly #arena = new Uint8Array(new SharedArrayBuffer(ARENA_BYTES));
  #tail = 0;
  #reclaimed = 0;
  #arenaHead = 0;
  #arenaTail = 0;

  /**
   * A ring over the pool's control block, whose `C_HEAD`, `C_TAIL`,
   * `C_SLEEPERS` and `C_WAKE` words it shares with the workers.
   */
  constructor(control: Int32Array) {
    this.#control = control;
  }

  /** The slots' memory, for a new worker. */
  get slots(): SharedArrayBuffer {
    return this.#slots.buffer as SharedArrayBuffer;
  }

  /** The arena's memory, for a new worker. */
  get arena(): SharedArrayBuffer {
    return this.#arena.buffer as SharedArrayBuffer;
  }

  /** Tasks published and not yet claimed (or dropped). */
  waiting(): number {
    return (this.#tail - Atomics.load(this.#control, C_HEAD)) | 0;
  }

  /**
   * Publishes a task with its encoded arguments (`length` bytes of `bytes`;
   * none with `F_OOB`, `F_NUMBER` or `F_INT`); `false` when the ring or the
   * arena has no room.
   */
  publish(task: RingTask, bytes: Uint8Array, length: number): boolean {
    const tail = this.#tail;
    if (((tail - this.#reclaimed) | 0) >= SLOTS) {
      this.reclaim();
      if (((tail - this.#reclaimed) | 0) >= SLOTS) return false;
    }
    let offset = this.#arenaHead;
    if ((task.flags & (F_OOB | F_NUMBER | F_INT)) !== 0) {
      length = 0;
    } else {
      offset = this.#alloc(length);
      if (offset < 0) {
        this.reclaim();
        offset = this.#alloc(length);
        if (offset < 0) return false;
      }
      this.#arena.set(
        length === bytes.length ? bytes : bytes.subarray(0, length),
        offset,
      );
      this.#arenaHead = offset + length;
    }
    const base = slotBase(tail);
    const slots = this.#slots;
    slots[base + S_ID] = task.id;
    slots[base + S_OFFSET] = offset;
    slots[base + S_LENGTH] = length;
    slots[base + S_FN] = task.fnId;
    slots[base + S_FLAGS] = task.flags;
    if ((task.flags & F_INT) !== 0) {
      slots[base + S_NUMBER] = task.number;
    } else if ((task.flags & F_NUMBER) !== 0) {
      this.#slots64[(base + S_NUMBER) >> 1] = task.number;
    }
    Atomics.store(slots, base + S_STATE, READY);
    task.seq = tail;
    this.#tail = (tail + 1) | 0;
    const control = this.#control;
    Atomics.store(control, C_TAIL, this.#tail);
    // One wake-up call per idle spell of the workers (see C_WAKE).
    if (
      Atomics.load(control, C_SLEEPERS) !== 0 &&
      Atomics.exchange(control, C_WAKE, 1) === 0
    ) {
      notify(control, C_TAIL);
    }
    return true;
  }

  #alloc(bytes: number): number {
    if (this.#reclaimed === this.#tail) {
      this.#arenaHead = this.#arenaTail = 0;
      return bytes <= ARENA_BYTES ? 0 : -1;
    }
    const head = this.#arenaHead;
    const tail = this.#arenaTail;
    if (head >= tail) {
      if (head + bytes <= ARENA_BYTES) return head;
      return bytes < tail ? 0 : -1;
    }
    return head + bytes < tail ? head : -1;
  }

  /** Frees the slots and arena bytes that workers have consumed. */
  reclaim(): void {
    const control = this.#control;
    const slots = this.#slots;
    // Drop withdrawn tasks at the head so that workers need not.
    for (;;) {
      const head = Atomics.load(control, C_HEAD);
      if (head === this.#tail) break;
      const base = slotBase(head);
      if (Atomics.load(slots, base + S_STATE) !== CANCELLED) break;
      if (
        Atomics.compareExchange(control, C_HEAD, head, (head + 1) | 0) === head
      ) {
        Atomics.store(slots, base + S_STATE, FREE);
      }
    }
    while (this.#reclaimed !== this.#tail) {
      const base = slotBase(this.#reclaimed);
      if (Atomics.load(slots, base + S_STATE) !== FREE) break;
      this.#reclaimed = (this.#reclaimed + 1) | 0;
    }
    this.#arenaTail = this.#reclaimed === this.#tail
      ? this.#arenaHead
      : slots[slotBase(this.#reclaimed) + S_OFFSET];
  }

  /** Whether a worker has claimed (or consumed) the published task. */
  claimed(task: RingTask): boolean {
    const base = slotBase(task.seq);
    if (this.#slots[base + S_ID] !== task.id) return true;
    const state = Atomics.load(this.#slots, base + S_STATE);
    return state >= CLAIMED_BASE || state === FREE;
  }

  /** Withdraws a published task no worker has claimed; `false` when one has. */
  withdraw(task: RingTask): boolean {
    const base = slotBase(task.seq);
    return this.#slots[base + S_ID] === task.id &&
      Atomics.compareExchange(this.#slots, base + S_STATE, READY, CANCELLED) ===
        READY;
  }

  /** Frees the slots that worker `index` claimed but did not consume (it ended). */
  releaseClaimedBy(index: number): void {
    for (
      let seq = this.#reclaimed;
      seq !== this.#tail;
      seq = (seq + 1) | 0
    ) {
      const base = slotBase(seq);
      if (Atomics.load(this.#slots, base + S_STATE) === CLAIMED_BASE + index) {
        Atomics.store(this.#slots, base + S_STATE, FREE);
      }
    }
  }
}
