import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CancelledError,
  Future,
  InvalidStateError,
  TimeoutError,
} from "../mod.ts";

test("Future.setResult() completes the future and result() resolves", async () => {
  const future = new Future<number>();
  assert.equal(future.done(), false);
  assert.equal(future.running(), false);
  future.setResult(5);
  assert.equal(future.done(), true);
  assert.equal(await future.result(), 5);
  assert.equal(await future.result({ timeout: 0 }), 5);
  assert.equal(await future.exception(), undefined);
  assert.equal(await future, 5);
});

test("Future.setException() makes result() reject and exception() resolve the error", async () => {
  const future = new Future<number>();
  const error = new RangeError("test");
  future.setException(error);
  assert.equal(await future.exception({ timeout: 0 }), error);
  await assert.rejects(future.result(), (e) => e === error);
  await assert.rejects(Promise.resolve(future), (e) => e === error);
  assert.equal(future.cancelled(), false);
  assert.equal(future.running(), false);
});

test("Future.cancel() of a pending future returns true, also the second time", async () => {
  const future = new Future<number>();
  assert.equal(future.cancel(), true);
  assert.equal(future.cancel(), true);
  assert.equal(future.cancelled(), true);
  assert.equal(future.done(), true);
  assert.equal(future.running(), false);
  await assert.rejects(future.result({ timeout: 0 }), CancelledError);
  await assert.rejects(future.exception({ timeout: 0 }), CancelledError);
  await assert.rejects(Promise.resolve(future), CancelledError);
});

test("Future.cancel() returns false for a running or finished future", () => {
  const running = new Future<number>();
  assert.equal(running.setRunningOrNotifyCancel(), true);
  assert.equal(running.running(), true);
  assert.equal(running.cancel(), false);
  assert.equal(running.running(), true);
  const finished = new Future<number>();
  finished.setResult(1);
  assert.equal(finished.cancel(), false);
  const failed = new Future<number>();
  failed.setException(new Error("x"));
  assert.equal(failed.cancel(), false);
  assert.equal(failed.cancelled(), false);
});

test("Future.setRunningOrNotifyCancel() returns false once cancelled and throws when running", () => {
  const cancelled = new Future();
  cancelled.cancel();
  assert.equal(cancelled.setRunningOrNotifyCancel(), false);
  const running = new Future();
  running.setRunningOrNotifyCancel();
  assert.throws(() => running.setRunningOrNotifyCancel(), InvalidStateError);
});

test("Future.setResult() twice throws InvalidStateError and keeps the first result", async () => {
  const future = new Future<number>();
  future.setResult(1);
  assert.throws(() => future.setResult(2), InvalidStateError);
  assert.throws(() => future.setException(new Error()), InvalidStateError);
  assert.equal(await future.result(), 1);
  const cancelled = new Future();
  cancelled.cancel();
  assert.throws(() => cancelled.setResult(1), InvalidStateError);
});

test("Future.result() rejects with TimeoutError on a pending future", async () => {
  const future = new Future<number>();
  await assert.rejects(future.result({ timeout: 0 }), TimeoutError);
  await assert.rejects(future.result({ timeout: 5 }), TimeoutError);
  await assert.rejects(future.exception({ timeout: 0 }), TimeoutError);
  const running = new Future<number>();
  running.setRunningOrNotifyCancel();
  await assert.rejects(running.result({ timeout: 0 }), TimeoutError);
});

test("Future.result() resolves when another party sets the result later", async () => {
  const future = new Future<number>();
  const waiting = future.result({ timeout: 10_000 });
  setTimeout(() => future.setResult(42), 1);
  assert.equal(await waiting, 42);
  const cancelledLater = new Future<number>();
  const pending = cancelledLater.result();
  setTimeout(() => cancelledLater.cancel(), 1);
  await assert.rejects(pending, CancelledError);
});

test("Future.result() validates its options at once", () => {
  const future = new Future();
  assert.throws(() => future.result({ timeout: -1 }), RangeError);
  assert.throws(() => future.result({ timeout: NaN }), RangeError);
  assert.throws(
    () => future.result({ timeout: "1" as unknown as number }),
    TypeError,
  );
  assert.throws(() => future.exception({ timeout: -1 }), RangeError);
});

test("Future.result() rejects with signal.reason when the signal aborts", async () => {
  const future = new Future();
  const controller = new AbortController();
  const waiting = future.result({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
});

test("Future.addDoneCallback() calls back in order, with the future", () => {
  const future = new Future<number>();
  const calls: string[] = [];
  future.addDoneCallback((f) => calls.push(`a:${f === future}`));
  future.addDoneCallback(() => calls.push("b"));
  assert.equal(calls.join(), "");
  future.setResult(5);
  assert.equal(calls.join(), "a:true,b");
  future.addDoneCallback(() => calls.push("late"));
  assert.equal(calls.join(), "a:true,b,late");
});

test("Future.addDoneCallback() fires on cancel and on exception", () => {
  let cancelled: boolean | undefined;
  const future = new Future();
  future.addDoneCallback((f) => (cancelled = f.cancelled()));
  assert.equal(future.cancel(), true);
  assert.equal(cancelled, true);
  let called = false;
  const failed = new Future();
  failed.addDoneCallback(() => (called = true));
  failed.setException(new Error("test"));
  assert.equal(called, true);
});

test("Future.addDoneCallback() keeps calling the others when one throws", () => {
  const future = new Future<number>();
  let raisingCalled = false;
  let fnCalled = false;
  future.addDoneCallback(() => {
    raisingCalled = true;
    throw new Error("doh!");
  });
  future.addDoneCallback(() => (fnCalled = true));
  future.setResult(5);
  assert.equal(raisingCalled, true);
  assert.equal(fnCalled, true);
  // Already done: the throwing callback is reported, not thrown.
  future.addDoneCallback(() => {
    throw new Error("doh again");
  });
  assert.throws(
    () => future.addDoneCallback(5 as unknown as () => void),
    TypeError,
  );
});

test("Future.toString() describes the state", () => {
  const pending = new Future();
  assert.equal(String(pending), "<Future state=pending>");
  const running = new Future();
  running.setRunningOrNotifyCancel();
  assert.equal(String(running), "<Future state=running>");
  const cancelled = new Future();
  cancelled.cancel();
  assert.equal(String(cancelled), "<Future state=cancelled>");
  const raised = new Future();
  raised.setException(new TypeError("x"));
  assert.equal(String(raised), "<Future state=finished raised TypeError>");
  const returned = new Future();
  returned.setResult(1);
  assert.equal(String(returned), "<Future state=finished returned number>");
});
