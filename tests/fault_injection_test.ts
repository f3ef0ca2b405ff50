/**
 * Fault injection: threads killed at random points inside queue, map, lock,
 * semaphore and condition operations and executor tasks. After every death a
 * checker thread (a daemon, joined with a timeout, so that a hang fails the
 * test) checks that nothing waits for ever, and that the structure is either
 * consistent — no committed item lost or duplicated — or reports itself
 * broken with `OwnerDiedError`.
 *
 * How a victim dies, by runtime:
 * - `terminate`: its pool worker is terminated on abort, at any instruction
 *   (Node, Bun; Deno's `terminate()` does not stop a busy worker at once);
 * - `parent`: it is a daemon thread whose parent ends, stopping it at any
 *   instruction (Node, Bun);
 * - `exit`: it calls `process.exit()` / `Deno.exit()` after a random number
 *   of operations, possibly holding a lock;
 * - `close`: it calls the worker scope's `close()` (Deno, Bun).
 *
 * Seeded and reproducible: `FAULT_SEED=n` replays a run (each failure names
 * its seed, scenario, round and mode). `FAULT_SECONDS=s` turns it into a
 * soak: each scenario runs rounds for `s` seconds instead of
 * {@linkcode ROUNDS}.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import {
  Condition,
  Event,
  LifoQueue,
  Lock,
  type OwnerDiedError,
  PriorityQueue,
  Queue,
  RLock,
  Semaphore,
  SharedMap,
  SimpleQueue,
  Thread,
  ThreadPoolExecutor,
} from "../mod.ts";
import { inThread, libraryUrl, runtimeName } from "./_helpers.ts";
import { sharedInts, until } from "./_sync.ts";
import { randomFrom, seedFromEnv, soakSeconds } from "./_faults.ts";

const SEED = seedFromEnv();
const SOAK = soakSeconds();
/**
 * Rounds per scenario in a normal run (`FAULT_ROUNDS`): 4 keeps the suite near
 * 30 s a runtime here (6 took Deno ~41 s and Node ~50 s).
 */
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 4);
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1)) {
  throw new TypeError(
    `FAULT_ROUNDS must be a positive integer: received ${process.env.FAULT_ROUNDS}`,
  );
}
const CHECK_TIMEOUT = 20_000;

type Mode = "terminate" | "parent" | "exit" | "close";
/** Modes that can stop a victim in the middle of an operation. */
const ANY_INSTRUCTION: readonly Mode[] = runtimeName === "deno"
  ? []
  : ["terminate", "parent"];
const MODES: readonly Mode[] = [
  ...ANY_INSTRUCTION,
  "exit",
  ...(runtimeName === "node" ? [] : ["close" as const]),
];

// Shared log cells a victim writes after each step.
const PROGRESS = 0;
/** The id being put (or set). */
const ATTEMPT = 1;
/** The last id whose put (or set) returned. */
const COMMITTED = 2;
/** Map: the key being deleted. */
const DELETING = 3;
/** Map: the last key whose delete returned. */
const DELETED = 4;
/** Locks: 1 while the victim holds the lock. */
const HOLDING = 5;
const LOG_CELLS = 6;
/** Ids a queue victim may use; `taken[id]` is 1 once the victim got it. */
const MAX_ID = 1 << 20;

/** What a victim receives: the structure, its log, and how to die. */
type VictimArgs = [
  obj: unknown,
  log: Int32Array,
  taken: Uint8Array,
  pause: Event,
  mode: Mode,
  dieAt: number,
  flag: boolean,
  dieCode: string,
];
type Victim = (...args: VictimArgs) => unknown;

interface Round {
  name: string;
  round: number;
  mode: Mode;
  log: Int32Array;
  taken: Uint8Array;
}

interface Scenario {
  name: string;
  make(): unknown;
  victim: Victim;
  /** Checks the structure after the victim died; returns whether it is broken. */
  check(obj: unknown, round: Round, flag: boolean): Promise<boolean>;
  flag?: boolean;
}

/** Resolves once `log[PROGRESS]` stops moving (the victim was stopped at any instruction). */
async function stopsCounting(log: Int32Array, what: string): Promise<void> {
  const deadline = performance.now() + 15_000;
  let last = Atomics.load(log, PROGRESS);
  let still = 0;
  while (still < 3) {
    if (performance.now() > deadline) {
      throw new Error(`${what}: the victim still runs after 15 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    const now = Atomics.load(log, PROGRESS);
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

/** Runs the victim until it dies in `mode`; resolves once it can do nothing more. */
async function killVictim(
  pool: ThreadPoolExecutor,
  victim: Victim,
  args: VictimArgs,
  at: number,
  what: string,
): Promise<void> {
  const [, log, , , mode] = args;
  if (mode === "terminate") {
    const controller = new AbortController();
    const future = pool.submitWith(victim, args, {
      signal: controller.signal,
    });
    await Promise.race([
      until(() => Atomics.load(log, PROGRESS) >= at, `${what}: progress`),
      future.result().then(
        (value) => assert.fail(`${what}: the victim returned ${value}`),
        (error) => assert.fail(`${what}: the victim failed: ${error}`),
      ),
    ]);
    controller.abort(new Error("killed"));
    await assert.rejects(future.result(), /killed/);
    await stopsCounting(log, what);
    return;
  }
  if (mode === "parent") {
    const parent = new Thread({
      target: async (
        victim: string,
        args: VictimArgs,
        at: number,
        library: string,
      ) => {
        const { Thread } = await import(library);
        new Thread({
          target: new Function(`return (${victim})`)(),
          args,
          daemon: true,
        }).start();
        const log = args[1];
        while (Atomics.load(log, 0) < at) Atomics.wait(log, 0, 0, 1);
      },
      args: [victim.toString(), args, at, libraryUrl],
    }).start();
    await parent.join({ timeout: CHECK_TIMEOUT });
    await stopsCounting(log, what);
    return;
  }
  const thread = new Thread({ target: victim, args }).start();
  await assert.rejects(
    thread.join({ timeout: CHECK_TIMEOUT }),
    (error: Error) => {
      assert.equal(error.name, "ThreadExitError", `${what}: ${error}`);
      return true;
    },
  );
  assert.equal(thread.isAlive(), false);
}

/** Ends the calling thread as `mode` says; `true` when the caller must return at once. */
const dieSource = `(mode) => {
  const scope = globalThis;
  if (mode === "close" && typeof scope.close === "function") {
    scope.close();
    return true;
  }
  if (scope.Deno !== undefined) scope.Deno.exit(3);
  scope.process.exit(3);
}`;

// ---- queues ----

const queueVictim: Victim = (
  obj,
  log,
  taken,
  pause,
  mode,
  dieAt,
  priority,
  dieCode,
) => {
  const q = obj as Queue<unknown>;
  const die = new Function(`return (${dieCode})`)() as (m: string) => boolean;
  const take = () => {
    const got = q.getSync({ timeout: 10_000 });
    taken[priority ? (got as number[])[1] : got as number] = 1;
  };
  for (let n = 1; n < 1_000_000; n++) {
    // The bounded queue: room for the put, as nobody else gets.
    while ((q as { full?: () => boolean }).full?.()) take();
    Atomics.store(log, 1, n);
    q.putSync(priority ? [n % 3, n] : n);
    Atomics.store(log, 2, n);
    if (n % 2 === 0) take();
    Atomics.store(log, 0, n);
    if (n % 16 === 0) pause.waitSync({ timeout: 1 });
    if (n === dieAt && die(mode)) return;
  }
};

async function checkQueue(
  obj: unknown,
  { name, round, mode, log, taken }: Round,
  priority: boolean,
): Promise<boolean> {
  const what = `${name} round ${round} (${mode}, seed ${SEED})`;
  const { drained, broken } = await inThread(
    (q: Queue<unknown>, priority: boolean) => {
      const drained: number[] = [];
      try {
        for (;;) {
          let item: unknown;
          try {
            item = q.getNowait();
          } catch (error) {
            if ((error as Error).name === "QueueEmpty") break;
            throw error;
          }
          drained.push(priority ? (item as number[])[1] : item as number);
        }
        q.putNowait(priority ? [0, -1] : -1);
        const back = q.getNowait();
        if ((priority ? (back as number[])[1] : back) !== -1) {
          throw new Error(`got ${back} back instead of -1`);
        }
        return { drained, broken: false };
      } catch (error) {
        if ((error as Error).name === "OwnerDiedError") {
          return { drained, broken: true };
        }
        throw error;
      }
    },
    [obj as Queue<unknown>, priority],
    what,
  );
  const attempt = Atomics.load(log, ATTEMPT);
  const committed = Atomics.load(log, COMMITTED);
  const seen = new Set<number>();
  for (const id of drained) {
    assert.ok(!seen.has(id), `${what}: ${id} came out twice`);
    assert.ok(taken[id] === 0, `${what}: ${id} came out after it was taken`);
    assert.ok(id >= 1 && id <= attempt, `${what}: ${id} was never put`);
    seen.add(id);
  }
  if (!broken) {
    let missing = 0;
    for (let id = 1; id <= committed; id++) {
      if (taken[id] === 0 && !seen.has(id)) missing++;
    }
    // A victim stopped at any instruction may die between getting an item
    // and logging it; one that ends itself dies between operations.
    const allowed = ANY_INSTRUCTION.includes(mode) ? 1 : 0;
    assert.ok(
      missing <= allowed,
      `${what}: ${missing} committed items lost (${committed} committed)`,
    );
  }
  return broken;
}

// ---- the map ----

const mapVictim: Victim = (
  obj,
  log,
  _taken,
  pause,
  mode,
  dieAt,
  _flag,
  dieCode,
) => {
  const m = obj as SharedMap<number, number>;
  const die = new Function(`return (${dieCode})`)() as (m: string) => boolean;
  for (let n = 1; n < 1_000_000; n++) {
    Atomics.store(log, 1, n);
    m.set(n, n * 2);
    Atomics.store(log, 2, n);
    if (n % 2 === 0) {
      Atomics.store(log, 3, n - 1);
      m.delete(n - 1);
      Atomics.store(log, 4, n - 1);
    }
    Atomics.store(log, 0, n);
    if (n % 16 === 0) pause.waitSync({ timeout: 1 });
    if (n === dieAt && die(mode)) return;
  }
};

async function checkMap(obj: unknown, round: Round): Promise<boolean> {
  const { name, mode, log } = round;
  const what = `${name} round ${round.round} (${mode}, seed ${SEED})`;
  const { entries, size, broken } = await inThread(
    (m: SharedMap<number, number>) => {
      try {
        const entries = [...m.entries()];
        m.set(-1, -2);
        if (m.get(-1) !== -2) throw new Error("lost a fresh set");
        m.delete(-1);
        const size = m.size;
        m.clear(); // for the next round
        return { entries, size, broken: false };
      } catch (error) {
        if ((error as Error).name === "OwnerDiedError") {
          return { entries: [], size: 0, broken: true };
        }
        throw error;
      }
    },
    [obj as SharedMap<number, number>],
    what,
  );
  if (broken) return true;
  const attempt = Atomics.load(log, ATTEMPT);
  const committed = Atomics.load(log, COMMITTED);
  const deleting = Atomics.load(log, DELETING);
  const deleted = Atomics.load(log, DELETED);
  assert.equal(size, entries.length, `${what}: size disagrees with entries`);
  const keys = new Map(entries);
  for (const [key, value] of entries) {
    assert.equal(value, key * 2, `${what}: key ${key} has value ${value}`);
    assert.ok(key >= 1 && key <= attempt, `${what}: key ${key} never set`);
  }
  for (let key = 1; key <= committed; key++) {
    const gone = key % 2 === 1 && key <= deleted;
    if (key === deleting && !gone) continue; // deleted or not: both are fine
    assert.equal(
      keys.has(key),
      !gone,
      `${what}: key ${key} ${gone ? "came back" : "was lost"}`,
    );
  }
  return false;
}

// ---- locks, semaphores, conditions ----

const lockVictim: Victim = (
  obj,
  log,
  _taken,
  pause,
  mode,
  dieAt,
  _flag,
  dieCode,
) => {
  const lock = obj as Lock;
  const die = new Function(`return (${dieCode})`)() as (m: string) => boolean;
  for (let n = 1; n < 100_000_000; n++) {
    lock.acquireSync();
    Atomics.store(log, 5, 1);
    // Ends itself holding the lock every other time.
    if (n === dieAt && n % 2 === 0 && die(mode)) return;
    Atomics.store(log, 5, 0);
    lock.release();
    Atomics.store(log, 0, n);
    if (n % 16 === 0) pause.waitSync({ timeout: 1 });
    if (n === dieAt && die(mode)) return;
  }
};

async function checkLock(obj: unknown, round: Round): Promise<boolean> {
  const what =
    `${round.name} round ${round.round} (${round.mode}, seed ${SEED})`;
  const outcome = await inThread(
    (lock: Lock) => {
      try {
        lock.acquireSync(); // untimed: it must end one way or the other
        lock.release();
        return "acquired";
      } catch (error) {
        const { name, ownerIdent } = error as OwnerDiedError;
        return name === "OwnerDiedError" && ownerIdent > 0 ? "died" : name;
      }
    },
    [obj as Lock],
    what,
  );
  assert.ok(
    outcome === "acquired" || outcome === "died",
    `${what}: ${outcome}`,
  );
  // HOLDING is 1 from just after the acquire to just before the release.
  if (Atomics.load(round.log, HOLDING) === 1) {
    assert.equal(outcome, "died", `${what}: the victim died holding it`);
  }
  return outcome === "died";
}

const semaphoreVictim: Victim = (
  obj,
  log,
  _taken,
  pause,
  mode,
  dieAt,
  _flag,
  dieCode,
) => {
  const sem = obj as Semaphore;
  const die = new Function(`return (${dieCode})`)() as (m: string) => boolean;
  for (let n = 1; n < 100_000_000; n++) {
    sem.acquireSync();
    if (n === dieAt && n % 2 === 0 && die(mode)) return;
    sem.release();
    Atomics.store(log, 0, n);
    if (n % 16 === 0) pause.waitSync({ timeout: 1 });
    if (n === dieAt && die(mode)) return;
  }
};

async function checkSemaphore(obj: unknown, round: Round): Promise<boolean> {
  const what =
    `${round.name} round ${round.round} (${round.mode}, seed ${SEED})`;
  // A semaphore has no owner: a permit held by a thread that died is gone
  // (as in Python). The checker must still never wait past its timeout.
  const outcome = await inThread(
    (sem: Semaphore) => {
      const before = sem.value;
      const acquired = sem.acquireSync({ timeout: 200 });
      if (acquired) sem.release();
      return { before, acquired, after: sem.value };
    },
    [obj as Semaphore],
    what,
  );
  assert.ok(outcome.before === 0 || outcome.before === 1, `${what}: value`);
  assert.equal(outcome.acquired, outcome.before === 1, what);
  assert.equal(outcome.after, outcome.before, what);
  return outcome.before === 0; // the permit died with the victim
}

const conditionVictim: Victim = (
  obj,
  log,
  _taken,
  pause,
  mode,
  dieAt,
  _flag,
  dieCode,
) => {
  const c = obj as Condition;
  const die = new Function(`return (${dieCode})`)() as (m: string) => boolean;
  for (let n = 1; n < 100_000_000; n++) {
    c.acquireSync();
    Atomics.store(log, 5, 1);
    c.notifyAll();
    c.waitSync({ timeout: 0.5 });
    if (n === dieAt && n % 2 === 0 && die(mode)) return;
    Atomics.store(log, 5, 0);
    c.release();
    Atomics.store(log, 0, n);
    if (n % 16 === 0) pause.waitSync({ timeout: 1 });
    if (n === dieAt && die(mode)) return;
  }
};

async function checkCondition(obj: unknown, round: Round): Promise<boolean> {
  const what =
    `${round.name} round ${round.round} (${round.mode}, seed ${SEED})`;
  const outcome = await inThread(
    (c: Condition) => {
      try {
        c.acquireSync();
        c.notify();
        const notified = c.waitSync({ timeout: 1 });
        c.release();
        return notified ? "notified by nobody" : "acquired";
      } catch (error) {
        return (error as Error).name === "OwnerDiedError"
          ? "died"
          : String(error);
      }
    },
    [obj as Condition],
    what,
  );
  assert.ok(
    outcome === "acquired" || outcome === "died",
    `${what}: ${outcome}`,
  );
  // waitSync() releases the lock meanwhile: only a victim that ended itself
  // (after waitSync() returned) surely held it.
  if (
    Atomics.load(round.log, HOLDING) === 1 &&
    !ANY_INSTRUCTION.includes(round.mode)
  ) {
    assert.equal(outcome, "died", `${what}: the victim died holding it`);
  }
  return outcome === "died";
}

const scenarios: Scenario[] = [
  ...([
    ["Queue", () => new Queue(), false],
    ["bounded Queue", () => new Queue(8), false],
    ["LifoQueue", () => new LifoQueue(), false],
    ["PriorityQueue", () => new PriorityQueue(), true],
    ["SimpleQueue", () => new SimpleQueue(), false],
  ] as const).map(([name, make, flag]): Scenario => ({
    name,
    make,
    victim: queueVictim,
    check: checkQueue,
    flag,
  })),
  {
    name: "SharedMap",
    make: () => new SharedMap(),
    victim: mapVictim,
    check: checkMap,
  },
  {
    name: "Lock",
    make: () => new Lock(),
    victim: lockVictim,
    check: checkLock,
  },
  {
    name: "RLock",
    make: () => new RLock(),
    victim: lockVictim,
    check: checkLock,
  },
  {
    name: "Semaphore",
    make: () => new Semaphore(1),
    victim: semaphoreVictim,
    check: checkSemaphore,
  },
  {
    name: "Condition",
    make: () => new Condition(),
    victim: conditionVictim,
    check: checkCondition,
  },
];

for (const scenario of scenarios) {
  test(`${scenario.name}: a thread killed at random points inside its operations hangs nobody and loses nothing committed`, async () => {
    const random = randomFrom(SEED ^ hash(scenario.name));
    await using pool = new ThreadPoolExecutor({
      maxWorkers: 1,
      abortRunning: "terminate",
    });
    const pause = new Event();
    const taken = new Uint8Array(new SharedArrayBuffer(MAX_ID));
    let obj = scenario.make();
    const end = performance.now() + SOAK * 1000;
    for (
      let round = 0;
      SOAK > 0 ? performance.now() < end : round < ROUNDS;
      round++
    ) {
      const mode = MODES[Math.floor(random() * MODES.length)];
      const at = 1 + Math.floor(random() * 1500);
      const log = sharedInts(LOG_CELLS);
      taken.fill(0);
      const what = `${scenario.name} round ${round} (${mode}, seed ${SEED})`;
      const args: VictimArgs = [
        obj,
        log,
        taken,
        pause,
        mode,
        // Killed from outside at `at`, or ending itself there.
        ANY_INSTRUCTION.includes(mode) ? -1 : at,
        scenario.flag ?? false,
        dieSource,
      ];
      await killVictim(pool, scenario.victim, args, at, what);
      const broken = await scenario.check(
        obj,
        { name: scenario.name, round, mode, log, taken },
        scenario.flag ?? false,
      );
      if (broken) obj = scenario.make();
    }
  });
}

test("ThreadPoolExecutor: tasks aborted at random phases (queued, running, done) settle once; the pool goes on", async () => {
  const random = randomFrom(SEED ^ 0x5eed);
  const end = performance.now() + SOAK * 1000;
  for (let round = 0; SOAK > 0 ? performance.now() < end : round < 3; round++) {
    const what = `executor round ${round} (seed ${SEED})`;
    const pool = new ThreadPoolExecutor({
      maxWorkers: 2,
      abortRunning: "terminate",
    });
    const tasks = Array.from({ length: 12 }, (_, i) => {
      const controller = new AbortController();
      const ms = Math.floor(random() * 20);
      const future = pool.submitWith(
        (i: number, ms: number) => {
          const until = performance.now() + ms;
          while (
            performance.now() < until
          ) { /* busy, in the middle of the task */ }
          return i * 2;
        },
        [i, ms],
        { signal: controller.signal },
      );
      let settled = 0;
      future.addDoneCallback(() => settled++);
      return {
        i,
        future,
        controller,
        abortAfter: random() < 0.5 ? Math.floor(random() * 40) : -1,
        settled: () => settled,
      };
    });
    await Promise.all(
      tasks.filter((t) => t.abortAfter >= 0).map(async (t) => {
        await new Promise((resolve) => setTimeout(resolve, t.abortAfter));
        t.controller.abort(new Error(`abort ${t.i}`));
      }),
    );
    for (const t of tasks) {
      try {
        assert.equal(
          await t.future.result({ timeout: CHECK_TIMEOUT }),
          t.i * 2,
        );
      } catch (error) {
        assert.ok(t.abortAfter >= 0, `${what}: task ${t.i} failed: ${error}`);
        assert.equal((error as Error).message, `abort ${t.i}`, what);
      }
      assert.equal(
        t.settled(),
        1,
        `${what}: task ${t.i} settled ${t.settled()} times`,
      );
    }
    assert.equal(await pool.submit((x: number) => x + 1, 41).result(), 42);
    await pool.shutdown();
  }
});

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  }
  return h >>> 0;
}
