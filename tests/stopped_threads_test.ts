/**
 * Threads stopped from outside or by themselves in the middle of their work:
 * a pool worker terminated on abort, a daemon thread whose parent ended, a
 * thread that calls `close()`. Nothing they leave behind may hang another
 * thread: every check runs in a daemon thread joined with a timeout, so a
 * hang fails the test instead of blocking it. Kill points come from a seeded
 * generator (`FAULT_SEED` replays a run).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Event,
  LifoQueue,
  Lock,
  OwnerDiedError,
  PriorityQueue,
  Queue,
  RLock,
  SharedMap,
  SimpleQueue,
  Thread,
  ThreadExitError,
  ThreadPoolExecutor,
} from "../mod.ts";
import { inThread, libraryUrl, runtimeName } from "./_helpers.ts";
import { sharedInts, until } from "./_sync.ts";
import { randomFrom, seedFromEnv } from "./_faults.ts";

const seed = seedFromEnv();
const CHECK_TIMEOUT = 20_000;
/**
 * Rounds of the kill loops. The hangs they catch were Node's and Bun's; on
 * Deno, where a round costs several times more, a few rounds suffice.
 */
const ROUNDS = runtimeName === "deno" ? 5 : 20;

/**
 * Resolves once `counter[0]` stops moving: the thread that bumps it between
 * short waits has ended. Fails when it still moves after `timeout` ms.
 */
async function stopsCounting(
  counter: Int32Array,
  what: string,
  timeout = 15_000,
) {
  const deadline = performance.now() + timeout;
  let last = Atomics.load(counter, 0);
  let still = 0;
  while (still < 3) {
    if (performance.now() > deadline) {
      throw new Error(`${what}: still running after ${timeout} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = Atomics.load(counter, 0);
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

/**
 * Waits until the task made `at` steps (`false`), or until it failed with
 * `OwnerDiedError` first (`true`): on Deno, where `terminate()` does not stop
 * a busy worker, the task of an earlier round may still run (until its next
 * wait) and be taken for dead in the middle of an operation.
 */
async function brokeFirst(
  future: PromiseLike<unknown>,
  progress: Int32Array,
  at: number,
): Promise<boolean> {
  let failure: unknown;
  const failed = Promise.resolve(future).then(
    () => true,
    (error) => {
      failure = error;
      return true;
    },
  );
  await Promise.race([
    until(() => Atomics.load(progress, 0) >= at, "the task ran"),
    failed,
  ]);
  if (failure === undefined) return false;
  if (runtimeName === "deno" && failure instanceof OwnerDiedError) return true;
  throw failure;
}

type AnyQueue = Queue<number> | LifoQueue<number> | SimpleQueue<number>;

const queueKinds: [string, () => AnyQueue | PriorityQueue<number>][] = [
  ["Queue", () => new Queue<number>()],
  ["LifoQueue", () => new LifoQueue<number>()],
  ["PriorityQueue", () => new PriorityQueue<number>()],
  ["SimpleQueue", () => new SimpleQueue<number>()],
];

for (const [name, make] of queueKinds) {
  test(`${name}: a pool worker terminated inside putSync/getSync hangs no other thread`, async () => {
    const random = randomFrom(seed ^ name.length);
    await using pool = new ThreadPoolExecutor({
      maxWorkers: 1,
      abortRunning: "terminate",
    });
    const pause = new Event();
    let queue = make();
    for (let round = 0; round < ROUNDS; round++) {
      const progress = sharedInts(1);
      const controller = new AbortController();
      const future = pool.submitWith(
        (
          q: Queue<unknown>,
          progress: Int32Array,
          pause: Event,
          priority: boolean,
        ) => {
          const item = priority ? [1, 1] : 1;
          for (let n = 1;; n++) {
            q.putSync(item);
            q.getSync();
            Atomics.store(progress, 0, n);
            if (n % 64 === 0 && "Deno" in globalThis) {
              pause.waitSync({ timeout: 1 });
            }
          }
        },
        [queue as Queue<unknown>, progress, pause, name === "PriorityQueue"],
        { signal: controller.signal },
      );
      const at = 1 + Math.floor(random() * 2000);
      if (await brokeFirst(future, progress, at)) {
        queue = make();
        continue;
      }
      controller.abort(new Error("stop"));
      await assert.rejects(future.result(), /stop/);
      const outcome = await inThread(
        (q: Queue<unknown>, priority: boolean) => {
          const item = priority ? [2, 2] : 2;
          try {
            for (let i = 0; i < 3; i++) {
              q.putSync(item, { timeout: 1000 });
              q.getSync({ timeout: 1000 });
            }
            return "ok";
          } catch (error) {
            if ((error as Error).name === "OwnerDiedError") return "broken";
            throw error;
          }
        },
        [queue as Queue<unknown>, name === "PriorityQueue"],
        `${name} after round ${round}`,
      );
      if (outcome === "broken") queue = make();
    }
  });
}

test("SharedMap: a pool worker terminated inside set/delete hangs no other thread", async () => {
  const random = randomFrom(seed ^ 77);
  await using pool = new ThreadPoolExecutor({
    maxWorkers: 1,
    abortRunning: "terminate",
  });
  const pause = new Event();
  let map = new SharedMap<number, number>();
  for (let round = 0; round < ROUNDS; round++) {
    const progress = sharedInts(1);
    const controller = new AbortController();
    const future = pool.submitWith(
      (m: SharedMap<number, number>, progress: Int32Array, pause: Event) => {
        for (let n = 1;; n++) {
          m.set(n & 15, n);
          m.delete((n + 8) & 15);
          Atomics.store(progress, 0, n);
          if (n % 64 === 0 && "Deno" in globalThis) {
            pause.waitSync({ timeout: 1 });
          }
        }
      },
      [map, progress, pause],
      { signal: controller.signal },
    );
    const at = 1 + Math.floor(random() * 2000);
    if (await brokeFirst(future, progress, at)) {
      map = new SharedMap<number, number>();
      continue;
    }
    controller.abort(new Error("stop"));
    await assert.rejects(future.result(), /stop/);
    const outcome = await inThread(
      (m: SharedMap<number, number>) => {
        try {
          for (let i = 0; i < 3; i++) {
            m.set(100, i);
            if (m.get(100) !== i) return "wrong value";
            m.delete(100);
            if (m.size !== [...m.keys()].length) return "size disagrees";
          }
          return "ok";
        } catch (error) {
          if ((error as Error).name === "OwnerDiedError") return "broken";
          throw error;
        }
      },
      [map],
      `SharedMap after round ${round}`,
    );
    assert.notEqual(outcome, "wrong value");
    assert.notEqual(outcome, "size disagrees");
    if (outcome === "broken") map = new SharedMap<number, number>();
  }
});

test("Queue: a daemon thread stopped because its parent ended hangs no other thread", async () => {
  let queue = new Queue<number>();
  const pause = new Event();
  for (let round = 0; round < 10; round++) {
    const progress = sharedInts(1);
    const parent = new Thread({
      target: async (
        q: Queue<number>,
        progress: Int32Array,
        pause: Event,
        library: string,
      ) => {
        const { Thread } = await import(library);
        new Thread({
          target: (q: Queue<number>, progress: Int32Array, pause: Event) => {
            for (let n = 1;; n++) {
              q.putSync(1);
              q.getSync();
              Atomics.store(progress, 0, n);
              if (n % 64 === 0 && "Deno" in globalThis) {
                pause.waitSync({ timeout: 1 });
              }
            }
          },
          args: [q, progress, pause],
          daemon: true,
        }).start();
        while (Atomics.load(progress, 0) < 100) Atomics.wait(progress, 0, 0, 1);
      },
      args: [queue, progress, pause, libraryUrl],
    }).start();
    await parent.join({ timeout: CHECK_TIMEOUT });
    const outcome = await inThread(
      (q: Queue<number>) => {
        try {
          for (let i = 0; i < 3; i++) {
            q.putSync(2, { timeout: 1000 });
            q.getSync({ timeout: 1000 });
          }
          return "ok";
        } catch (error) {
          if ((error as Error).name === "OwnerDiedError") return "broken";
          throw error;
        }
      },
      [queue],
      `Queue after round ${round}`,
    );
    if (outcome === "broken") queue = new Queue<number>();
    await stopsCounting(progress, `the daemon thread of round ${round}`);
  }
});

for (const kind of ["Lock", "RLock"] as const) {
  test(`${kind}: a holder terminated at any instruction leaves waiters the lock or OwnerDiedError`, async () => {
    const random = randomFrom(seed ^ kind.length);
    await using pool = new ThreadPoolExecutor({
      maxWorkers: 1,
      abortRunning: "terminate",
    });
    const pause = new Event();
    const make = () => kind === "Lock" ? new Lock() : new RLock();
    let lock = make();
    for (let round = 0; round < ROUNDS * 1.5; round++) {
      const progress = sharedInts(1);
      const controller = new AbortController();
      const future = pool.submitWith(
        (lock: Lock, progress: Int32Array, pause: Event) => {
          for (let n = 1;; n++) {
            lock.acquireSync();
            lock.release();
            Atomics.store(progress, 0, n);
            if (n % 64 === 0 && "Deno" in globalThis) {
              pause.waitSync({ timeout: 1 });
            }
          }
        },
        [lock as Lock, progress, pause],
        { signal: controller.signal },
      );
      const at = 1 + Math.floor(random() * 2000);
      if (await brokeFirst(future, progress, at)) {
        lock = make();
        continue;
      }
      controller.abort(new Error("stop"));
      await assert.rejects(future.result(), /stop/);
      const outcome = await inThread(
        (lock: Lock) => {
          try {
            lock.acquireSync(); // untimed: it must end one way or the other
            lock.release();
            return "acquired";
          } catch (error) {
            if ((error as Error).name === "OwnerDiedError") {
              return (error as OwnerDiedError).ownerIdent > 0
                ? "died"
                : "died without ident";
            }
            throw error;
          }
        },
        [lock as Lock],
        `${kind} after round ${round}`,
      );
      assert.ok(outcome === "acquired" || outcome === "died", outcome);
      if (outcome === "died") lock = make();
    }
  });
}

test("ThreadPoolExecutor abortRunning 'terminate': the stopped worker runs no more", async () => {
  const counter = sharedInts(1);
  const pause = new Event();
  const pool = new ThreadPoolExecutor({
    maxWorkers: 1,
    abortRunning: "terminate",
  });
  const controller = new AbortController();
  const future = pool.submitWith(
    (counter: Int32Array, pause: Event) => {
      for (;;) {
        Atomics.add(counter, 0, 1);
        pause.waitSync({ timeout: 1 });
      }
    },
    [counter, pause],
    { signal: controller.signal },
  );
  await until(() => Atomics.load(counter, 0) > 0, "the task ran");
  controller.abort(new Error("stop"));
  await assert.rejects(future.result(), /stop/);
  assert.equal(await pool.submit((x: number) => x + 1, 1), 2);
  await pool.shutdown();
  await stopsCounting(counter, "the terminated task");
});

test("a daemon thread ends when the thread that started it ends", async () => {
  const counter = sharedInts(1);
  const pause = new Event();
  const parent = new Thread({
    target: async (counter: Int32Array, pause: Event, library: string) => {
      const { Thread } = await import(library);
      new Thread({
        target: (counter: Int32Array, pause: Event) => {
          for (;;) {
            Atomics.add(counter, 0, 1);
            pause.waitSync({ timeout: 1 });
          }
        },
        args: [counter, pause],
        daemon: true,
      }).start();
      while (Atomics.load(counter, 0) === 0) Atomics.wait(counter, 0, 0, 1);
    },
    args: [counter, pause, libraryUrl],
  }).start();
  await parent.join({ timeout: CHECK_TIMEOUT });
  await stopsCounting(counter, "the daemon thread");
});

test(`a thread that calls ${runtimeName === "node" ? "process.exit()" : "close()"} holding a Lock: join() rejects with ThreadExitError, waiters get OwnerDiedError`, async () => {
  const lock = new Lock();
  const flags = sharedInts(1);
  const thread = new Thread({
    target: (lock: Lock, flags: Int32Array) => {
      lock.acquireSync();
      Atomics.store(flags, 0, 1);
      const scope = globalThis as unknown as {
        close?: () => void;
        process: { exit(code: number): never };
      };
      if (typeof scope.close === "function") scope.close();
      else scope.process.exit(0);
      return "returned after close()";
    },
    args: [lock, flags],
  }).start();
  await until(() => Atomics.load(flags, 0) === 1, "the thread took the lock");
  await assert.rejects(
    thread.join({ timeout: CHECK_TIMEOUT }),
    ThreadExitError,
  );
  assert.equal(thread.isAlive(), false);
  const outcome = await inThread(
    (lock: Lock) => {
      try {
        lock.acquireSync();
        return "acquired";
      } catch (error) {
        return (error as Error).name;
      }
    },
    [lock],
    "a waiter of the closed thread's lock",
  );
  assert.equal(outcome, "OwnerDiedError");
});
