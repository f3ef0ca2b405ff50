import assert from "node:assert/strict";
import { test } from "node:test";
import { Barrier, BrokenBarrierError, Thread } from "../mod.ts";
import { joinAll, sharedInts, until } from "./_sync.ts";

const N = 5;

/** Runs `f` in N - 1 threads and on the main thread, like CPython's run_threads. */
async function runParties<T>(
  target: (barrier: Barrier, ...rest: never[]) => T | Promise<T>,
  barrier: Barrier,
  ...rest: unknown[]
): Promise<T[]> {
  const run = target as (...args: unknown[]) => T | Promise<T>;
  const threads = Array.from(
    { length: N - 1 },
    () => new Thread<T>({ target: run, args: [barrier, ...rest] }).start(),
  );
  const mine = await run(barrier, ...rest);
  return [mine, ...(await joinAll(threads))];
}

test("Barrier rejects bad parties and options at once", () => {
  assert.throws(() => new Barrier(0), RangeError);
  assert.throws(() => new Barrier(-1), RangeError);
  assert.throws(() => new Barrier(1.5), RangeError);
  assert.throws(
    () => new Barrier("3" as unknown as number),
    /^TypeError: Cannot create barrier as 'parties' must be a positive integer: received "3" \(string\)$/,
  );
  assert.throws(
    () => new Barrier(2, { action: 5 as unknown as () => void }),
    TypeError,
  );
  assert.throws(() => new Barrier(2, { timeout: -1 }), RangeError);
  assert.throws(
    () => new Barrier(2, { args: {} as unknown[] }),
    /'args' must be an array/,
  );
  const barrier = new Barrier(2);
  assert.throws(() => barrier.waitSync({ timeout: -5 }), RangeError);
  assert.throws(() => barrier.wait({ timeout: NaN }), RangeError);
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

test("Barrier of one party passes at once, cycle after cycle", async () => {
  const cycles = sharedInts(1);
  const barrier = new Barrier(1, {
    action: (cycles: Int32Array) => Atomics.add(cycles, 0, 1),
    args: [cycles],
  });
  assert.equal(barrier.parties, 1);
  assert.equal(barrier.waitSync(), 0);
  assert.equal(barrier.waitSync(), 0);
  assert.equal(await barrier.wait(), 0);
  assert.equal(cycles[0], 3);
});

test("Barrier passes 5 parties in lockstep for 10 cycles, with unique indices", async () => {
  const barrier = new Barrier(N, { timeout: 30_000 });
  // [phase-0 arrivals, phase-1 arrivals, errors]
  const cells = sharedInts(3);
  const results = await runParties(
    async (barrier: Barrier, cells: Int32Array, passes: number) => {
      const indices: number[] = [];
      for (let i = 0; i < passes; i++) {
        Atomics.add(cells, 0, 1);
        if (Atomics.load(cells, 1) !== i * barrier.parties) {
          Atomics.add(cells, 2, 1);
        }
        indices.push(await barrier.wait());
        Atomics.add(cells, 1, 1);
        if (Atomics.load(cells, 0) !== (i + 1) * barrier.parties) {
          Atomics.add(cells, 2, 1);
        }
        indices.push(barrier.waitSync());
      }
      return indices;
    },
    barrier,
    cells,
    10,
  );
  assert.equal(cells[2], 0, "a party ran ahead of the others");
  for (let cycle = 0; cycle < 20; cycle++) {
    assert.deepEqual(
      results.map((indices) => indices[cycle]).sort(),
      [0, 1, 2, 3, 4],
    );
  }
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

test("Barrier's action runs once per cycle in the last party, before anyone leaves", async () => {
  const cells = sharedInts(2);
  const barrier = new Barrier(N, {
    action: (cells: Int32Array) => {
      Atomics.add(cells, 0, 1);
    },
    args: [cells],
  });
  const seen = await runParties(
    (barrier: Barrier, cells: Int32Array) => {
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        barrier.waitSync();
        counts.push(Atomics.load(cells, 0));
        barrier.waitSync();
      }
      return counts;
    },
    barrier,
    cells,
  );
  // Two waits per round: after round i's first wait, 2i + 1 actions ran.
  assert.deepEqual(seen, Array(N).fill([1, 3, 5]));
  assert.equal(cells[0], 6);
});

test("Barrier.abort() breaks it for every waiting party (CPython test_abort)", async () => {
  const barrier = new Barrier(N, { timeout: 30_000 });
  const outcomes = await runParties((barrier: Barrier) => {
    try {
      const i = barrier.waitSync();
      if (i === Math.floor(barrier.parties / 2)) {
        barrier.abort();
        return "aborted";
      }
      barrier.waitSync();
      return "passed";
    } catch (error) {
      return (error as Error).name;
    }
  }, barrier);
  assert.deepEqual(
    outcomes.sort(),
    [
      "BrokenBarrierError",
      "BrokenBarrierError",
      "BrokenBarrierError",
      "BrokenBarrierError",
      "aborted",
    ],
  );
  assert.equal(barrier.broken, true);
  assert.throws(() => barrier.waitSync(), BrokenBarrierError);
  await assert.rejects(barrier.wait(), BrokenBarrierError);
});

test("Barrier.reset() frees the waiting parties, which can pass it again (CPython test_reset)", async () => {
  const barrier = new Barrier(N, { timeout: 30_000 });
  const outcomes = await runParties(async (barrier: Barrier) => {
    let outcome = "";
    const i = barrier.waitSync();
    if (i === Math.floor(barrier.parties / 2)) {
      while (barrier.nWaiting < barrier.parties - 1) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      barrier.reset();
      outcome = "reset";
    } else {
      try {
        await barrier.wait();
        outcome = "passed";
      } catch (error) {
        outcome = (error as Error).name;
      }
    }
    barrier.waitSync();
    return outcome + " then passed";
  }, barrier);
  assert.deepEqual(outcomes.sort(), [
    ...Array(N - 1).fill("BrokenBarrierError then passed"),
    "reset then passed",
  ]);
  assert.equal(barrier.broken, false);
});

test("Barrier can be reset after it broke (CPython test_abort_and_reset)", async () => {
  const barrier = new Barrier(N, { timeout: 30_000 });
  const barrier2 = new Barrier(N, { timeout: 30_000 });
  const outcomes = await runParties(
    (barrier: Barrier, barrier2: Barrier) => {
      let outcome: string;
      try {
        const i = barrier.waitSync();
        if (i === Math.floor(barrier.parties / 2)) throw new RangeError("late");
        barrier.waitSync();
        outcome = "passed";
      } catch (error) {
        if (error instanceof RangeError) {
          barrier.abort();
          outcome = "aborted";
        } else outcome = (error as Error).name;
      }
      // Everybody has left before the reset, and nobody enters before it ends.
      if (barrier2.waitSync() === Math.floor(barrier.parties / 2)) {
        barrier.reset();
      }
      barrier2.waitSync();
      barrier.waitSync();
      return outcome;
    },
    barrier,
    barrier2,
  );
  assert.deepEqual(outcomes.sort(), [
    ...Array(N - 1).fill("BrokenBarrierError"),
    "aborted",
  ]);
});

test("Barrier wait that times out breaks it for every party", async () => {
  const barrier = new Barrier(3, { timeout: 30_000 });
  const waiter = new Thread({
    target: (barrier: Barrier) => {
      try {
        barrier.waitSync();
        return "passed";
      } catch (error) {
        return (error as Error).name;
      }
    },
    args: [barrier],
  }).start();
  await until(() => barrier.nWaiting === 1, "the thread waits");
  await assert.rejects(barrier.wait({ timeout: 20 }), BrokenBarrierError);
  assert.equal(await waiter.join(), "BrokenBarrierError");
  assert.equal(barrier.broken, true);
  assert.throws(() => barrier.waitSync(), BrokenBarrierError);
  barrier.reset();
  assert.equal(barrier.broken, false);
});

test("Barrier's default timeout applies to waits without one", async () => {
  const barrier = new Barrier(2, { timeout: 20 });
  const start = performance.now();
  const outcome = await new Thread({
    target: (barrier: Barrier) => {
      try {
        barrier.waitSync();
        return "passed";
      } catch (error) {
        return (error as Error).name;
      }
    },
    args: [barrier],
  }).start().join();
  assert.equal(outcome, "BrokenBarrierError");
  assert.ok(performance.now() - start >= 19);
  assert.throws(() => barrier.waitSync({ timeout: 0 }), BrokenBarrierError);
});

test("Barrier wait aborted by its signal breaks it and rejects with the reason", async () => {
  const barrier = new Barrier(3);
  const waiter = new Thread({
    target: async (barrier: Barrier) => {
      try {
        await barrier.wait();
        return "passed";
      } catch (error) {
        return (error as Error).name;
      }
    },
    args: [barrier],
  }).start();
  await until(() => barrier.nWaiting === 1, "the thread waits");
  const controller = new AbortController();
  const mine = barrier.wait({ signal: controller.signal });
  await until(() => barrier.nWaiting === 2, "the main thread waits");
  controller.abort(new Error("leaving"));
  await assert.rejects(mine, /leaving/);
  assert.equal(await waiter.join(), "BrokenBarrierError");
  assert.equal(barrier.broken, true);
});

test("Barrier's action error reaches its party; the others get BrokenBarrierError", async () => {
  const barrier = new Barrier(3, {
    action: () => {
      throw new RangeError("action failed");
    },
  });
  const outcomes = await joinAll([0, 1, 2].map((i) =>
    new Thread({
      target: async (barrier: Barrier, useAsync: boolean) => {
        try {
          if (useAsync) await barrier.wait();
          else barrier.waitSync();
          return "passed";
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      },
      args: [barrier, i === 0],
    }).start()
  ));
  assert.deepEqual(outcomes.sort(), [
    "BrokenBarrierError: The barrier is broken",
    "BrokenBarrierError: The barrier is broken",
    "RangeError: action failed",
  ]);
  assert.equal(barrier.broken, true);
});

test("Barrier's action is sent as source text: a captured variable is explained", () => {
  const outside = { answer: Math.max(41, 42) };
  const barrier = new Barrier(1, { action: () => outside });
  assert.throws(
    () => barrier.waitSync(),
    /The barrier's action read the variable 'outside', which is not defined in the thread/,
  );
  assert.equal(barrier.broken, true);
  const promised = new Barrier(1, { action: async () => {} });
  assert.throws(() => promised.waitSync(), /returned a promise/);
});

test("Barrier keeps 4 threads and the main thread in step over 300 cycles", async () => {
  const parties = 5;
  const cycles = 300;
  // [actions, errors, ...counts per cycle and index]
  const cells = sharedInts(2 + cycles * parties);
  const barrier = new Barrier(parties, {
    action: (cells: Int32Array) => Atomics.add(cells, 0, 1),
    args: [cells],
    timeout: 60_000,
  });
  const party = async (
    barrier: Barrier,
    cells: Int32Array,
    cycles: number,
    useAsync: boolean,
  ) => {
    for (let cycle = 0; cycle < cycles; cycle++) {
      const index = useAsync ? await barrier.wait() : barrier.waitSync();
      Atomics.add(cells, 2 + cycle * barrier.parties + index, 1);
      if (Atomics.load(cells, 0) < cycle + 1) Atomics.add(cells, 1, 1);
    }
  };
  const threads = [0, 1, 2, 3].map((i) =>
    new Thread({ target: party, args: [barrier, cells, cycles, i === 0] })
      .start()
  );
  await party(barrier, cells, cycles, true);
  await joinAll(threads);
  assert.equal(cells[0], cycles);
  assert.equal(cells[1], 0, "a party left before the cycle's action ran");
  assert.deepEqual([...cells.subarray(2)], Array(cycles * parties).fill(1));
  assert.equal(barrier.nWaiting, 0);
});

test("Barrier.toString() reads like Python's repr; Barrier travels as a subclass field", async () => {
  const barrier = new Barrier(3);
  assert.match(
    String(barrier),
    /^<threading\.Barrier at 0x[0-9a-f]+: waiters=0\/3>$/,
  );
  class Party extends Thread<number> {
    barrier = barrier;
    override run(): number {
      return this.barrier.waitSync({ timeout: 30_000 });
    }
  }
  const parties = [new Party().start(), new Party().start()];
  await until(() => barrier.nWaiting === 2, "two parties wait");
  assert.match(String(barrier), /: waiters=2\/3>$/);
  await barrier.wait();
  assert.deepEqual((await joinAll(parties)).sort(), [0, 1]);
  assert.match(String(barrier), /: waiters=0\/3>$/);
  barrier.abort();
  assert.match(
    String(barrier),
    /^<threading\.Barrier at 0x[0-9a-f]+: broken>$/,
  );
});
