"""Hostile control flow: forged indirect calls, runaway recursion, hostile host callbacks."""
from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from aot.model import FuncType
from aot.model import ValType as V
from runtime import Func, Table, Trap, TrapCode

INDIRECT = """
(module
  (type $a (func (result i32)))
  (type $b (func (param i32) (result i32)))
  (type $c (func (result i64)))
  (table (export "tab") 4 funcref)
  (func $fa (result i32) i32.const 1)
  (func $fb (param i32) (result i32) local.get 0)
  (func $fc (result i64) i64.const 2)
  (elem (i32.const 0) $fa $fb $fc)
  (func (export "call_a") (param i32) (result i32) local.get 0 call_indirect (type $a)))
"""


def trap_kind(call, *args):
    with pytest.raises(Trap) as info:
        call(*args)
    return info.value.kind


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_call_indirect_checks_signature_and_index(instantiate, strategy):
    e = instantiate(INDIRECT, strategy).exports
    assert e.call_a(0) == 1
    assert trap_kind(e.call_a, 1) is TrapCode.INDIRECT_CALL_TYPE_MISMATCH  # other params
    assert trap_kind(e.call_a, 2) is TrapCode.INDIRECT_CALL_TYPE_MISMATCH  # other result
    assert trap_kind(e.call_a, 3) is TrapCode.UNINITIALIZED_ELEMENT
    assert trap_kind(e.call_a, 4) is TrapCode.UNDEFINED_ELEMENT
    assert trap_kind(e.call_a, 0xFFFFFFFF) is TrapCode.UNDEFINED_ELEMENT
    assert trap_kind(e.call_a, 0x80000000) is TrapCode.UNDEFINED_ELEMENT
    assert e.call_a(0) == 1


def test_signatures_are_compared_structurally_across_modules(instantiate):
    caller = instantiate(INDIRECT).exports
    other = instantiate("""
      (module
        (type $x (func (param f64)))  ;; shifts type indices: ids must still be canonical
        (func (export "ok") (result i32) i32.const 77)
        (func (export "bad") (param f64)))""").exports
    caller.tab.set(3, other.ok)
    assert caller.call_a(3) == 77
    caller.tab.set(3, other.bad)
    assert trap_kind(caller.call_a, 3) is TrapCode.INDIRECT_CALL_TYPE_MISMATCH


RECURSION = """
(module
  (func $down (export "down") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $down)
  (func $fat (export "fat") (param i64) (result i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    local.get 0 i64.const 1 i64.add call $fat
    local.get 1 i64.add local.get 2 i64.add local.get 3 i64.add local.get 4 i64.add
    local.get 5 i64.add local.get 6 i64.add local.get 7 i64.add local.get 8 i64.add)
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $ping $pong)
  (func $ping (param i32) (result i32) local.get 0 i32.const 1 call_indirect (type $t))
  (func $pong (param i32) (result i32) local.get 0 i32.const 0 call_indirect (type $t))
  (func (export "pingpong") (param i32) (result i32) local.get 0 call $ping)
  (func (export "ok") (result i32) i32.const 5))
"""


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_runaway_recursion_traps_and_the_host_keeps_working(instantiate, strategy):
    e = instantiate(RECURSION, strategy).exports
    for _ in range(20):  # repeatedly: no entry or stack state may leak
        assert trap_kind(e.down, 0) is TrapCode.CALL_STACK_EXHAUSTED
        assert trap_kind(e.fat, 0) is TrapCode.CALL_STACK_EXHAUSTED
        assert trap_kind(e.pingpong, 0) is TrapCode.CALL_STACK_EXHAUSTED
        assert e.ok() == 5
    assert sum(range(1000)) == 499500  # and Python itself is fine


def test_runaway_recursion_on_a_small_thread_stack(instantiate):
    e = instantiate(RECURSION).exports
    results = []

    def run():
        results.append(trap_kind(e.down, 0))
        results.append(e.ok())

    old = threading.stack_size(256 * 1024)
    try:
        t = threading.Thread(target=run)
        t.start()
        t.join()
    finally:
        threading.stack_size(old)
    assert results == [TrapCode.CALL_STACK_EXHAUSTED, 5]


def test_host_exception_crosses_nested_calls_unchanged(instantiate):
    class Secret(Exception):
        pass

    err = Secret("keep me")
    text = """
      (module
        (import "h" "f" (func $f (param i32) (result i32)))
        (func (export "go") (param i32) (result i32) local.get 0 call $f i32.const 1 i32.add))"""
    inner = instantiate(text, imports={"h": {"f": Func(lambda x: (_ for _ in ()).throw(err),
                                                       FuncType((V.I32,), (V.I32,)))}})
    outer = instantiate(text, imports={"h": {"f": Func(lambda x: inner.exports.go(x),
                                                       FuncType((V.I32,), (V.I32,)))}})
    with pytest.raises(Secret) as info:
        outer.exports.go(1)
    assert info.value is err
    assert info.value.__traceback__ is not None


def test_funcref_from_a_table_to_a_dead_module_stays_valid(instantiate):
    import gc
    table = Table(V.FUNCREF, 1)
    producer = instantiate('(module (func (export "f") (result i32) i32.const 31))')
    table.set(0, producer.exports.f)
    del producer
    gc.collect()
    assert table.get(0)() == 31


def _huge_frame_module(live_values: int) -> str:
    """A recursive function that keeps `live_values` f64 values live at once, so LLVM
    gives it a frame of about 8 bytes per value (floats are never reassociated)."""
    loads = "".join(f"(f64.mul (f64.load offset={8 * i} (local.get 0)) (f64.const {i}.5))"
                    for i in range(live_values))
    return f"""(module (memory 1)
      (func $f (export "f") (param i32) (result f64)
        {loads}
        {"f64.add " * (live_values - 1)}
        (if (result f64) (local.get 0)
          (then (call $f (i32.sub (local.get 0) (i32.const 1))))
          (else (f64.const 0)))
        f64.add))"""


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_frame_larger_than_the_stack_margin_traps_instead_of_crashing(to_wasm, tmp_path, strategy):
    # The prologue's stack check runs after LLVM has allocated the frame, so a frame
    # bigger than the runtime's margin reaches the thread's guard page first; the
    # signal handler must turn that into CALL_STACK_EXHAUSTED. A 16 KiB margin and a
    # ~32 KB frame on a 256 KiB thread make it happen without a huge module.
    wasm = tmp_path / "frame.wasm"
    wasm.write_bytes(to_wasm(_huge_frame_module(4000)))
    script = f"""
import threading, runtime
from runtime._native_loader import lib
f = runtime.load({str(wasm)!r}, memory={strategy!r}, cache_dir={str(tmp_path)!r}).instantiate().exports.f
lib.aot_set_stack_margin(16 * 1024)
out = []
def run():
    for _ in range(3):  # repeatedly: the thread and its altstack stay usable
        try:
            f(1000)
        except runtime.Trap as t:
            out.append(t.kind.name)
    out.append(f(0))
threading.stack_size(256 * 1024)
t = threading.Thread(target=run); t.start(); t.join()
print(out)
"""
    proc = subprocess.run([sys.executable, "-X", "faulthandler", "-c", script], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == str(["CALL_STACK_EXHAUSTED"] * 3 + [0.0])
