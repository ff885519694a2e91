"""Many threads calling into many instances at once, with traps, host exceptions and
interruptions mixed in: every result is the right one for its own call, and no trap or
exception crosses threads. Plus what happens when two threads enter the same instance
(allowed for 'guard' memories; refused, with ConcurrentUseError, for 'bounds' memories:
see runtime/_exclusive.py)."""
from __future__ import annotations

import random
import threading
import time

import pytest

import runtime
from runtime import ConcurrentUseError, Func, FuncType, Interrupt, Trap, TrapCode, ValType
from runtime._native_loader import lib

MIXED = """
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "work") (param i32) (result i32) (local i32 i32)
    ;; sum of 0..n-1 through linear memory (per-instance state, no sharing)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get 1) (local.get 0)))
      (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (local.get 1)))
      (local.set 2 (i32.add (local.get 2) (local.get 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $l)))
    (i32.store (i32.const 64) (i32.const 0))
    (local.get 2))
  (func (export "oob") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "via_host") (param i32) (result i32) (i32.add (call $host (local.get 0)) (i32.const 1)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "spin_until") (param $flag i32) (param $ctr i32) (result i32)
    ;; spin until memory[flag] becomes non-zero (set by another call): proves concurrency.
    ;; The counter store keeps the flag load inside the loop (they may alias).
    (loop $l
      (i32.store (local.get $ctr) (i32.add (i32.load (local.get $ctr)) (i32.const 1)))
      (br_if $l (i32.eqz (i32.load (local.get $flag)))))
    (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1))))
"""

I_I = FuncType((ValType.I32,), (ValType.I32,))


class HostBoom(Exception):
    pass


def _host(x: int) -> int:
    if x % 7 == 3:
        raise HostBoom(x)  # the exception carries the caller's own value
    return x * 2


def _instances(instantiate, n, strategy="guard"):
    return [instantiate(MIXED, strategy, {"env": {"host": Func(_host, I_I)}}).exports
            for _ in range(n)]


def _worker(seed: int, instances, rounds: int, errors: list) -> None:
    rng = random.Random(seed)
    handle = Interrupt()
    try:
        for r in range(rounds):
            e = rng.choice(instances)
            what = rng.randrange(7)
            if what == 0:
                n = rng.randrange(1000)
                assert e.work(n) == n * (n - 1) // 2
            elif what == 1:
                with pytest.raises(Trap) as t:
                    e.oob(70000 + rng.randrange(1000))
                assert t.value.kind is TrapCode.MEMORY_OUT_OF_BOUNDS
            elif what == 2:
                with pytest.raises(Trap) as t:
                    e.div(rng.randrange(100), 0)
                assert t.value.kind is TrapCode.INTEGER_DIVIDE_BY_ZERO
                assert e.div(-10, 3) == -3
            elif what == 3:
                x = seed * 1000 + r
                if x % 7 == 3:
                    with pytest.raises(HostBoom) as b:
                        e.via_host(x)
                    assert b.value.args == (x,)  # our own exception, not another thread's
                else:
                    assert e.via_host(x) == 2 * x + 1
            elif what == 4:
                with pytest.raises(Trap) as t:
                    e.spin(timeout=rng.choice([0, 0.001, 0.005]))
                assert t.value.kind is TrapCode.INTERRUPTED
            elif what == 5:
                handle.reset()
                timer = threading.Timer(0.002, handle.interrupt)
                timer.start()
                with pytest.raises(Trap) as t:
                    e.spin(interrupt=handle, timeout=10)
                timer.join()
                assert t.value.kind is TrapCode.INTERRUPTED
            else:  # a timed call that finishes in time is not disturbed
                assert e.work(100, timeout=30) == 4950
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        errors.append((seed, exc))


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_threads_by_instances_mixed_outcomes(instantiate, strategy):
    nthreads, rounds = 8, 150
    if strategy == "guard":
        # every thread may use every instance
        instances = _instances(instantiate, 6)
        pools = [instances] * nthreads
    else:
        # a bounds instance is one thread's: give each thread its own
        pools = [_instances(instantiate, 2, "bounds") for _ in range(nthreads)]
    errors: list = []
    threads = [threading.Thread(target=_worker, args=(i, pools[i], rounds, errors))
               for i in range(nthreads)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
        assert not t.is_alive(), "a thread is stuck"
    assert not errors, errors[:3]
    assert lib.aot_watch_count() == 0
    print(f"\n{strategy}: {nthreads} threads x {rounds} mixed calls in {time.perf_counter() - t0:.1f} s")


def test_two_threads_in_one_guard_instance_run_at_once(instantiate):
    """Allowed: both are inside the same instance at the same time (each waits for a
    flag the other call sets)."""
    e = _instances(instantiate, 1)[0]
    results = []

    def waiter():
        results.append(e.spin_until(128, 256, timeout=60))

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.05)
    e.store(128, 99)  # a second call into the same instance while the first runs
    t.join(60)
    assert results == [99]


def test_second_thread_in_a_bounds_instance_is_refused(instantiate):
    e = _instances(instantiate, 1, "bounds")[0]
    started = threading.Event()
    outcome = []

    def runner():
        started.set()
        try:
            e.spin(timeout=2)
        except Trap as t:
            outcome.append(t.kind)

    t = threading.Thread(target=runner)
    t.start()
    started.wait()
    time.sleep(0.1)  # the runner is inside Wasm now
    with pytest.raises(ConcurrentUseError, match="bounds"):
        e.work(10)
    with pytest.raises(ConcurrentUseError):
        e.memory.grow(1)
    with pytest.raises(ConcurrentUseError):
        e.memory.read(0, 4)
    t.join(30)
    assert outcome == [TrapCode.INTERRUPTED]
    # once it has left, any thread may use it
    assert e.work(10) == 45
    assert e.memory.grow(1) == 1


def test_bounds_instance_reentry_from_the_same_thread(instantiate):
    """Wasm -> host -> the same instance (and its memory) on one thread is allowed."""
    box = {}

    def host(x):
        e = box["e"]
        e.memory.write(256, b"\x07\0\0\0")
        return e.work(x) + e.memory.read(256, 1)[0] + e.grow(1) * 0

    e = instantiate(MIXED, "bounds", {"env": {"host": Func(host, I_I)}}).exports
    box["e"] = e
    assert e.via_host(10) == 45 + 7 + 1


def test_thread_switching_bounds_instance_between_calls(instantiate):
    """Exclusive only while a call runs: threads taking turns are fine."""
    e = _instances(instantiate, 1, "bounds")[0]
    lock = threading.Lock()
    errors = []

    def turns():
        try:
            for _ in range(50):
                with lock:
                    assert e.work(20) == 190
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=turns) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
