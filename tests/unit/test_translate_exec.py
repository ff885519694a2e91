"""Run translated modules (linked .so + the test harness's hand-built vmctx) and check behaviour."""
from __future__ import annotations

import struct

import pytest

from aot.abi import TrapCode
from tests.unit.translate_harness import FAULT, Instance, Trap, wat_to_wasm

STRATEGIES = ["guard", "bounds"]


def inst(wat: str, strategy: str = "guard", opt: int = 2, **kw) -> Instance:
    return Instance(wat_to_wasm(wat), strategy, opt, **kw)


def trap(fn, *args) -> Trap:
    with pytest.raises(Trap) as e:
        fn(*args)
    return e.value


CONTROL = """
(module
  (type $pair (func (param i32 i32) (result i32 i32)))
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "sum") (param i32) (result i32) (local i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (local.get 1))
  (func (export "table") (param i32) (result i32)
    (block $a (result i32)
      (block $b (result i32)
        (block $c (result i32)
          (br_table $a $b $c $b (i32.const 10) (local.get 0)))
        (i32.add (i32.const 100)))
      (i32.add (i32.const 1000))))
  (func (export "swap") (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0))
  (func (export "blockparams") (param i32 i32) (result i32)
    (local.get 0) (local.get 1)
    (block (type $pair) (br_if 0 (i32.const 1)) (drop) (drop) (i32.const 0) (i32.const 0))
    (i32.sub))
  (func (export "loopparams") (param i32) (result i32)
    ;; counts iterations in a loop parameter: 100 - (n - 1)
    (i32.const 100) (i32.const 0)
    (loop (param i32 i32) (result i32 i32)
      (if (param i32 i32) (result i32 i32) (i32.eqz (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))
        (then)
        (else (i32.const 1) (i32.add) (br 1))))
    (i32.sub))
  (func (export "ifnoelse") (param i32) (result i32)
    (i32.const 5)
    (if (param i32) (result i32) (local.get 0) (then (i32.const 2) (i32.mul))))
  (func (export "deadcode") (param i32) (result i32)
    (block $b (result i32)
      (br $b (i32.const 7))
      (i32.add (unreachable))
      (block (loop (if (then) (else)))))
    (return)
    (i32.const 99))
  (func (export "select") (param i32) (result i64)
    (select (i64.const 1) (i64.const 2) (local.get 0)))
  (func (export "unreachable") (unreachable))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $runaway (export "runaway") (call $runaway))
  (func $m1 (export "mutual") (param i32) (result i32) (call $m2 (i32.add (local.get 0) (i32.const 1))))
  (func $m2 (param i32) (result i32) (call $m1 (local.get 0)))
)
"""


@pytest.mark.parametrize("opt", [0, 2])
def test_control_flow(opt):
    m = inst(CONTROL, opt=opt)
    assert m.call("fac", 20) == 2432902008176640000
    assert m.call("sum", 100) == 5050
    assert [m.call("table", i) for i in range(5)] == [10, 1010, 1110, 1010, 1010]
    assert m.call("swap", 1, 2) == (2, 1)
    assert m.call("blockparams", 9, 4) == 5
    assert m.call("loopparams", 10) == 91
    assert m.call("ifnoelse", 1) == 10 and m.call("ifnoelse", 0) == 5
    assert m.call("deadcode", 0) == 7
    assert m.call("select", 1) == 1 and m.call("select", 0) == 2


@pytest.mark.parametrize("opt", [0, 2])
def test_traps_report_code_and_function(opt):
    m = inst(CONTROL, opt=opt)
    t = trap(m.call, "unreachable")
    assert (t.code, t.func_index) == (TrapCode.UNREACHABLE, m.export("unreachable"))
    assert trap(m.call, "div", 1, 0).code is TrapCode.INTEGER_DIVIDE_BY_ZERO
    assert trap(m.call, "div", -2**31, -1).code is TrapCode.INTEGER_OVERFLOW
    # Unbounded recursion must hit the stack check, not become a loop (tail calls are off).
    assert trap(m.call, "runaway").code is TrapCode.CALL_STACK_EXHAUSTED
    assert trap(m.call, "mutual", 0).code is TrapCode.CALL_STACK_EXHAUSTED
    assert m.call("fac", 5) == 120  # the instance still works after traps


MEMORY = """
(module
  (memory 1 3)
  (data (i32.const 16) "\\01\\02\\03\\04\\05\\06\\07\\08\\ff\\fe")
  (data $p "passive!")
  (func (export "i32.load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "i32.load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "i32.load8_u") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "i64.load16_s") (param i32) (result i64) (i64.load16_s offset=8 (local.get 0)))
  (func (export "i64.load32_u") (param i32) (result i64) (i64.load32_u (local.get 0)))
  (func (export "f64.load") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "i64.store8") (param i32 i64) (i64.store8 (local.get 0) (local.get 1)))
  (func (export "i32.store") (param i32 i32) (i32.store offset=2 (local.get 0) (local.get 1)))
  (func (export "i64.store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "f32.store") (param i32 f32) (f32.store (local.get 0) (local.get 1)))
  (func (export "drop_load") (param i32) (drop (i32.load (local.get 0))))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init $p (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop_data") (data.drop $p))
)
"""


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_loads_and_stores(strategy):
    m = inst(MEMORY, strategy)
    assert m.call("i32.load", 16) == 0x04030201
    assert m.call("i32.load", 17) == 0x05040302  # unaligned
    assert m.call("i32.load8_s", 24) == -1 and m.call("i32.load8_u", 24) == 255
    assert m.call("i64.load16_s", 16) == struct.unpack("<h", b"\xff\xfe")[0]
    assert m.call("i64.load32_u", 22) == 0xFEFF0807
    m.call("i64.store8", 100, 0x1234)
    m.call("i32.store", 100, -2)
    assert m.memory_bytes(100, 7) == b"\x34\x00\xfe\xff\xff\xff\x00"
    m.call("f32.store", 200, 1.5)
    assert m.memory_bytes(200, 4) == struct.pack("<f", 1.5)
    m.call("i64.store", 300, -1)
    assert m.call("f64.load", 300) != m.call("f64.load", 300)  # all-ones bits: a NaN
    assert m.call("i32.load", 65532) == 0  # the last in-bounds word


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("opt", [0, 2])
def test_out_of_bounds_accesses_trap(strategy, opt):
    m = inst(MEMORY, strategy, opt)
    via = FAULT if strategy == "guard" else m.export("i32.load")
    for addr in (65533, 65536, 0xFFFFFFFF):
        t = trap(m.call, "i32.load", addr)
        assert t.code is TrapCode.MEMORY_OUT_OF_BOUNDS
        assert t.func_index == via  # guard: the fault; bounds: the explicit check
    # Offsets are added without wrapping: 0xFFFFFFF8 + 8 is past the end, not 0.
    assert trap(m.call, "i64.load16_s", 0xFFFFFFF8).code is TrapCode.MEMORY_OUT_OF_BOUNDS
    # A load whose value is dropped at once must still trap.
    assert trap(m.call, "drop_load", 65536).code is TrapCode.MEMORY_OUT_OF_BOUNDS


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_trapping_store_writes_nothing(strategy):
    m = inst(MEMORY, strategy)
    m.call("i64.store", 65528, 0x1111111111111111)
    assert trap(m.call, "i32.store", 65532, -1).code is TrapCode.MEMORY_OUT_OF_BOUNDS  # bytes 65534..65537
    assert m.memory_bytes(65528, 8) == b"\x11" * 8


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_memory_grow_and_size(strategy):
    m = inst(MEMORY, strategy)
    assert m.call("size") == 1
    assert trap(m.call, "i32.load", 65536).code is TrapCode.MEMORY_OUT_OF_BOUNDS
    assert m.call("grow", 1) == 1
    assert m.call("size") == 2
    m.call("i32.store", 65536, 42)  # stored at 65538, valid only after the grow
    assert m.call("i32.load", 65538) == 42
    assert m.call("grow", 2) == -1  # past the maximum of 3
    assert m.call("size") == 2


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_bulk_memory(strategy):
    m = inst(MEMORY, strategy)
    m.call("fill", 10, 0xAB, 4)
    assert m.memory_bytes(9, 6) == b"\x00\xab\xab\xab\xab\x00"
    m.call("copy", 11, 16, 3)
    assert m.memory_bytes(10, 5) == b"\xab\x01\x02\x03\x00"
    m.call("init", 1000, 1, 3)
    assert m.memory_bytes(1000, 3) == b"ass"
    assert trap(m.call, "fill", 65535, 0, 2).code is TrapCode.MEMORY_OUT_OF_BOUNDS
    assert trap(m.call, "init", 0, 6, 3).code is TrapCode.MEMORY_OUT_OF_BOUNDS
    m.call("drop_data")
    m.call("init", 0, 0, 0)  # a dropped segment still allows empty inits at 0
    assert trap(m.call, "init", 0, 0, 1).code is TrapCode.MEMORY_OUT_OF_BOUNDS


TABLES = """
(module
  (type $i (func (result i32)))
  (type $ii (func (param i32) (result i32)))
  (table $t 4 10 funcref)
  (table $e 2 externref)
  (elem (table $t) (i32.const 0) func $one $two)
  (elem $passive func $two $one)
  (func $one (type $i) (i32.const 1))
  (func $two (type $i) (i32.const 2))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func (export "call") (param i32) (result i32) (call_indirect $t (type $i) (local.get 0)))
  (func (export "size") (result i32) (table.size $t))
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $inc) (local.get 0)))
  (func (export "set_inc") (param i32) (table.set $t (local.get 0) (ref.func $inc)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "fill_null") (param i32 i32) (table.fill $t (local.get 0) (ref.null func) (local.get 1)))
  (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (table.init $t $passive (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (elem.drop $passive))
  (func (export "ext_set") (param i32 externref) (table.set $e (local.get 0) (local.get 1)))
  (func (export "ext_get") (param i32) (result externref) (table.get $e (local.get 0)))
  (func (export "same") (result i32)
    (ref.is_null (ref.null extern)))
)
"""


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_tables_and_call_indirect(strategy):
    m = inst(TABLES, strategy)
    assert [m.call("call", i) for i in (0, 1)] == [1, 2]
    assert trap(m.call, "call", 2).code is TrapCode.UNINITIALIZED_ELEMENT
    assert trap(m.call, "call", 4).code is TrapCode.UNDEFINED_ELEMENT
    assert trap(m.call, "call", 0xFFFFFFFF).code is TrapCode.UNDEFINED_ELEMENT
    m.call("set_inc", 2)
    assert trap(m.call, "call", 2).code is TrapCode.INDIRECT_CALL_TYPE_MISMATCH
    assert m.call("size") == 4
    assert m.call("grow", 2) == 4 and m.call("size") == 6
    assert m.call("is_null", 5) == 0 and m.call("is_null", 3) == 1
    assert trap(m.call, "is_null", 6).code is TrapCode.TABLE_OUT_OF_BOUNDS
    assert trap(m.call, "set_inc", 6).code is TrapCode.TABLE_OUT_OF_BOUNDS
    m.call("copy", 2, 0, 2)
    assert [m.call("call", i) for i in (2, 3)] == [1, 2]
    m.call("init", 0, 0, 2)
    assert [m.call("call", i) for i in (0, 1)] == [2, 1]
    m.call("fill_null", 0, 2)
    assert m.call("is_null", 0) == 1
    assert trap(m.call, "fill_null", 5, 2).code is TrapCode.TABLE_OUT_OF_BOUNDS
    assert trap(m.call, "copy", 5, 0, 2).code is TrapCode.TABLE_OUT_OF_BOUNDS
    m.call("drop")
    assert trap(m.call, "init", 0, 0, 1).code is TrapCode.TABLE_OUT_OF_BOUNDS
    m.call("ext_set", 1, 0xDEAD)
    assert m.call("ext_get", 1) == 0xDEAD and m.call("ext_get", 0) == 0
    assert m.call("same") == 1


GLOBALS = """
(module
  (global $c i64 (i64.const -5))
  (global $m (mut i32) (i32.const 7))
  (global $f (mut f32) (f32.const 1.5))
  (global $r (mut funcref) (ref.null func))
  (func $f0)
  (func (export "get_c") (result i64) (global.get $c))
  (func (export "bump") (result i32)
    (global.set $m (i32.add (global.get $m) (i32.const 1))) (global.get $m))
  (func (export "f") (param f32) (result f32) (global.get $f) (global.set $f (local.get 0)))
  (func (export "ref") (result i32)
    (global.set $r (ref.func $f0)) (ref.is_null (global.get $r)))
  (func (export "nan") (result f32) (f32.const nan:0x200001))
  (func (export "nan64") (result f64) (f64.const -nan:0x4000000000001))
  (func (export "tee") (param i32) (result i32) (local i32)
    (i32.add (local.tee 1 (i32.mul (local.get 0) (i32.const 3))) (local.get 1)))
)
"""


def test_globals_constants_and_locals():
    m = inst(GLOBALS)
    assert m.call("get_c") == -5
    assert m.call("bump") == 8 and m.call("bump") == 9
    assert m.call("f", 2.5) == 1.5 and m.call("f", 0.0) == 2.5
    assert m.call("ref") == 0
    assert m.call_bits("nan") == 0x7FA00001  # a signalling NaN's payload survives
    assert m.call_bits("nan64") == 0xFFF4000000000001
    assert m.call("tee", 5) == 30


HOST = """
(module
  (import "env" "add" (func $add (param i32 i64) (result i64)))
  (import "env" "pair" (func $pair (result f64 i32)))
  (import "env" "fail" (func $fail))
  (func (export "use_add") (param i32) (result i64) (call $add (local.get 0) (i64.const 10)))
  (func (export "use_pair") (result i32) (call $pair) (i32.add (i32.const 1)) (drop) (i32.trunc_f64_s) )
  (func (export "use_fail") (call $fail))
)
"""


def test_host_imports_through_adapters():
    def fail():
        raise RuntimeError("host says no")

    m = inst(HOST, imports={"add": lambda a, b: a + b, "pair": lambda: (7.9, 3), "fail": fail})
    assert m.call("use_add", -3) == 7
    assert m.call("use_pair") == 7
    t = trap(m.call, "use_fail")
    assert (t.code, t.func_index) == (TrapCode.HOST_EXCEPTION, 0xFFFFFFFF)
