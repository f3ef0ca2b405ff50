import assert from "node:assert/strict";
import { test } from "node:test";
import {
  activeCount,
  currentThread,
  enumerate,
  getIdent,
  isMainThread,
  mainThread,
  moduleFunction,
  Thread,
  ThreadStateError,
  TimeoutError,
  Timer,
} from "../mod.ts";
import { fixtureUrl, libraryUrl } from "./_helpers.ts";

test("Thread.join() resolves with the target's return value", async () => {
  const thread = new Thread({
    target: (nMax: number) => {
      let n = 0;
      while (n < nMax) n++;
      return n;
    },
    args: [1_000_000],
  });
  thread.start();
  assert.equal(await thread.join(), 1_000_000);
});

test("Thread.joinSync() blocks until the thread returns", () => {
  const thread = new Thread({
    target: (a: number, b: number) => a + b,
    args: [2, 3],
  }).start();
  assert.equal(thread.joinSync(), 5);
  assert.equal(thread.joinSync(), 5);
});

test("Thread awaits an async target", async () => {
  const thread = new Thread({
    target: async (x: number) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { doubled: x * 2 };
    },
    args: [21],
  });
  assert.deepEqual(await thread.start().join(), { doubled: 42 });
});

test("Thread.join() re-raises the thread's error with name, message, stack and cause", async () => {
  const thread = new Thread({
    target: () => {
      const error = new RangeError("out of range", {
        cause: new Error("root"),
      });
      (error as unknown as { code: string }).code = "E_RANGE";
      throw error;
    },
  }).start();
  const error = await thread.join().then(
    () => null,
    (e) => e as RangeError & { code?: string },
  );
  assert.ok(error instanceof RangeError);
  assert.ok(error !== null);
  assert.equal(error.message, "out of range");
  assert.match(error.stack!, /out of range/);
  assert.equal((error.cause as Error).message, "root");
  assert.equal(error.code, "E_RANGE");
  assert.throws(() => thread.joinSync(), RangeError);
});

test("Thread.join() keeps a custom error's name", async () => {
  const thread = new Thread({
    target: () => {
      class ParseError extends Error {
        override name = "ParseError";
      }
      throw new ParseError("bad token");
    },
  }).start();
  await assert.rejects(thread.join(), {
    name: "ParseError",
    message: "bad token",
  });
});

test("Thread target that throws a non-Error value rejects join() with that value", async () => {
  const thread = new Thread({
    target: () => {
      throw 42;
    },
  }).start();
  await assert.rejects(thread.join(), (value) => value === 42);
});

test("Thread target that reads a captured variable fails naming it", async () => {
  const secret = { value: Math.random() };
  const thread = new Thread({ target: () => secret.value * 2 }).start();
  await assert.rejects(thread.join(), (error: Error) => {
    assert.ok(error instanceof ReferenceError);
    assert.match(error.message, /'secret'/);
    assert.match(error.message, /args/);
    return true;
  });
});

test("Thread subclass runs run() with its fields and methods", async () => {
  class MyThread extends Thread<number> {
    nMax: number;
    constructor(nMax = 1_000) {
      super();
      this.nMax = nMax;
    }
    count(): number {
      let n = 0;
      while (n < this.nMax) n++;
      return n;
    }
    override run(): number {
      return this.count();
    }
  }
  const thread = new MyThread(12_345);
  thread.start();
  assert.equal(await thread.join(), 12_345);
});

test("Thread subclass supports async run(), super calls and name options", async () => {
  class Base extends Thread<string> {
    greet(): string {
      return "hello";
    }
  }
  class Child extends Base {
    who = "world";
    override greet(): string {
      return `${super.greet()} ${this.who}`;
    }
    override async run(): Promise<string> {
      await Promise.resolve();
      return `${this.greet()} from ${this.name}`;
    }
  }
  const thread = new Child({ name: "greeter" });
  assert.equal(await thread.start().join(), "hello world from greeter");
});

test("Thread names default to Thread-N (targetName) and idents are unique", async () => {
  function work(): number {
    return 1;
  }
  const a = new Thread({ target: work });
  const b = new Thread({ target: work });
  assert.match(a.name, /^Thread-\d+ \(work\)$/);
  assert.notEqual(a.name, b.name);
  assert.equal(a.ident, null);
  a.start();
  b.start();
  assert.equal(typeof a.ident, "number");
  assert.notEqual(a.ident, b.ident);
  await Promise.all([a.join(), b.join()]);
  assert.notEqual(a.ident, null);
});

test("Thread.isAlive() is true while running and false after", async () => {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Thread({
    target: (cell: Int32Array) => {
      Atomics.wait(cell, 0, 0);
    },
    args: [gate],
  });
  assert.equal(thread.isAlive(), false);
  thread.start();
  assert.equal(thread.isAlive(), true);
  assert.ok(enumerate().includes(thread));
  assert.equal(activeCount(), enumerate().length);
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  await thread.join();
  assert.equal(thread.isAlive(), false);
  assert.ok(!enumerate().includes(thread));
});

test("Thread args share SharedArrayBuffer memory with the thread", async () => {
  const shared = new Int32Array(new SharedArrayBuffer(16));
  const thread = new Thread({
    target: (view: Int32Array, nested: { inner: Int32Array[] }) => {
      Atomics.add(view, 0, 5);
      Atomics.add(nested.inner[0], 1, 7);
    },
    args: [shared, { inner: [shared] }],
  });
  await thread.start().join();
  assert.deepEqual([...shared], [5, 7, 0, 0]);
});

test("Thread.join({ timeout }) rejects with TimeoutError and the thread keeps running", async () => {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Thread({
    target: (cell: Int32Array) => {
      Atomics.wait(cell, 0, 0);
      return "finished";
    },
    args: [gate],
  }).start();
  await assert.rejects(thread.join({ timeout: 20 }), TimeoutError);
  assert.throws(() => thread.joinSync({ timeout: 0 }), TimeoutError);
  assert.equal(thread.isAlive(), true);
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  assert.equal(await thread.join(), "finished");
});

test("Thread.join({ signal }) rejects with the signal's reason", async () => {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Thread({
    target: (cell: Int32Array) => Atomics.wait(cell, 0, 0),
    args: [gate],
  })
    .start();
  const controller = new AbortController();
  const joined = thread.join({ signal: controller.signal });
  controller.abort(new Error("stop waiting"));
  await assert.rejects(joined, { message: "stop waiting" });
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  await thread.join();
});

test("Thread misuse throws typed errors at once", () => {
  assert.throws(
    () => new Thread({ target: 5 as unknown as () => void }),
    TypeError,
  );
  assert.throws(() => new Thread({ target: Math.max }), /native or bound/);
  const anyTarget = (..._args: unknown[]) => {};
  assert.throws(
    () => new Thread({ target: anyTarget, args: [() => 1] }),
    /args\[0\]/,
  );
  assert.throws(
    () => new Thread({ target: anyTarget, args: [1, { deep: [Symbol("x")] }] }),
    /args\[1\]\.deep\[0\]/,
  );
  const thread = new Thread({ target: () => {} });
  assert.throws(() => thread.join(), ThreadStateError);
  assert.throws(() => thread.joinSync(), ThreadStateError);
  assert.throws(() => thread.join({ timeout: -1 }), RangeError);
  assert.throws(() => thread.join({ timeout: Number.NaN }), RangeError);
  assert.throws(
    () => thread.join({ timeout: "1" as unknown as number }),
    TypeError,
  );
  thread.start();
  assert.throws(() => thread.start(), ThreadStateError);
  assert.throws(() => (thread.daemon = true), ThreadStateError);
  thread.joinSync();
});

test("Thread that calls process.exit fails join with ThreadExitError", async () => {
  const thread = new Thread({
    target: async () => {
      const process = (await import("node:process")).default;
      process.exit(3);
    },
  }).start();
  await assert.rejects(thread.join(), { name: "ThreadExitError" });
});

test("Thread.excepthook receives errors nobody joined", async () => {
  const seen: string[] = [];
  const original = Thread.excepthook;
  let resolve!: () => void;
  const reported = new Promise<void>((r) => (resolve = r));
  Thread.excepthook = ({ error, thread }) => {
    seen.push(`${thread?.name}: ${(error as Error).message}`);
    resolve();
  };
  try {
    new Thread({
      target: () => {
        throw new Error("nobody listens");
      },
      name: "lonely",
    }).start();
    await reported;
    assert.deepEqual(seen, ["lonely: nobody listens"]);
  } finally {
    Thread.excepthook = original;
  }
});

test("currentThread() inside a thread gives its name, ident and daemon flag", async () => {
  const thread = new Thread({
    target: async (library: string) => {
      const { currentThread, getIdent, isMainThread, mainThread } =
        await import(library);
      const me = currentThread();
      return [
        me.name,
        me.ident,
        me.daemon,
        getIdent(),
        isMainThread(),
        mainThread().name,
      ];
    },
    args: [libraryUrl],
    name: "worker-7",
    daemon: true,
  }).start();
  const [name, ident, daemon, getIdentValue, isMain, mainName] = await thread
    .join() as unknown[];
  assert.equal(name, "worker-7");
  assert.equal(ident, thread.ident);
  assert.equal(getIdentValue, thread.ident);
  assert.equal(daemon, true);
  assert.equal(isMain, false);
  assert.equal(mainName, "MainThread");
});

test("mainThread(), currentThread() and getIdent() on the main thread", () => {
  assert.equal(mainThread().name, "MainThread");
  assert.equal(currentThread(), mainThread());
  assert.equal(isMainThread(), true);
  assert.equal(getIdent(), mainThread().ident);
  assert.equal(mainThread().isAlive(), true);
  assert.throws(() => mainThread().joinSync(), ThreadStateError);
});

test("moduleFunction() targets run a module's export", async () => {
  const url = fixtureUrl("work");
  const target = moduleFunction<(a: number, b: number) => number>(
    url,
    "multiply",
  );
  assert.equal(await new Thread({ target, args: [6, 7] }).start().join(), 42);
  const missing = moduleFunction(url, "nope");
  await assert.rejects(new Thread({ target: missing }).start().join(), /nope/);
});

test("Timer calls its function after the interval unless cancelled", async () => {
  const timer = new Timer(10, (a: number, b: number) => a * b, [6, 7]);
  timer.start();
  assert.equal(await timer.join(), 42);
  const cancelled = new Timer(60_000, () => "fired");
  cancelled.start();
  cancelled.cancel();
  assert.equal(await cancelled.join(), undefined);
  assert.ok(cancelled instanceof Thread);
});
