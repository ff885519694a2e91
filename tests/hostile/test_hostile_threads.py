"""Threads: Wasm runs without the GIL, and traps in one thread never disturb another."""
from __future__ import annotations

import threading

import pytest

from runtime import Trap, TrapCode

SPIN = """
(module
  (memory (export "mem") 1)
  ;; Spin until mem[flag] != 0 (1), or give up after `limit` rounds (0). The counter
  ;; store in the loop keeps the flag load inside it (they may alias).
  (func $wait (param $flag i32) (param $ctr i32) (param $limit i32) (result i32)
    (block $done
      (loop $spin
        (br_if $done (i32.load (local.get $flag)))
        (i32.store (local.get $ctr) (i32.add (i32.load (local.get $ctr)) (i32.const 1)))
        (br_if $spin (i32.lt_u (i32.load (local.get $ctr)) (local.get $limit)))
        (return (i32.const 0))))
    (i32.const 1))
  (func (export "wait_then_set") (param $flag i32) (param $set i32) (param $ctr i32) (param $limit i32) (result i32)
    (if (result i32) (call $wait (local.get $flag) (local.get $ctr) (local.get $limit))
      (then (i32.store (local.get $set) (i32.const 1)) (i32.const 1))
      (else (i32.const 0))))
  (func (export "set_then_wait") (param $set i32) (param $flag i32) (param $ctr i32) (param $limit i32) (result i32)
    (i32.store (local.get $set) (i32.const 1))
    (call $wait (local.get $flag) (local.get $ctr) (local.get $limit)))
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "boom") unreachable)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
"""

LIMIT = 1_500_000_000  # rounds before a waiter gives up (seconds, not forever)


def run_threads(*targets, timeout=120):
    results = [None] * len(targets)

    def wrap(i, fn):
        try:
            results[i] = ("ok", fn())
        except BaseException as e:  # noqa: BLE001 - reported to the test
            results[i] = ("error", e)

    threads = [threading.Thread(target=wrap, args=(i, fn), daemon=True) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a thread is stuck"
    return results


def test_two_threads_are_inside_wasm_at_once(instantiate):
    # Each side waits, inside Wasm, for a flag the other sets from inside Wasm: this
    # only completes if both run at the same time, i.e. calls release the GIL.
    e = instantiate(SPIN).exports
    results = run_threads(lambda: e.wait_then_set(0, 4, 8, LIMIT),
                          lambda: e.set_then_wait(0, 4, 12, LIMIT))
    assert results == [("ok", 1), ("ok", 1)]


def test_python_runs_while_another_thread_is_in_wasm(instantiate):
    e = instantiate(SPIN).exports
    t = threading.Thread(target=lambda: out.append(e.wait_then_set(0, 4, 8, LIMIT)), daemon=True)
    out: list = []
    t.start()
    while e.load(8) == 0:  # the waiter is spinning (and we hold the GIL to check)
        pass
    e.mem.write(0, b"\x01")
    t.join(60)
    assert out == [1] and e.load(4) == 1


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_concurrent_traps_stay_in_their_thread(instantiate, strategy):
    # Guard instances take any number of threads at once; a bounds instance one thread at
    # a time (runtime._exclusive, tested in test_concurrency.py), so one each there.
    shared = instantiate(SPIN, strategy).exports
    mine = [shared if strategy == "guard" else instantiate(SPIN, strategy).exports for _ in range(4)]

    def worker(k):
        e = mine[k]
        seen = []
        for i in range(400):
            mode = (i + k) % 3
            try:
                if mode == 0:
                    e.load(65536 + i)  # a fault (guard) or a check (bounds)
                    seen.append("no trap")
                elif mode == 1:
                    e.boom()
                    seen.append("no trap")
                else:
                    seen.append(e.add(i, k) == i + k)
            except Trap as t:
                want = TrapCode.MEMORY_OUT_OF_BOUNDS if mode == 0 else TrapCode.UNREACHABLE
                seen.append(t.kind is want)
        return all(x is True for x in seen)

    results = run_threads(*[lambda k=k: worker(k) for k in range(4)])
    assert results == [("ok", True)] * 4


def test_a_trap_elsewhere_does_not_disturb_a_running_call(instantiate):
    e = instantiate(SPIN).exports
    out: list = []
    t = threading.Thread(target=lambda: out.append(e.wait_then_set(0, 4, 8, LIMIT)), daemon=True)
    t.start()
    while e.load(8) == 0:
        pass
    for i in range(300):  # traps on this thread while the other one is inside Wasm
        with pytest.raises(Trap):
            e.load(70000 + i)
        with pytest.raises(Trap):
            e.boom()
    e.mem.write(0, b"\x01")
    t.join(60)
    assert out == [1]
