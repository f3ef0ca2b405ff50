// Thread behaviour checked against CPython's Lib/test/test_threading.py:
// repr, names, daemon flags, join, enumerate, excepthook arguments, Timer.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  activeCount,
  currentThread,
  enumerate,
  type ExceptHookArgs,
  getIdent,
  mainThread,
  Thread,
  ThreadExitError,
  ThreadStateError,
  Timer,
} from "../mod.ts";
import { libraryUrl } from "./_helpers.ts";

/** A gate a thread blocks on until the test opens it. */
function gate(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

function open(cell: Int32Array): void {
  Atomics.store(cell, 0, 1);
  Atomics.notify(cell, 0);
}

/** Waits (without blocking the loop) until the thread's target has finished. */
async function untilStopped(thread: Thread): Promise<void> {
  while (thread.isAlive()) await new Promise((r) => setTimeout(r, 1));
}

test("Thread.toString() shows the class, name, status, daemon flag and ident like Python's repr", async () => {
  class TestThread extends Thread {
    override run(): void {}
  }
  const t = new TestThread({ name: "<thread 1>" });
  assert.match(String(t), /^<TestThread\(<thread 1>, initial\)>$/);
  assert.equal(t.ident, null);
  t.start();
  await t.join();
  assert.match(String(t), /^<TestThread\(<thread 1>, stopped -?\d+\)>$/);
  assert.ok(String(t).endsWith(` ${t.ident})>`));

  const d = new Thread({ target: () => {} });
  assert.doesNotMatch(String(d), /daemon/);
  d.daemon = true;
  assert.match(
    String(d),
    /^<Thread\(Thread-\d+ \(target\), initial daemon\)>$/,
  );
  assert.match(String(mainThread()), /^<Thread\(MainThread, started 1\)>$/);
});

test("Thread.toString() says stopped on its own once the target returned, without join()", async () => {
  const cell = gate();
  const t = new Thread({
    target: (c: Int32Array) => Atomics.wait(c, 0, 0),
    args: [cell],
  })
    .start();
  assert.match(String(t), /, started \d+\)>$/);
  open(cell);
  await untilStopped(t);
  assert.match(String(t), /, stopped \d+\)>$/);
  await t.join();
});

test("Thread names: explicit, numbers converted, empty gets the default, settable any time", async () => {
  function func(): void {}
  assert.equal(new Thread({ name: "myname1" }).name, "myname1");
  assert.equal(new Thread({ name: 123 as unknown as string }).name, "123");
  assert.equal(new Thread({ target: func, name: "myname2" }).name, "myname2");
  assert.match(new Thread({ name: "" }).name, /^Thread-\d+$/);
  assert.match(new Thread().name, /^Thread-\d+$/);
  assert.match(new Thread({ target: func }).name, /^Thread-\d+ \(func\)$/);
  const numbers = [new Thread(), new Thread(), new Thread()].map((t) =>
    Number(/^Thread-(\d+)$/.exec(t.name)![1])
  );
  assert.equal(new Set(numbers).size, 3);

  const t = new Thread({ target: () => {} });
  t.name = "renamed";
  assert.equal(t.name, "renamed");
  t.start();
  t.name = "renamed after start";
  assert.equal(t.name, "renamed after start");
  await t.join();
  assert.throws(
    () => (t.name = {} as unknown as string),
    (e: Error) => e instanceof TypeError && /'name'/.test(e.message),
  );
  assert.throws(() => (t.name = undefined as unknown as string), TypeError);
  assert.throws(() => new Thread({ name: [] as unknown as string }), TypeError);
});

test("Thread daemon flag: false by default, set by option or setter before start", async () => {
  assert.equal(new Thread().daemon, false);
  assert.equal(new Thread({ daemon: false }).daemon, false);
  assert.equal(new Thread({ daemon: true }).daemon, true);
  // null, like Python's None, inherits the creating thread's flag.
  assert.equal(
    new Thread({ daemon: null as unknown as boolean }).daemon,
    false,
  );
  const t = new Thread({ target: () => {} });
  t.daemon = true;
  assert.equal(t.daemon, true);
  assert.throws(() => (t.daemon = 1 as unknown as boolean), TypeError);
  assert.throws(
    () => new Thread({ daemon: "yes" as unknown as boolean }),
    TypeError,
  );
  t.start();
  assert.throws(() => (t.daemon = false), ThreadStateError);
  await t.join();
});

test("Thread created inside a thread inherits its daemon flag", async () => {
  const probe = async (lib: string) => {
    const { Thread } = await import(lib);
    const inherited = new Thread({ target: () => {} }).daemon;
    const explicit = new Thread({ target: () => {}, daemon: false }).daemon;
    return [inherited, explicit];
  };
  for (const daemon of [true, false]) {
    const t = new Thread({ target: probe, args: [libraryUrl], daemon });
    assert.deepEqual(await t.start().join(), [daemon, false]);
  }
});

test("Thread without a target starts, runs nothing and joins with undefined", async () => {
  const t = new Thread();
  t.start();
  assert.equal(await t.join(), undefined);
  assert.throws(() => t.start(), ThreadStateError);
  assert.equal(t.isAlive(), false);
});

test("Thread.run() called directly runs the target in the calling thread", () => {
  const seen: string[] = [];
  const t = new Thread({
    target: (x: number) => {
      seen.push(currentThread().name); // a captured variable: fine here
      return x * 2;
    },
    args: [21],
  });
  assert.equal(t.run(), 42);
  assert.deepEqual(seen, ["MainThread"]);
  assert.match(String(t), /initial/);
  assert.throws(() => t.join(), ThreadStateError);

  class Sub extends Thread<string> {
    override run(): string {
      return `run by ${currentThread().name}`;
    }
  }
  assert.equal(new Sub().run(), "run by MainThread");
});

test("Thread.join() may be called many times, concurrently and after the end", async () => {
  const cell = gate();
  const t = new Thread({
    target: (c: Int32Array) => {
      Atomics.wait(c, 0, 0);
      return { answer: 42 };
    },
    args: [cell],
  }).start();
  const joins = [t.join(), t.join(), t.join({ timeout: 60_000 })];
  open(cell);
  for (const value of await Promise.all(joins)) {
    assert.deepEqual(value, { answer: 42 });
  }
  assert.deepEqual(await t.join({ timeout: 0 }), { answer: 42 });
  assert.deepEqual(t.joinSync({ timeout: 0 }), { answer: 42 });
  assert.equal(t.isAlive(), false);
});

test("Thread.join() of the current thread throws ThreadStateError, inside a thread too", async () => {
  assert.throws(() => currentThread().join(), ThreadStateError);
  assert.throws(() => currentThread().joinSync(), ThreadStateError);
  const t = new Thread({
    target: async (lib: string) => {
      const { currentThread, ThreadStateError } = await import(lib);
      const results = [];
      for (const join of ["join", "joinSync"]) {
        try {
          currentThread()[join]();
          results.push("no error");
        } catch (error) {
          results.push(error instanceof ThreadStateError);
        }
      }
      return results;
    },
    args: [libraryUrl],
  });
  assert.deepEqual(await t.start().join(), [true, true]);
});

test("enumerate() never lists a joined thread and activeCount() matches it", async () => {
  for (let i = 0; i < 10; i++) {
    const t = new Thread({ target: () => {} });
    t.start();
    await t.join();
    assert.ok(!enumerate().includes(t));
  }
  const cells = [gate(), gate(), gate()];
  const threads = cells.map((cell) =>
    new Thread({
      target: (c: Int32Array) => Atomics.wait(c, 0, 0),
      args: [cell],
    })
      .start()
  );
  const listed = enumerate();
  for (const t of threads) assert.ok(listed.includes(t));
  assert.ok(listed.includes(mainThread()));
  assert.equal(activeCount(), listed.length);
  assert.ok(listed.every((t) => t.isAlive()));
  cells.forEach(open);
  await Promise.all(threads.map((t) => t.join()));
  for (const t of threads) assert.ok(!enumerate().includes(t));
  assert.equal(activeCount(), enumerate().length);
});

test("enumerate() inside a thread lists the thread itself and the main thread", async () => {
  const t = new Thread({
    target: async (lib: string) => {
      const { activeCount, currentThread, enumerate, mainThread } =
        await import(lib);
      const listed = enumerate();
      return [
        listed.includes(currentThread()),
        listed.includes(mainThread()),
        activeCount() === listed.length,
      ];
    },
    args: [libraryUrl],
  });
  assert.deepEqual(await t.start().join(), [true, true, true]);
});

test("mainThread() is the current thread on the main thread, and not inside a thread", async () => {
  const main = mainThread();
  assert.equal(main.name, "MainThread");
  assert.equal(main.ident, currentThread().ident);
  assert.equal(main.ident, getIdent());
  const t = new Thread({
    target: async (lib: string) => {
      const { currentThread, getIdent, mainThread } = await import(lib);
      return [mainThread().ident !== currentThread().ident, getIdent()];
    },
    args: [libraryUrl],
  }).start();
  const [differs, ident] = await t.join() as [boolean, number];
  assert.equal(differs, true);
  assert.equal(ident, t.ident);
});

test("Threads started inside threads get process-wide unique idents and names", async () => {
  const t = new Thread({
    target: async (lib: string) => {
      const { Thread } = await import(lib);
      const children = [new Thread(), new Thread()];
      for (const child of children) child.start();
      for (const child of children) await child.join();
      return children.map((child) => [child.ident, child.name]);
    },
    args: [libraryUrl],
  }).start();
  const ours = new Thread().start();
  const inner = await t.join() as [number, string][];
  await ours.join();
  const idents = [1, t.ident, ours.ident, ...inner.map(([ident]) => ident)];
  assert.equal(new Set(idents).size, idents.length);
  const names = [t.name, ours.name, ...inner.map(([, name]) => name)];
  assert.equal(new Set(names).size, names.length);
});

test("Thread.excepthook receives Python's ExceptHookArgs with the thread itself", async () => {
  const original = Thread.excepthook;
  let resolve!: (args: ExceptHookArgs) => void;
  const hooked = new Promise<ExceptHookArgs>((r) => (resolve = r));
  Thread.excepthook = (args) => resolve(args);
  try {
    class ThreadRunFail extends Thread {
      override run(): void {
        throw new RangeError("run failed");
      }
    }
    const thread = new ThreadRunFail({ name: "excepthook thread" });
    thread.start();
    const args = await hooked;
    assert.equal(args.thread, thread);
    assert.ok(args.error instanceof RangeError);
    assert.equal(args.excValue, args.error);
    assert.equal(args.excType, "RangeError");
    assert.equal((args.error as Error).message, "run failed");
    assert.equal(args.excTraceback, (args.error as Error).stack);
    assert.match(args.excTraceback!, /run failed/);
  } finally {
    Thread.excepthook = original;
  }
});

test("Thread.excepthook is not called when join() was called before the error", async () => {
  const original = Thread.excepthook;
  const calls: unknown[] = [];
  Thread.excepthook = (args) => calls.push(args.error);
  try {
    const t = new Thread({
      target: () => {
        throw new Error("joined");
      },
    }).start();
    await assert.rejects(t.join(), { message: "joined" });
    assert.deepEqual(calls, []);
  } finally {
    Thread.excepthook = original;
  }
});

test("Thread that calls process.exit() rejects join() with ThreadExitError carrying the code", async () => {
  for (const daemon of [false, true]) {
    const t = new Thread({
      target: async (code: number) => {
        const process = (await import("node:process")).default;
        process.exit(code);
      },
      args: [7],
      daemon,
    }).start();
    const error = await t.join().then(() => null, (e) => e);
    assert.ok(error instanceof ThreadExitError);
    assert.equal(error.exitCode, 7);
    assert.match(error.message, /exited with code 7/);
    assert.equal(t.isAlive(), false);
  }
});

test("Thread.excepthook gets a ThreadExitError when an unjoined thread exits", async () => {
  const original = Thread.excepthook;
  let resolve!: (args: ExceptHookArgs) => void;
  const hooked = new Promise<ExceptHookArgs>((r) => (resolve = r));
  Thread.excepthook = (args) => resolve(args);
  try {
    const t = new Thread({
      target: async () => {
        const process = (await import("node:process")).default;
        process.exit(0);
      },
    }).start();
    const args = await hooked;
    assert.equal(args.thread, t);
    assert.ok(args.error instanceof ThreadExitError);
    assert.equal(args.error.exitCode, 0);
  } finally {
    Thread.excepthook = original;
  }
});

test("Thread.join() rejects with a TypeError naming the part of a return value that cannot be cloned", async () => {
  const cases: [() => unknown, RegExp][] = [
    [() => () => 1, /functions cannot be cloned/],
    [() => Symbol("s"), /symbols cannot be cloned/],
    [() => new WeakMap(), /WeakMap/],
    [() => ({ ok: 1, bad: [new WeakSet()] }), /\.bad\[0\].*WeakSet/],
  ];
  for (const [target, message] of cases) {
    const t = new Thread({ target }).start();
    await assert.rejects(t.join(), (error: Error) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.match(error.message, message);
      assert.match(error.message, /return value/);
      return true;
    });
  }
});

test("Thread rejects join() with an error raised by an unhandled rejection in the target's thread", async () => {
  const cell = gate();
  const t = new Thread({
    target: async (c: Int32Array) => {
      void Promise.reject(new TypeError("nobody caught me"));
      // The target goes on (and waits for the test) after the rejection.
      await new Promise((r) => setTimeout(r, 0));
      Atomics.wait(c, 0, 0);
      return "finished";
    },
    args: [cell],
  }).start();
  await assert.rejects(t.join(), {
    name: "TypeError",
    message: "nobody caught me",
  });
  open(cell);
});

test("A non-daemon thread started in a thread keeps running after its parent's target returned", async () => {
  const flag = gate();
  const parent = new Thread({
    target: async (lib: string, cell: Int32Array) => {
      const { Thread } = await import(lib);
      new Thread({
        target: (c: Int32Array) => {
          // Runs on after the parent returned: it waits for the main thread.
          Atomics.wait(c, 0, 0);
          Atomics.store(c, 0, 2);
          Atomics.notify(c, 0);
        },
        args: [cell],
      }).start();
      return "parent returned";
    },
    args: [libraryUrl, flag],
  }).start();
  assert.equal(await parent.join(), "parent returned");
  open(flag);
  while (Atomics.load(flag, 0) !== 2) {
    const result = Atomics.waitAsync(flag, 0, 1, 30_000);
    const outcome = result.async ? await result.value : result.value;
    assert.notEqual(outcome, "timed-out", "the child thread was stopped");
  }
});

test("Timer validates its arguments at once", () => {
  assert.throws(
    () => new Timer("10" as unknown as number, () => {}),
    TypeError,
  );
  assert.throws(() => new Timer(-1, () => {}), RangeError);
  assert.throws(() => new Timer(Number.NaN, () => {}), RangeError);
  assert.throws(() => new Timer(10, 5 as unknown as () => void), TypeError);
  assert.throws(() => new Timer(10, () => {}, 5 as unknown as []), TypeError);
});

test("Timer args default to a fresh array per timer", async () => {
  const timer1 = new Timer(0, (...args: unknown[]) => args.length);
  const timer2 = new Timer(0, (...args: unknown[]) => args.length);
  (timer1.args as unknown[]).push("blah");
  assert.deepEqual(timer2.args, []);
  timer1.start();
  timer2.start();
  assert.equal(await timer1.join(), 1);
  assert.equal(await timer2.join(), 0);
  timer1.cancel(); // harmless after it fired
  assert.match(timer1.name, /^Thread-\d+$/);
});

test("Timer cancelled before start() never calls its function", async () => {
  const ran = gate();
  const timer = new Timer(0, (c: Int32Array) => Atomics.store(c, 0, 1), [ran]);
  timer.cancel();
  timer.start();
  assert.equal(await timer.join(), undefined);
  assert.equal(Atomics.load(ran, 0), 0);
});
