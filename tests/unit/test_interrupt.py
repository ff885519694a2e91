"""Interruption: `timeout=` and `runtime.Interrupt` stop runaway Wasm with Trap(INTERRUPTED).

Compiled code checks TCtx.INTERRUPT at loop headers and at the entry of functions that
call (aot/translate/interrupt.py); the runtime's watchdog (runtime/native/watchdog.c)
sets it when a deadline passes or a token is interrupted.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

import runtime
from aot.compiler import CompileOptions, compile_wasm
from aot.abi import MemoryStrategy
from runtime import Func, FuncType, Interrupt, Trap, TrapCode, ValType
from runtime._native_loader import lib

from tests.hostile.conftest import wat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RUNAWAY = """
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "spin") (loop $l (br $l)))
  (func (export "spin_mem") (param i32)
    (loop $l
      (i32.store (local.get 0) (i32.add (i32.load (local.get 0)) (i32.const 1)))
      (br $l)))
  ;; exponential recursion without any loop: only the entry checks can stop it
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "count") (param i32) (result i32) (local i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $l)))
    (local.get 1))
  ;; calls the host, then spins
  (func (export "host_then_spin") (param i32) (result i32)
    (drop (call $host (local.get 0)))
    (loop $l (br $l))
    (i32.const 0))
  (func (export "call_host") (param i32) (result i32) (call $host (local.get 0)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
"""

I_I = FuncType((ValType.I32,), (ValType.I32,))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("interrupt-cache"))


def _load(cache, strategy="guard", checks=False):
    return runtime.load(wat(RUNAWAY), memory=strategy, cache_dir=cache, interrupt_checks=checks)


def _instance(cache, host=None, strategy="guard", checks=False):
    host = host or (lambda x: x)
    return _load(cache, strategy, checks).instantiate({"env": {"host": Func(host, I_I)}})


def _expect_interrupt(fn, *args, **kw):
    t0 = time.perf_counter()
    with pytest.raises(Trap) as info:
        fn(*args, **kw)
    assert info.value.kind is TrapCode.INTERRUPTED, info.value
    return time.perf_counter() - t0


# ---- the compiler side --------------------------------------------------------------------

def test_checks_are_in_the_ir_only_when_asked_for():
    wasm = wat(RUNAWAY)
    with_checks = compile_wasm(wasm, emit="llvm-ir", opt_level=0, interrupt_checks=True).decode()
    without = compile_wasm(wasm, emit="llvm-ir", opt_level=0).decode()
    # 4 loops, and function entries of fib, host_then_spin, call_host (they call)
    assert with_checks.count("load atomic i64") == 7
    assert "load atomic i64" not in without


def test_manifest_and_cache_key_record_the_choice(cache):
    assert _load(cache, checks=True).manifest["interrupt_checks"] is True
    assert _load(cache).manifest["interrupt_checks"] is False
    on = CompileOptions(MemoryStrategy.GUARD, interrupt_checks=True).cache_key()
    off = CompileOptions(MemoryStrategy.GUARD).cache_key()
    assert on != off


# ---- timeouts -----------------------------------------------------------------------------

MODES = pytest.mark.parametrize("checks", [False, True], ids=["signal", "polled"])


def test_the_runtime_has_an_interrupt_signal():
    assert lib.aot_interrupt_signal() > 0


@MODES
@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_timeout_stops_an_infinite_loop(cache, strategy, checks):
    e = _instance(cache, strategy=strategy, checks=checks).exports
    took = _expect_interrupt(e.spin, timeout=0.2)
    assert 0.19 < took < 2.0
    took = _expect_interrupt(e.spin_mem, 0, timeout=0.1)
    assert 0.09 < took < 2.0
    # the instance is still usable, and nothing stays registered
    assert e.add(2, 3) == 5
    assert lib.aot_watch_count() == 0


@MODES
def test_timeout_stops_recursion_without_loops(cache, checks):
    e = _instance(cache, checks=checks).exports
    _expect_interrupt(e.fib, 60, timeout=0.1)
    assert e.fib(10, timeout=5) == 55


@MODES
def test_a_call_that_finishes_in_time_is_not_disturbed(cache, checks):
    e = _instance(cache, checks=checks).exports
    for _ in range(200):
        assert e.count(1000, timeout=10) == 1000
    assert e.add(1, 2, timeout=0.5) == 3
    assert e["count"].call_raw(5, timeout=1) == (5,)
    assert lib.aot_watch_count() == 0


@MODES
def test_zero_or_negative_timeout_stops_at_the_first_check(cache, checks):
    e = _instance(cache, checks=checks).exports
    _expect_interrupt(e.spin, timeout=0)
    _expect_interrupt(e.spin, timeout=-1)
    # a call that ends before the watchdog gets to it is not disturbed; one that it
    # catches traps: never anything else
    try:
        assert e.add(1, 1, timeout=0) == 2
    except Trap as t:
        assert t.kind is TrapCode.INTERRUPTED


def test_bad_timeouts_are_refused(cache):
    e = _instance(cache).exports
    with pytest.raises(TypeError):
        e.add(1, 2, timeout="1")
    with pytest.raises(TypeError):
        e.add(1, 2, interrupt=object())


def test_without_signal_a_module_without_checks_refuses_timeout(cache, tmp_path):
    """AOT_INTERRUPT_SIGNAL=0: only polled checks can stop code, so a timeout on a module
    without them is refused rather than silently ignored."""
    code = f"""
import runtime, sys
from runtime._native_loader import lib
assert lib.aot_interrupt_signal() == 0
wasm = open(sys.argv[1], "rb").read()
plain = runtime.load(wasm, cache_dir={cache!r}).instantiate(
    {{"env": {{"host": runtime.Func(lambda x: x, runtime.FuncType((runtime.ValType.I32,), (runtime.ValType.I32,)))}}}})
try:
    plain.exports.count(10, timeout=1)
    raise SystemExit("not refused")
except ValueError as e:
    assert "interrupt_checks=True" in str(e)
checked = runtime.load(wasm, cache_dir={cache!r}, interrupt_checks=True).instantiate(
    {{"env": {{"host": runtime.Func(lambda x: x, runtime.FuncType((runtime.ValType.I32,), (runtime.ValType.I32,)))}}}})
try:
    checked.exports.spin(timeout=0.1)
    raise SystemExit("not interrupted")
except runtime.Trap as t:
    assert t.kind is runtime.TrapCode.INTERRUPTED
print("ok")
"""
    src = tmp_path / "m.wasm"
    src.write_bytes(wat(RUNAWAY))
    r = subprocess.run([sys.executable, "-c", code, str(src)], capture_output=True, text=True,
                       cwd=ROOT, env=dict(os.environ, AOT_INTERRUPT_SIGNAL="0", PYTHONPATH=ROOT),
                       timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


@MODES
def test_interrupt_latency(cache, checks):
    """Time from the deadline to the Trap in Python, over several runs (printed with -s)."""
    e = _instance(cache, checks=checks).exports
    lat = []
    for _ in range(20):
        lat.append(_expect_interrupt(e.spin_mem, 0, timeout=0.02) - 0.02)
    lat.sort()
    print(f"\ninterrupt latency ({'polled' if checks else 'signal'}): median {lat[len(lat) // 2] * 1e6:.0f} us, "
          f"max {lat[-1] * 1e6:.0f} us over {len(lat)} runs")
    assert lat[len(lat) // 2] < 0.05  # generous: a loaded 2-core machine


# ---- nesting: host -> Wasm inside a timed call -------------------------------------------

@MODES
def test_timeout_covers_wasm_called_back_from_a_host_function(cache, checks):
    inner = _instance(cache, checks=checks).exports

    def host(x):
        inner.spin()  # no timeout of its own: the outer call's deadline must reach it
        return x

    outer = _instance(cache, host=host, checks=checks).exports
    took = _expect_interrupt(outer.call_host, 1, timeout=0.2)
    assert took < 2.0
    assert lib.aot_watch_count() == 0
    assert outer.add(1, 2) == 3 and inner.add(3, 4) == 7


@MODES
def test_deadline_passing_during_a_host_call_stops_wasm_after_it(cache, checks):
    def host(x):
        time.sleep(0.3)  # host code is not interrupted...
        return x

    e = _instance(cache, host=host, checks=checks).exports
    took = _expect_interrupt(e.host_then_spin, 1, timeout=0.05)
    assert 0.3 <= took < 2.0  # ...but the Wasm loop after it is


@MODES
def test_inner_timeout_shorter_than_outer(cache, checks):
    inner = _instance(cache, checks=checks).exports
    seen = []

    def host(x):
        try:
            inner.spin(timeout=0.05)
        except Trap as t:
            seen.append(t.kind)
        return x

    outer = _instance(cache, host=host, checks=checks).exports
    assert outer.call_host(7, timeout=5) == 7
    assert seen == [TrapCode.INTERRUPTED]


# ---- explicit interruption from another thread --------------------------------------------

@MODES
def test_interrupt_handle_from_another_thread(cache, checks):
    e = _instance(cache, checks=checks).exports
    handle = Interrupt()
    hits = []
    timer = threading.Timer(0.1, lambda: hits.append(handle.interrupt()))
    timer.start()
    took = _expect_interrupt(e.spin, interrupt=handle)
    timer.join()
    assert hits == [1] and took < 2.0
    # sticky: a later call with the handle stops at once, until reset
    assert handle.interrupted
    _expect_interrupt(e.spin_mem, 0, interrupt=handle)
    handle.reset()
    assert e.count(100, interrupt=handle) == 100


@MODES
def test_interrupt_handle_stops_every_call_using_it(cache, checks):
    handle = Interrupt()
    instances = [_instance(cache, checks=checks).exports for _ in range(4)]
    results = []

    def run(e):
        try:
            e.spin(interrupt=handle, timeout=30)
        except Trap as t:
            results.append(t.kind)

    threads = [threading.Thread(target=run, args=(e,)) for e in instances]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while lib.aot_watch_count() < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert handle.interrupt() == 4
    for t in threads:
        t.join(10)
    assert results == [TrapCode.INTERRUPTED] * 4


# ---- `aot run --timeout` ------------------------------------------------------------------

COMMAND = """
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l)))
  (func (export "quick") (result i32) (i32.const 42)))
"""


def _aot(*args, cache):
    env = dict(os.environ, AOT_CACHE_DIR=cache)
    return subprocess.run([sys.executable, "-m", "aot.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_aot_run_timeout(tmp_path, cache):
    prog = tmp_path / "spin.wasm"
    prog.write_bytes(wat(COMMAND))
    t0 = time.perf_counter()
    r = _aot("run", "--timeout", "0.3", str(prog), cache=cache)
    assert r.returncode == 124, r.stderr
    assert "timed out after 0.3 s" in r.stderr
    assert time.perf_counter() - t0 < 60
    r = _aot("run", "--timeout", "5", "--invoke", "quick", str(prog), cache=cache)
    assert r.returncode == 0 and r.stdout.strip() == "42", r.stderr


@pytest.mark.parametrize("flag", ["--interrupt-checks", "--no-interrupt-checks"])
def test_aot_compile_interrupt_checks_flag(tmp_path, cache, flag):
    src = tmp_path / "spin.wasm"
    src.write_bytes(wat(COMMAND))
    out = tmp_path / "spin.so"
    r = _aot("compile", flag, str(src), "-o", str(out), cache=cache)
    assert r.returncode == 0, r.stderr
    r = _aot("inspect", "--json", str(out), cache=cache)
    assert json.loads(r.stdout)["interrupt_checks"] is (flag == "--interrupt-checks")
    r = _aot("run", "--timeout", "0.2", str(out), cache=cache)
    assert r.returncode == 124, r.stderr


def test_cache_keys_follow_the_compiler_code():
    """An edited or upgraded compiler must not reuse modules another one compiled."""
    from aot.compiler import CompileOptions, compiler_digest
    assert compiler_digest() in CompileOptions().cache_key()
    assert len(compiler_digest()) == 16
