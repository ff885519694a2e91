"""End to end through the real runtime: .wat → compile_wasm → runtime.load → call.

The translator-only tests (test_translate_exec.py) use a fixed-base harness; these check
what only the real runtime does: bounds memories that move when they grow (mremap),
growth by the host in the middle of a Wasm call, and trap reporting.
"""
from __future__ import annotations

import pytest

from tests.unit.translate_harness import wat_to_wasm

runtime = pytest.importorskip("runtime")

STRATEGIES = ["guard", "bounds"]

GROW = """
(module
  (import "env" "host_grow" (func $host_grow (param i32)))
  (memory (export "mem") 1)
  (func (export "grow_in_the_middle") (param i32) (result i32)
    (i32.store (i32.const 8) (i32.const 0x11223344))
    (drop (memory.grow (local.get 0)))
    ;; the base may have moved: both accesses must use the new one
    (i32.store (i32.mul (memory.size) (i32.const 0xFFF0)) (i32.const 5))
    (i32.add (i32.load (i32.const 8))
             (i32.load (i32.mul (memory.size) (i32.const 0xFFF0)))))
  (func (export "host_grows") (result i32)
    (i32.store (i32.const 16) (i32.const 40))
    (call $host_grow (i32.const 3))
    (i32.store (i32.const 0x30000) (i32.const 2))
    (i32.add (i32.load (i32.const 16)) (i32.load (i32.const 0x30000))))
  (func (export "oob") (param i32) (result i32) (i32.load (local.get 0)))
)
"""


def _instance(wat: str, strategy: str, imports=None):
    return runtime.load(wat_to_wasm(wat), memory=strategy).instantiate(imports or {})


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_memory_grow_inside_a_function(strategy):
    inst = _instance(GROW, strategy, {"env": {"host_grow": runtime.Func(lambda n: None, _ft("i32"))}})
    # Grow by enough pages that a bounds memory has to move (mremap).
    assert inst.exports.grow_in_the_middle(200) == 0x11223344 + 5
    assert inst.exports.mem.size == 201


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_host_grows_memory_during_a_wasm_call(strategy):
    box = {}

    def host_grow(n):
        box["mem"].grow(n)

    inst = _instance(GROW, strategy, {"env": {"host_grow": runtime.Func(host_grow, _ft("i32"))}})
    box["mem"] = inst.exports.mem
    # LENGTH (and, for bounds, BASE) must be re-read after the call to the host.
    assert inst.exports.host_grows() == 42


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_out_of_bounds_trap_names_the_function(strategy):
    inst = _instance(GROW, strategy, {"env": {"host_grow": runtime.Func(lambda n: None, _ft("i32"))}})
    with pytest.raises(runtime.Trap) as e:
        inst.exports.oob(65533)
    assert e.value.kind is runtime.TrapCode.MEMORY_OUT_OF_BOUNDS
    assert e.value.func_index == 3


CALLS = """
(module
  (type $t (func (param i64) (result i64)))
  (table (export "tab") 2 funcref)
  (elem (i32.const 0) func $sq)
  (func $sq (type $t) (i64.mul (local.get 0) (local.get 0)))
  (func (export "via_table") (param i32 i64) (result i64)
    (call_indirect (type $t) (local.get 1) (local.get 0)))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))
      (else (i32.const 0))))
)
"""


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_calls_and_stack_exhaustion(strategy):
    inst = _instance(CALLS, strategy)
    assert inst.exports.via_table(0, 12) == 144
    with pytest.raises(runtime.Trap) as e:
        inst.exports.via_table(1, 1)
    assert e.value.kind is runtime.TrapCode.UNINITIALIZED_ELEMENT
    with pytest.raises(runtime.Trap) as e:
        inst.exports.via_table(2, 1)
    assert e.value.kind is runtime.TrapCode.UNDEFINED_ELEMENT
    assert inst.exports.rec(1000) == 1000
    with pytest.raises(runtime.Trap) as e:
        inst.exports.rec(100_000_000)
    assert e.value.kind is runtime.TrapCode.CALL_STACK_EXHAUSTED
    assert inst.exports.rec(10) == 10  # usable after the trap


def _ft(*params: str, results=()):
    return runtime.FuncType(tuple(runtime.ValType.from_text(p) for p in params),
                            tuple(runtime.ValType.from_text(r) for r in results))
