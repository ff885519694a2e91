"""The fast call paths give exactly what the general ones give: Python -> Wasm calls of
integer signatures (runtime/native/fastcall.c) and Wasm -> Python calls of numbers-only
host functions (runtime._caller.plain_entry): values, signs, errors, traps."""
from __future__ import annotations

import math
import os
import shutil
import struct
import subprocess
import sys

import pytest

import runtime
from aot.model import FuncType
from aot.model import ValType as V
from runtime import Func, Trap, TrapCode

WASM_TOOLS = shutil.which("wasm-tools") or os.path.join(os.path.dirname(sys.executable), "wasm-tools")
pytestmark = pytest.mark.skipif(not os.path.exists(WASM_TOOLS), reason="wasm-tools is needed to write test modules")

FAST_SENTINEL = runtime._native_loader.lib.AOT_FAST_SENTINEL

MODULE = """(module
  (import "env" "h" (func $h (param i32 i64 f32 f64) (result i32)))
  (import "env" "two" (func $two (param i32) (result i64 f64)))
  (import "env" "f32" (func $f32 (param f32) (result f32)))
  (import "env" "none" (func $none (param i64)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "mix") (param i32 i64 i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (local.get 0)) (i64.add (local.get 1)
      (i64.add (i64.extend_i32_u (local.get 2)) (local.get 3)))))
  (func (export "nop"))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "callh") (param i32 i64 f32 f64) (result i32)
    (call $h (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "calltwo") (param i32) (result i64 f64) (call $two (local.get 0)))
  (func (export "callf32") (param f32) (result f32) (call $f32 (local.get 0)))
  (func (export "callnone") (param i64) (call $none (local.get 0))))"""


@pytest.fixture(scope="module", params=["guard", "bounds"])
def inst(request, tmp_path_factory):
    wasm = subprocess.run([WASM_TOOLS, "parse", "-"], input=MODULE.encode(), capture_output=True,
                          check=True).stdout
    seen = []

    def h(a, b, c, d):
        seen.append((a, b, c, d))
        return a
    imports = {"env": {
        "h": Func(h, FuncType((V.I32, V.I64, V.F32, V.F64), (V.I32,))),
        "two": Func(lambda x: (x * 2, x / 2), FuncType((V.I32,), (V.I64, V.F64))),
        "f32": Func(lambda x: x, FuncType((V.F32,), (V.F32,))),
        "none": Func(lambda x: None if x >= 0 else "oops", FuncType((V.I64,), ())),
    }}
    m = runtime.load(wasm, memory=request.param, cache_dir=str(tmp_path_factory.mktemp("c")))
    i = m.instantiate(imports)
    i.seen = seen
    return i


def test_integer_calls_give_signed_results(inst):
    e = inst.exports
    for _ in range(3):  # the first call builds the plan, later ones take the fast path
        assert e.add(2, 3) == 5
        assert e.add(-1, -1) == -2
        assert e.add(0x7FFFFFFF, 1) == -0x80000000
        assert e.add(0xFFFFFFFF, 0) == -1  # unsigned spelling of an i32 accepted
        assert e.add64(-5, 2) == -3
        assert e.add64(2**63 - 1, 1) == -2**63
        assert e.add64(2**64 - 1, 0) == -1  # beyond int64: the general path takes it
        assert e.mix(-1, 2**40, 0xFFFFFFFF, -7) == -1 + 2**40 + 0xFFFFFFFF - 7
        assert e.nop() is None


def test_the_sentinel_is_an_ordinary_result(inst):
    e = inst.exports
    e.add64(0, 0)
    assert e.add64(FAST_SENTINEL, 0) == FAST_SENTINEL
    assert e.add64(FAST_SENTINEL - 1, 1) == FAST_SENTINEL


def test_bad_arguments_fail_as_before(inst):
    e = inst.exports
    e.add(1, 1)
    with pytest.raises(ValueError, match="out of range"):
        e.add(2**32, 0)
    with pytest.raises(ValueError, match="out of range"):
        e.add(-2**31 - 1, 0)
    with pytest.raises(TypeError):
        e.add(1.5, 0)
    with pytest.raises(TypeError):
        e.add(1)
    with pytest.raises(TypeError):
        e.add(1, 2, 3)
    with pytest.raises(ValueError):
        e.add64(2**64, 0)
    assert e.add(True, 1) == 2


def test_traps_through_the_fast_path(inst):
    e = inst.exports
    assert e.div(7, 2) == 3
    for _ in range(3):
        with pytest.raises(Trap) as t:
            e.div(1, 0)
        assert t.value.kind is TrapCode.INTEGER_DIVIDE_BY_ZERO
        with pytest.raises(Trap) as t:
            e.div(-0x80000000, -1)
        assert t.value.kind is TrapCode.INTEGER_OVERFLOW
    assert e.div(9, 3) == 3


def test_fast_exports_are_called_from_c(inst):
    """After its first call, a guard instance's fast-signature export has a C __call__
    (runtime/native/pycall.c): still a Func, same results, same traps, and keyword
    arguments still reach the Python method. Bounds instances stay in Python (one thread
    at a time is enforced there)."""
    from runtime._func import _FastFunc

    e = inst.exports
    add = e.add
    add(1, 2)
    assert isinstance(add, Func)
    if type(add) is _FastFunc:
        assert type(add).__call__.__class__.__name__ == "method_descriptor"
    assert add(40, 2) == 42 and add(1, 2, timeout=5.0) == 3
    with pytest.raises(Trap) as t:
        e.div(1, 0, timeout=5.0)
    assert t.value.kind is TrapCode.INTEGER_DIVIDE_BY_ZERO
    with pytest.raises(TypeError):
        add(1, 2, bogus=1)
    # a host exception crosses the C path unchanged
    with pytest.raises(TypeError):
        e.callnone(-1)  # the host function returns "oops" for a function with no results


def test_c_path_is_used_for_guard_only(tmp_path):
    from runtime._func import _FastFunc

    wasm = subprocess.run([WASM_TOOLS, "parse", "-"], input=b"""(module
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (memory (export "m") 1))""", capture_output=True, check=True).stdout
    kinds = {}
    for strategy in ("guard", "bounds"):
        e = runtime.load(wasm, memory=strategy, cache_dir=str(tmp_path)).instantiate().exports
        assert e.add(2, 2) == 4
        kinds[strategy] = type(e.add)
    assert kinds == {"guard": _FastFunc, "bounds": Func}


def test_numbers_only_host_functions_get_exact_values(inst):
    e = inst.exports
    inst.seen.clear()
    assert e.callh(-3, -2**63, 1.5, -0.0) == -3
    a, b, c, d = inst.seen[-1]
    assert (a, b, c) == (-3, -2**63, 1.5) and math.copysign(1, d) == -1.0
    assert e.calltwo(21) == (42, 10.5)
    assert math.isinf(e.callf32(float("inf")))
    # A quiet NaN's payload survives the trip through a Python float (a signalling one
    # is quieted by the float conversion, on either path).
    nan_bits = 0x7FC12345
    (bits,) = e.callf32.call_raw(nan_bits)
    assert bits == nan_bits
    assert e.callnone(5) is None


def test_host_function_result_errors_reach_the_caller(inst, tmp_path):
    e = inst.exports
    with pytest.raises(TypeError, match="must return None"):
        e.callnone(-1)  # the host function returned "oops"
    bad = FuncType((V.I32, V.I64, V.F32, V.F64), (V.I32,))
    wasm = subprocess.run([WASM_TOOLS, "parse", "-"], input=MODULE.encode(), capture_output=True,
                          check=True).stdout
    m = runtime.load(wasm, cache_dir=str(tmp_path))
    for value, err in ((2**32, ValueError), ("x", TypeError), (1.0, TypeError)):
        i = m.instantiate({"env": {
            "h": Func(lambda *a, v=value: v, bad),
            "two": Func(lambda x: (1, 2.0), FuncType((V.I32,), (V.I64, V.F64))),
            "f32": Func(lambda x: x, FuncType((V.F32,), (V.F32,))),
            "none": Func(lambda x: None, FuncType((V.I64,), ()))}})
        with pytest.raises(err):
            i.exports.callh(0, 0, 0.0, 0.0)


def test_host_bindings_do_not_keep_instances_alive(tmp_path):
    import gc
    import weakref
    wasm = subprocess.run([WASM_TOOLS, "parse", "-"], input=MODULE.encode(), capture_output=True,
                          check=True).stdout
    m = runtime.load(wasm, cache_dir=str(tmp_path))
    refs = []
    for _ in range(3):
        i = m.instantiate({"env": {
            "h": Func(lambda *a: 0, FuncType((V.I32, V.I64, V.F32, V.F64), (V.I32,))),
            "two": Func(lambda x: (1, 2.0), FuncType((V.I32,), (V.I64, V.F64))),
            "f32": Func(lambda x: x, FuncType((V.F32,), (V.F32,))),
            "none": Func(lambda x: None, FuncType((V.I64,), ()))}})
        assert i.exports.callh(1, 2, 3.0, 4.0) == 0
        refs.append(weakref.ref(i))
        del i
    gc.collect()
    assert all(r() is None for r in refs)
    from runtime._hostcall import _bindings
    assert all(ref() is not None for ref in _bindings.values())  # no dead entries kept
