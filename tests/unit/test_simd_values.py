"""v128 as a value type everywhere: the Python API (bytes or int in, int out, call_raw),
globals (defined, imported, exported; 16-byte storage), host functions (adapters),
locals, block/loop/if values, select, calls through the stack and call_indirect, and
multiple results, under both memory strategies."""
from __future__ import annotations

import pytest

from aot import manifest
from aot.abi import FORMAT_VERSION
from aot.model import FuncType, GlobalType, Instr, ValType
from runtime import Func, Global
from tests.unit.simd_support import STRATEGIES, instantiate, lanes, v128

V = ValType.V128
HI = 0xFEDCBA98_76543210_01234567_89ABCDEF  # both halves non-zero, top bit set

MODULE = """
(module
  (type $vv (func (param v128) (result v128)))
  (import "env" "host" (func $host (param v128 i32 v128) (result v128 i32)))
  (import "env" "g" (global $ig (mut v128)))
  (global $c (export "c") v128 (v128.const i64x2 0x0123456789ABCDEF 0xFEDCBA9876543210))
  (global $m (export "m") (mut v128) (v128.const i32x4 0 0 0 0))
  (table 2 funcref)
  (elem (i32.const 0) $inc $dec)
  (func $inc (type $vv) (i32x4.add (local.get 0) (v128.const i32x4 1 1 1 1)))
  (func $dec (type $vv) (i32x4.sub (local.get 0) (v128.const i32x4 1 1 1 1)))
  (func (export "id") (param v128) (result v128) (local.get 0))
  (func (export "zero_local") (result v128) (local v128) (local.get 0))
  (func (export "call_host") (param v128 v128) (result v128 i32)
    (call $host (local.get 0) (i32.const 7) (local.get 1)))
  (func (export "imported_global") (result v128) (global.get $ig))
  (func (export "set_imported") (param v128) (global.set $ig (local.get 0)))
  (func (export "bump_m") (global.set $m (i32x4.add (global.get $m) (global.get $c))))
  (func (export "indirect") (param v128 i32) (result v128)
    (call_indirect (type $vv) (local.get 0) (local.get 1)))
  (func (export "choose") (param v128 v128 i32) (result v128)
    (select (local.get 0) (local.get 1) (local.get 2)))
  (func (export "choose_typed") (param v128 v128 i32) (result v128)
    (select (result v128) (local.get 0) (local.get 1) (local.get 2)))
  (func (export "branches") (param v128 i32) (result v128)
    (if (result v128) (local.get 1)
      (then (i8x16.add (local.get 0) (local.get 0)))
      (else (block (result v128) (br 0 (v128.not (local.get 0)))))))
  (func (export "loop_sum") (param v128 i32) (result v128) (local $acc v128)
    ;; acc += x, n times: a v128 carried around a loop
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get 1)))
      (local.set $acc (i32x4.add (local.get $acc) (local.get 0)))
      (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
      (br $l)))
    (local.get $acc))
  (func $many (param v128 v128 v128 v128 v128 v128 v128 v128 i32 v128) (result v128)
    ;; more i128 arguments than argument registers: most go on the stack
    (i8x16.add (i8x16.add (i8x16.add (local.get 0) (local.get 1)) (i8x16.add (local.get 2) (local.get 3)))
      (i8x16.add (i8x16.add (i8x16.add (local.get 4) (local.get 5)) (i8x16.add (local.get 6) (local.get 7)))
        (i8x16.add (local.get 9) (i8x16.splat (local.get 8))))))
  (func (export "many") (param v128) (result v128)
    (call $many (local.get 0) (local.get 0) (local.get 0) (local.get 0) (local.get 0)
      (local.get 0) (local.get 0) (local.get 0) (i32.const 100) (local.get 0)))
  (func (export "pair") (param v128 v128) (result v128 v128) (local.get 1) (local.get 0)))
"""


@pytest.fixture(scope="module", params=STRATEGIES)
def env(request, tmp_path_factory):
    seen = []

    def host(a, n, b):
        seen.append((a, n, b))
        return (a ^ b, n + 1)
    g = Global(GlobalType(V, True), bytes(range(16)))
    host_fn = Func(host, FuncType((V, ValType.I32, V), (V, ValType.I32)))
    inst = instantiate(MODULE, "host", request.param, str(tmp_path_factory.mktemp("cache")),
                       {"env": {"host": host_fn, "g": g}})
    return inst.exports, g, seen


def test_python_values_in_and_out(env):
    ex, _, _ = env
    assert ex["id"](HI) == HI
    assert ex["id"](HI.to_bytes(16, "little")) == HI
    assert ex["id"](bytearray(HI.to_bytes(16, "little"))) == HI
    assert ex["id"](memoryview(HI.to_bytes(16, "little"))) == HI
    assert ex["id"](-1) == (1 << 128) - 1  # signed ints are taken as two's complement
    assert ex["id"].call_raw(HI) == (HI,)
    assert ex["zero_local"]() == 0
    with pytest.raises(ValueError):
        ex["id"](b"\x00" * 15)
    with pytest.raises(ValueError):
        ex["id"](1 << 128)
    with pytest.raises(TypeError):
        ex["id"]("0" * 16)


def test_globals_hold_all_16_bytes(env):
    ex, g, _ = env
    assert ex["c"].value == 0xFEDCBA9876543210_0123456789ABCDEF
    assert ex["imported_global"]() == int.from_bytes(bytes(range(16)), "little")
    ex["set_imported"](HI)
    assert g.value == HI
    g.value = HI.to_bytes(16, "big")
    assert ex["imported_global"]() == int.from_bytes(HI.to_bytes(16, "big"), "little")
    ex["m"].value = 0
    ex["bump_m"]()
    ex["bump_m"]()
    assert lanes("u32", ex["m"].value) == [(2 * x) % (1 << 32) for x in lanes("u32", ex["c"].value)]
    with pytest.raises(AttributeError):
        ex["c"].value = 1


def test_host_function_with_v128_params_and_results(env):
    ex, _, seen = env
    seen.clear()
    a, b = HI, 0x1111_2222_3333_4444_5555_6666_7777_8888
    assert ex["call_host"](a, b) == (a ^ b, 8)
    assert seen == [(a, 7, b)]


def test_control_flow_and_calls_carry_v128(env):
    ex, _, _ = env
    ones = v128("i32", [1])
    assert lanes("i32", ex["indirect"](ones, 0)) == [2] * 4
    assert lanes("i32", ex["indirect"](ones, 1)) == [0] * 4
    assert ex["choose"](HI, 5, 1) == HI and ex["choose"](HI, 5, 0) == 5
    assert ex["choose_typed"](HI, 5, 0) == 5 and ex["choose_typed"](HI, 5, -1) == HI
    assert lanes("u8", ex["branches"](v128("u8", [200]), 1)) == [144] * 16
    assert ex["branches"](HI, 0) == ~HI & ((1 << 128) - 1)
    assert lanes("i32", ex["loop_sum"](v128("i32", [3, -1, 1 << 30, 0]), 5)) == [15, -5, 1 << 30, 0]  # 5 << 30 wraps
    assert lanes("u8", ex["many"](v128("u8", list(range(16))))) == [(9 * i + 100) % 256 for i in range(16)]
    assert ex["pair"](1, HI) == (HI, 1)


def test_manifest_carries_v128_constants_as_json_ints():
    expr = (Instr("v128.const", bytes(range(16)), 0),)
    as_json = manifest.expr_to_json(expr)
    assert as_json == [["v128.const", int.from_bytes(bytes(range(16)), "little")]]
    assert manifest.decode(manifest.encode({"format_version": FORMAT_VERSION, "e": as_json}))["e"] == as_json
    assert manifest.expr_from_json(as_json)[0].imm == bytes(range(16))
