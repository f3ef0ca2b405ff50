/**
 * Waiters of a lock whose holder ended without releasing it: they fail with
 * OwnerDiedError instead of waiting for ever. Events are ordered by shared
 * flags, never by sleeping.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Condition,
  Lock,
  OwnerDiedError,
  RLock,
  Thread,
  ThreadExitError,
} from "../mod.ts";
import { libraryUrl } from "./_helpers.ts";
import { sharedInts, until } from "./_sync.ts";

type Primitive = Lock | RLock;

/** A thread that takes `lock` (a Lock or RLock), raises `flags[0]`, then exits with code 3 or returns. */
function holder(lock: Primitive, flags: Int32Array, exit: boolean): Thread {
  return new Thread({
    target: async (lock: Primitive, flags: Int32Array, exit: boolean) => {
      lock.acquireSync();
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      if (exit) (await import("node:process")).default.exit(3);
    },
    args: [lock, flags, exit],
  }).start();
}

/** A thread that waits for `flags[0]`, then blocks in `acquireSync()` and reports how that ended. */
function syncWaiter(lock: Primitive, flags: Int32Array): Thread<string> {
  return new Thread({
    target: (lock: Primitive, flags: Int32Array) => {
      while (Atomics.load(flags, 0) === 0) Atomics.wait(flags, 0, 0);
      try {
        lock.acquireSync();
        return "acquired";
      } catch (error) {
        const { name, ownerIdent } = error as {
          name: string;
          ownerIdent: number;
        };
        return `${name} ${ownerIdent}`;
      }
    },
    args: [lock, flags],
  }).start();
}

test("a Lock whose holder exits: acquire() and another thread's acquireSync() throw OwnerDiedError", async () => {
  const lock = new Lock();
  const flags = sharedInts(1);
  const waiter = syncWaiter(lock, flags);
  const dying = holder(lock, flags, true);
  await until(() => Atomics.load(flags, 0) === 1, "the holder took the lock");
  await assert.rejects(lock.acquire(), (error: unknown) => {
    assert.ok(error instanceof OwnerDiedError);
    assert.equal(error.ownerIdent, dying.ident);
    assert.match(error.message, new RegExp(`thread ${dying.ident} failed`));
    return true;
  });
  assert.equal(await waiter.join(), `OwnerDiedError ${dying.ident}`);
  await assert.rejects(dying.join(), ThreadExitError);
  assert.equal(lock.locked(), true); // it stays held: what it guards may be broken
  assert.throws(() => lock.acquireSync({ timeout: 150 }), OwnerDiedError);
  assert.equal(lock.tryAcquire(), false);
});

test("a Lock whose holder's target throws: waiters throw OwnerDiedError", async () => {
  const lock = new Lock();
  const thread = new Thread({
    target: (lock: Lock) => {
      lock.acquireSync();
      throw new Error("failed while holding the lock");
    },
    args: [lock],
  }).start();
  await assert.rejects(thread.join(), /failed while holding/);
  assert.throws(() => lock.acquireSync(), OwnerDiedError);
  await assert.rejects(lock.lock(), OwnerDiedError);
});

test("an RLock whose owner ends normally while holding it: waiters throw OwnerDiedError", async () => {
  const lock = new RLock();
  const flags = sharedInts(1);
  const waiter = syncWaiter(lock, flags);
  const owner = holder(lock, flags, false);
  await until(() => Atomics.load(flags, 0) === 1, "the owner took the rlock");
  await assert.rejects(lock.acquire(), (error: unknown) => {
    assert.ok(error instanceof OwnerDiedError);
    assert.equal(error.ownerIdent, owner.ident);
    assert.match(error.message, /only its owner can release an RLock/);
    return true;
  });
  assert.equal(await waiter.join(), `OwnerDiedError ${owner.ident}`);
  assert.equal(await owner.join(), undefined);
  assert.throws(() => lock.acquireSync(), OwnerDiedError);
  assert.throws(() => lock.release(), /held by another thread/);
});

test("an RLock whose owner exits: waiters throw OwnerDiedError", async () => {
  const lock = new RLock();
  const flags = sharedInts(1);
  const waiter = syncWaiter(lock, flags);
  const dying = holder(lock, flags, true);
  await until(() => Atomics.load(flags, 0) === 1, "the owner took the rlock");
  await assert.rejects(lock.acquire(), OwnerDiedError);
  assert.equal(await waiter.join(), `OwnerDiedError ${dying.ident}`);
  await assert.rejects(dying.join(), ThreadExitError);
});

test("a Condition waiter fails with OwnerDiedError when the notifier dies holding the lock", async () => {
  for (const lock of [new Lock(), new RLock()]) {
    const cond = new Condition(lock);
    const flags = sharedInts(2);
    // A blocking waiter in another thread, and an async one in this thread.
    const sleeper = new Thread({
      target: (cond: Condition, flags: Int32Array) => {
        cond.acquireSync();
        Atomics.store(flags, 1, 1);
        try {
          cond.waitSync();
          return "woken";
        } catch (error) {
          return (error as Error).name;
        }
      },
      args: [cond, flags],
    }).start();
    await until(
      () => Atomics.load(flags, 1) === 1,
      "the sleeper holds the lock",
    );
    await cond.acquire(); // the sleeper released it: it waits now
    const waiting = cond.wait();
    const notifier = new Thread({
      target: async (cond: Condition) => {
        cond.acquireSync();
        cond.notifyAll();
        (await import("node:process")).default.exit(3);
      },
      args: [cond],
    }).start();
    await assert.rejects(waiting, OwnerDiedError);
    assert.equal(await sleeper.join(), "OwnerDiedError");
    await assert.rejects(notifier.join(), ThreadExitError);
  }
});

test("a Lock taken by one thread and released by another: no OwnerDiedError", async () => {
  const lock = new Lock();
  // The taker ends normally while holding the lock: that is no failure.
  const taker = new Thread({
    target: (lock: Lock) => {
      lock.acquireSync();
    },
    args: [lock],
  }).start();
  await taker.join();
  assert.equal(lock.locked(), true);
  const waiting = lock.acquire();
  // A waiter in another thread sees its timeout pass (checking the holder on
  // the way), then releases the lock for the main thread's waiter.
  const releaser = new Thread({
    target: (lock: Lock) => {
      const acquired = lock.acquireSync({ timeout: 250 });
      lock.release();
      return acquired;
    },
    args: [lock],
  }).start();
  assert.equal(await releaser.join(), false);
  assert.equal(await waiting, true);
  lock.release();
});

test("a Lock held by a thread that ended normally can be released by the main thread", async () => {
  const lock = new Lock();
  const flags = sharedInts(1);
  await holder(lock, flags, false).join();
  assert.equal(lock.acquireSync({ timeout: 150 }), false);
  lock.release();
  assert.equal(lock.acquireSync(), true);
  lock.release();
});

test("a thread that exits after releasing leaves no OwnerDiedError behind", async () => {
  const lock = new Lock();
  const rlock = new RLock();
  const thread = new Thread({
    target: async (lock: Lock, rlock: RLock) => {
      for (let i = 0; i < 100; i++) {
        lock.acquireSync();
        lock.release();
        rlock.acquireSync();
        rlock.release();
      }
      (await import("node:process")).default.exit(3);
    },
    args: [lock, rlock],
  }).start();
  await assert.rejects(thread.join(), ThreadExitError);
  assert.equal(await lock.acquire(), true);
  assert.equal(rlock.acquireSync(), true);
  lock.release();
  rlock.release();
});

test("OwnerDiedError crosses threads with its ownerIdent", async () => {
  const thread = new Thread({
    target: async (lib: string) => {
      const { OwnerDiedError } = await import(lib);
      throw new OwnerDiedError("gone", 7);
    },
    args: [libraryUrl],
  }).start();
  await assert.rejects(thread.join(), (error: unknown) => {
    assert.ok(error instanceof OwnerDiedError);
    assert.equal(error.ownerIdent, 7);
    return true;
  });
});
