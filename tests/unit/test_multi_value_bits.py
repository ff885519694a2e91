"""Several results keep every bit of their floats, signalling NaNs included.

x86-64 returns the first two floating-point fields of a struct in XMM0/XMM1 and the next
in x87's ST0, whose load quiets a signalling NaN: a function returning
(i64 f32 f32 i32 f64 i64) gave back a quieted f64 (differential fuzzing, seed 20261128,
module 90,285). Several results now travel with floats as integer bits
(aot.translate.irutils.result_type). Checked on every path a result takes: export to
host, Wasm to Wasm (direct, inlined or not, and indirect), host import to Wasm.
"""
from __future__ import annotations

import struct

import pytest

from aot.compiler import compile_wasm
from tests.unit.translate_harness import wat_to_wasm

runtime = pytest.importorskip("runtime")

SNAN64 = 0xFFF7FFFFFFFFFFFF  # f64.const -nan:0x7ffffffffffff
SNAN64B = 0x7FF0000000000001
SNAN32 = 0xFFA00000  # f32.const -nan:0x200000
SNAN32B = 0x7F800001

MODULE = """
(module
  (import "env" "host" (func $host (result f64 f64 f64 f32 f32 f32)))
  (import "env" "other" (func $other (result f64 f64 f64 f32 f32 f32)))
  (type $t (func (result f64 f64 f64 f32 f32 f32)))
  (table 1 funcref)
  (elem (i32.const 0) $consts)
  (func $consts (export "consts") (type $t)
    f64.const -nan:0x7ffffffffffff f64.const nan:0x1 f64.const -nan:0x7ffffffffffff
    f32.const -nan:0x200000 f32.const nan:0x1 f32.const -nan:0x200000)
  (func (export "six") (result i64 f32 f32 i32 f64 i64)
    i64.const 1 f32.const 1 f32.const -nan:0x600000 i32.const 3
    f64.const -nan:0x7ffffffffffff i64.const 5)
  (func $big (param i32) (result f64 f64 f64 f32 f32 f32)
    ;; large enough not to be inlined at -O2
    (if (i32.eqz (local.get 0)) (then (return (call $consts))))
    (call $big (i32.sub (local.get 0) (i32.const 1))))
  (func (export "direct") (type $t) (call $consts))
  (func (export "not_inlined") (type $t) (call $big (i32.const 3)))
  (func (export "indirect") (type $t) (call_indirect (type $t) (i32.const 0)))
  (func (export "from_host") (type $t) (call $host))
  (func (export "from_other") (type $t) (call $other))
)
"""
WANT = (SNAN64, SNAN64B, SNAN64, SNAN32, SNAN32B, SNAN32)


@pytest.fixture(scope="module", params=[(s, o) for s in ("guard", "bounds") for o in (0, 2)],
                ids=lambda c: f"{c[0]}-O{c[1]}")
def exports(request, tmp_path_factory):
    strategy, opt = request.param
    so = compile_wasm(wat_to_wasm(MODULE), memory=strategy, opt_level=opt)
    module = runtime.load(so, cache_dir=tmp_path_factory.mktemp("cache"))
    ft = runtime.FuncType((), (runtime.ValType.F64,) * 3 + (runtime.ValType.F32,) * 3)
    # a Python host function (its results pass the host adapter): f64 signalling NaNs
    # survive a Python float, f32 ones cannot (float() widens them), so 1.5 there
    nan = struct.unpack("<ddd", struct.pack("<QQQ", SNAN64, SNAN64B, SNAN64))
    host = runtime.Func(lambda: (*nan, 1.5, 1.5, 1.5), ft)
    env = {"host": host, "other": host}
    other = module.instantiate({"env": env}).exports.consts  # another instance's export
    return module.instantiate({"env": {"host": host, "other": other}}).exports


@pytest.mark.parametrize("name", ["consts", "direct", "not_inlined", "indirect", "from_other"])
def test_float_results_keep_their_bits(exports, name):
    assert getattr(exports, name).call_raw() == WANT


def test_host_results_keep_their_bits(exports):
    assert exports.from_host.call_raw() == (SNAN64, SNAN64B, SNAN64) + (0x3FC00000,) * 3


def test_mixed_results_keep_their_bits(exports):
    assert exports.six.call_raw() == (1, 0x3F800000, 0xFFE00000, 3, SNAN64, 5)


def test_functype_from_lists_equals_the_modules():
    """A FuncType written with lists links like one with tuples (it failed with
    "expected [] -> [f64 ...], got [] -> [f64 ...]")."""
    lists = runtime.FuncType([], [runtime.ValType.F64] * 3 + [runtime.ValType.F32] * 3)
    assert lists == runtime.FuncType((), (runtime.ValType.F64,) * 3 + (runtime.ValType.F32,) * 3)
    assert hash(lists) == hash(runtime.FuncType((), lists.results))
