import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  Barrier,
  currentThread,
  Lock,
  moduleFunction,
  Queue,
  SharedMap,
  Thread,
  ThreadPoolExecutor,
  Timer,
} from "../mod.ts";
import { type TargetError, triple } from "./fixtures/targets_helper.ts";

// This file's own text (the compiled copy on Node), to find lines in it.
const ownText = readFileSync(new URL(import.meta.url), "utf8");
const ownName = new URL(import.meta.url).pathname.split("/").pop()!;

/** The 1-based line of this file that holds `marker`. */
function lineOf(marker: string): number {
  return ownText.slice(0, ownText.indexOf(marker)).split("\n").length;
}

/** Asserts that `stack`'s first frame names this file at `marker`'s line. */
function assertFrameAt(stack: string | undefined, marker: string): void {
  const frames = (stack ?? "").split("\n").filter((l) => /^\s+at /.test(l));
  assert.ok(frames.length > 0, `no frames in ${stack}`);
  assert.match(
    frames[0],
    new RegExp(
      `${ownName.replace(".", "\\.")}(?:, <anonymous>)?:${lineOf(marker)}:`,
    ),
    `first frame should name ${ownName}:${lineOf(marker)}:\n${stack}`,
  );
}

// --- Class-based threads carry the whole instance ---------------------------

test("Thread subclass: an arrow-function field keeps `this` in the thread", async () => {
  class Adder extends Thread<number> {
    base = 40;
    add = (n: number): number => this.base + n;
    override run(): number {
      return this.add(2);
    }
  }
  const adder = new Adder();
  assert.equal(adder.run(), 42);
  assert.equal(await adder.start().join(), 42);
});

test("Thread subclass: #private fields and methods, getters, setters and statics travel", async () => {
  class Vault extends Thread<string[]> {
    static label = "vault";
    #secret = 4;
    #log: string[] = [];
    stored = 0;
    get secret(): number {
      return this.#secret;
    }
    set secret(value: number) {
      this.#log.push(`set ${value}`);
      this.#secret = value;
    }
    #double(): number {
      return this.#secret * 2;
    }
    static describe(n: number): string {
      return `${Vault.label}:${n}`;
    }
    override run(): string[] {
      this.secret = this.secret + this.stored;
      const ctor = this.constructor as typeof Vault;
      return [
        ctor.describe(this.#double()),
        ...this.#log,
        String(#secret in this),
      ];
    }
  }
  const vault = new Vault();
  vault.stored = 1;
  assert.deepEqual(await vault.start().join(), ["vault:10", "set 5", "true"]);
});

test("Thread subclass: function-valued fields, super calls and the whole chain", async () => {
  class Base extends Thread<number> {
    factor = 2;
    scale(n: number): number {
      return n * this.factor;
    }
    override run(): number | Promise<number> {
      return this.scale(1);
    }
  }
  class Middle extends Base {
    offset = function (this: { factor: number }, n: number): number {
      return n + this.factor;
    };
    override scale(n: number): number {
      return super.scale(n) + 1;
    }
  }
  class Top extends Middle {
    override async run(): Promise<number> {
      await Promise.resolve();
      return this.offset(await super.run()) * 10;
    }
  }
  // (1 * 2 + 1) + 2 = 5, times 10
  assert.equal(await new Top().start().join(), 50);
  assert.ok(new Top() instanceof Base);
});

test("Thread subclass: the fields its constructor set travel, the constructor does not run again", async () => {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  class Worker extends Thread<number> {
    readonly cells: Int32Array;
    readonly step: number;
    constructor(cells: Int32Array, step: number) {
      super({ name: "worker" });
      Atomics.add(cells, 0, 1);
      this.cells = cells;
      this.step = step;
    }
    override run(): number {
      return Atomics.add(this.cells, 0, this.step) + this.step;
    }
  }
  assert.equal(await new Worker(counter, 10).start().join(), 11);
  assert.equal(Atomics.load(counter, 0), 11);
});

test("Thread subclass whose constructor sets a #private field fails at start() naming it", () => {
  class Keeper extends Thread<number> {
    #key: number;
    constructor(key: number) {
      super();
      this.#key = key;
    }
    override run(): number {
      return this.#key;
    }
  }
  const keeper = new Keeper(7);
  assert.throws(() => keeper.start(), (error: Error) => {
    assert.ok(error instanceof TypeError);
    assert.match(
      error.message,
      /constructor of Keeper sets the private field '#key'/,
    );
    assert.match(error.message, /where it is declared|public field/);
    return true;
  });
  assert.equal(keeper.isAlive(), false);
});

// --- Relative import() resolves against the module that wrote the target ----

test("Thread target: a relative import() resolves against this module", async () => {
  const thread = new Thread({
    target: async (n: number) => {
      const helper = await import("./fixtures/targets_helper.ts");
      return helper.triple(n);
    },
    args: [5],
  }).start();
  assert.equal(await thread.join(), triple(5));
});

test("Thread target: import.meta.url is this module's URL", async () => {
  const url = await new Thread({ target: () => import.meta.url }).start()
    .join();
  assert.equal(url, import.meta.url);
});

test("Thread subclass: run() imports relatively", async () => {
  class Importer extends Thread<number> {
    override async run(): Promise<number> {
      const { triple } = await import("./fixtures/targets_helper.ts");
      return triple(7);
    }
  }
  assert.equal(await new Importer().start().join(), 21);
});

test("Timer, Barrier action and pool task import relatively", async () => {
  const timer = new Timer(1, async (n: number) => {
    const { triple } = await import("./fixtures/targets_helper.ts");
    return triple(n);
  }, [2]);
  assert.equal(await timer.start().join(), 6);

  const seen = new Int32Array(new SharedArrayBuffer(4));
  const barrier = new Barrier(2, {
    action: async (cells: Int32Array) => {
      const { triple } = await import("./fixtures/targets_helper.ts");
      Atomics.store(cells, 0, triple(3));
    },
    args: [seen],
  });
  const party = new Thread({
    target: async (b: Barrier) => await b.wait(),
    args: [barrier],
  }).start();
  await barrier.wait();
  await party.join();
  assert.equal(Atomics.load(seen, 0), 9);

  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const future = pool.submit(async (n: number) => {
    const { triple } = await import("./fixtures/targets_helper.ts");
    return triple(n);
  }, 4);
  assert.equal(await future, 12);
});

// --- The library's exports are in scope ---------------------------------------

test("Thread target: the library's exports are in scope and shadow runtime globals", async () => {
  const thread = new Thread({
    target: () => {
      const lock = new Lock();
      const queue = new Queue<number>();
      queue.putNowait(1);
      const map = new SharedMap<string, number>();
      map.set("a", queue.getNowait());
      return [
        lock.tryAcquire(),
        lock.locked(),
        typeof queue.qsize,
        map.get("a"),
        currentThread().name,
        Lock.name,
      ];
    },
    name: "scoped",
  }).start();
  assert.deepEqual(await thread.join(), [
    true,
    true,
    "function",
    1,
    "scoped",
    "Lock",
  ]);
});

test("Timer, pool task and Barrier action see the library's exports", async () => {
  const name = await new Timer(1, () => currentThread().name).start().join();
  assert.match(name!, /^Thread-\d+$/);

  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const locked = await pool.submit(() => {
    const lock = new Lock();
    lock.acquireSync();
    return lock.locked();
  });
  assert.equal(locked, true);

  const out = new Int32Array(new SharedArrayBuffer(4));
  const barrier = new Barrier(1, {
    action: (cells: Int32Array) => {
      const lock = new Lock();
      Atomics.store(cells, 0, lock.tryAcquire() ? 1 : 2);
    },
    args: [out],
  });
  barrier.waitSync();
  assert.equal(Atomics.load(out, 0), 1);
});

test("Thread target started inside a target sees the library and this module", async () => {
  const outer = new Thread({
    target: async () => {
      const inner = new Thread({
        target: async () => {
          const { triple } = await import("./fixtures/targets_helper.ts");
          return triple(currentThread().name.length);
        },
        name: "inner",
      }).start();
      return await inner.join();
    },
  }).start();
  assert.equal(await outer.join(), 15);
});

// --- Stacks name the user's file ------------------------------------------------

test("Thread target: an error's frames name this file at the throwing line", async () => {
  const thread = new Thread({
    target: function explode(code: number) {
      throw new Error(`explode ${code}`); // marker:thread-throw
    },
    args: [3],
  }).start();
  await assert.rejects(thread.join(), (error: Error) => {
    assert.equal(error.message, "explode 3");
    assertFrameAt(error.stack, "marker:thread-throw");
    return true;
  });
});

test("Thread subclass: an error's frames name this file", async () => {
  class Failing extends Thread<never> {
    override async run(): Promise<never> {
      const { TargetError } = await import("./fixtures/targets_helper.ts");
      throw new TargetError("from run", 7); // marker:class-throw
    }
  }
  await assert.rejects(new Failing().start().join(), (error: Error) => {
    assert.equal(error.name, "TargetError");
    assert.equal((error as TargetError).code, 7);
    assertFrameAt(error.stack, "marker:class-throw");
    return true;
  });
});

test("Timer, pool task and Barrier action: an error's frames name this file", async () => {
  const timer = new Timer(1, () => {
    throw new RangeError("from timer"); // marker:timer-throw
  });
  await assert.rejects(timer.start().join(), (error: Error) => {
    assertFrameAt(error.stack, "marker:timer-throw");
    return true;
  });

  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  await assert.rejects(
    pool.submit(function failTask() {
      throw new TypeError("from task"); // marker:task-throw
    }).result(),
    (error: Error) => {
      assertFrameAt(error.stack, "marker:task-throw");
      return true;
    },
  );

  const barrier = new Barrier(1, {
    action: function failAction() {
      throw new Error("from action"); // marker:action-throw
    },
  });
  assert.throws(() => barrier.waitSync(), (error: Error) => {
    assertFrameAt(error.stack, "marker:action-throw");
    return true;
  });
});

// --- Free variables are caught early and explained ------------------------------

function helperOfThisModule(n: number): number {
  return n + 1;
}

class HelperOfThisModule {
  value = 1;
}

test("Thread target that calls a function of its module fails at construction with advice", () => {
  assert.throws(
    () => new Thread({ target: () => helperOfThisModule(1) }),
    (error: Error) => {
      assert.ok(error instanceof ReferenceError);
      assert.match(error.message, /calls 'helperOfThisModule'/);
      assert.match(error.message, /Define 'helperOfThisModule' inside/);
      assert.match(error.message, /moduleFunction/);
      assert.doesNotMatch(error.message, /through args/);
      return true;
    },
  );
  assert.throws(
    () => new Thread({ target: () => new HelperOfThisModule().value }),
    /calls 'HelperOfThisModule'/,
  );
});

test("Thread subclass whose run() calls a function of its module fails at start() with advice", () => {
  class Caller extends Thread<number> {
    override run(): number {
      return helperOfThisModule(1);
    }
  }
  const caller = new Caller();
  assert.throws(() => caller.start(), (error: Error) => {
    assert.ok(error instanceof ReferenceError);
    assert.match(
      error.message,
      /Cannot send the class Caller to a thread as it calls 'helperOfThisModule'/,
    );
    assert.match(error.message, /moduleFunction/);
    return true;
  });
  assert.equal(caller.isAlive(), false);
});

test("pool.submit() and Timer reject a task that calls a function of its module", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.throws(
    () => pool.submit((n: number) => helperOfThisModule(n), 1),
    /Cannot send the task to a thread as it calls 'helperOfThisModule'/,
  );
  assert.throws(
    () => new Timer(1, () => helperOfThisModule(1)),
    /calls 'helperOfThisModule'/,
  );
});

test("Thread target that reads a value of its module fails at join() advising args", async () => {
  // An object: Bun inlines a constant number into the function's text.
  const limit = { max: 3 };
  const thread = new Thread({ target: () => limit.max * 2 }).start();
  await assert.rejects(thread.join(), (error: Error) => {
    assert.ok(error instanceof ReferenceError);
    assert.match(error.message, /read the variable 'limit'/);
    assert.match(error.message, /Pass 'limit' through args/);
    return true;
  });
});

test("Thread target that calls local functions, methods and globals passes the early check", async () => {
  const thread = new Thread({
    target: (items: number[]) => {
      function square(n: number): number {
        return n * n;
      }
      const cube = (n: number): number => n * square(n);
      const box = {
        twice(n: number): number {
          return n * 2;
        },
      };
      return items.map((n) => box.twice(cube(n))).reduce((a, b) =>
        Math.max(a, b)
      );
    },
    args: [[1, 2]],
  }).start();
  assert.equal(await thread.join(), 16);
});

// --- Arguments are checked like Python's call ------------------------------------

test("Thread, Timer, submit() and map() reject fewer args than required parameters", async () => {
  assert.throws(
    // @ts-expect-error: args are missing
    () => new Thread({ target: (a: number) => a * 2 }),
    (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.equal(
        error.message,
        "Cannot create thread as the target takes 1 argument but 0 were given in args: pass every required argument, or give the missing parameters default values",
      );
      return true;
    },
  );
  function add(a: number, b: number): number {
    return a + b;
  }
  assert.throws(
    // @ts-expect-error: one arg is missing
    () => new Thread({ target: add, args: [1] }),
    /the target 'add' takes 2 arguments but 1 was given/,
  );
  assert.throws(
    // @ts-expect-error: args are missing
    () => new Timer(1, (a: number) => a),
    /Cannot create timer as the target takes 1 argument but 0 were given/,
  );
  // Defaults and rest parameters are optional, as in Python, and so is a
  // TypeScript optional parameter that the function tests for undefined.
  new Thread({ target: (a = 1, ...rest: number[]) => a + rest.length });
  const label = (n: number, unit?: string) => `${n} ${unit ?? "items"}`;
  assert.equal(
    await new Thread({ target: label, args: [3] }).start().join(),
    "3 items",
  );
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.throws(
    // @ts-expect-error: args are missing
    () => pool.submit(add, 1),
    /Cannot submit task as the task function 'add' takes 2 arguments but 1 was given/,
  );
  assert.throws(
    () => pool.map(add, [1, 2]),
    /Cannot map as the function 'add' takes 2 arguments but 1 was given by map\(\)/,
  );
});

// --- Compiled code and module functions ---------------------------------------

test("Thread target compiled by tsc with rewriteRelativeImportExtensions imports its helper's module", async () => {
  // What tsc emits for `await import("./fixtures/targets_helper.ts")` with
  // that option, the helper defined at the top of the compiled module.
  const target = new Function(
    `return async (n) => (await import(__rewriteRelativeImportExtension("./fixtures/targets_helper.ts"))).triple(n);`,
  )() as (n: number) => Promise<number>;
  assert.equal(await new Thread({ target, args: [6] }).start().join(), 18);
});

test("moduleFunction() resolves a relative URL against the calling module, .ts or compiled", async () => {
  const tripled = moduleFunction<(n: number) => number>(
    "./fixtures/targets_helper.ts",
    "triple",
  );
  assert.equal(
    tripled.url,
    new URL(
      `./fixtures/targets_helper.${
        import.meta.url.endsWith(".ts") ? "ts" : "js"
      }`,
      import.meta.url,
    ).href,
  );
  assert.equal(
    await new Thread({ target: tripled, args: [5] }).start().join(),
    15,
  );
  const absolute = moduleFunction<(n: number) => number>(
    new URL("./fixtures/targets_helper.ts", import.meta.url),
    "triple",
  );
  assert.equal(
    await new Thread({ target: absolute, args: [2] }).start().join(),
    6,
  );
});
