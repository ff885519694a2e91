"""A trap sees exactly the stores before the faulting access (aot/translate/memory/guard.py).

Under the guard strategy the fault is the bounds check, and LLVM does not know an access
can fault: left alone at -O1+ it deleted a store that a later store overwrote, kept a
loop's stores in a register until the loop ended, merged neighbouring stores and moved
stores past the faulting access. Then the trap left memory or globals as no Wasm engine
would (found by the differential fuzzer: tests/fuzz/regressions/guard_trap_*,
guard_simd_missed_trap_*). Every shape below runs in both strategies at every level and
must leave the state the Wasm semantics define; bounds is the control.
"""
from __future__ import annotations

import pytest

from aot.compiler import compile_wasm
from tests.unit.translate_harness import wat_to_wasm

runtime = pytest.importorskip("runtime")

PAGE = 65536

SHAPES = """
(module
  (memory (export "m") 1 1)
  (global $g (export "g") (mut i32) (i32.const 0))
  ;; mem[0] = 1 is overwritten after a load that faults: it must survive the trap
  (func (export "overwritten") (param $p i32)
    (i32.store (i32.const 0) (i32.const 1))
    (i32.store (i32.const 0) (i32.load (local.get $p))))
  ;; the same with a global
  (func (export "global_overwritten") (param $p i32)
    (global.set $g (i32.const 1))
    (global.set $g (i32.load (local.get $p)))
    (global.set $g (i32.const 2)))
  ;; a loop storing its counter to a fixed address (and a global) before a load that
  ;; faults at some iteration: the stores of that iteration are visible
  (func (export "loop_counter") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (i32.store (i32.const 8) (local.get $i))
      (global.set $g (local.get $i))
      (local.set $s (i32.add (local.get $s)
                             (i32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  ;; neighbouring byte stores, the second out of bounds: the first is written
  (func (export "neighbours") (param $p i32)
    (i32.store8 (i32.sub (local.get $p) (i32.const 1)) (i32.const 7))
    (i32.store8 (local.get $p) (i32.const 9)))
  ;; a store that faults, then a global set: the global keeps its value
  (func (export "store_then_global") (param $p i32)
    (i32.store (local.get $p) (i32.const 5))
    (global.set $g (i32.const 3)))
  ;; a callee's stores, inlined, before the caller's load that faults
  (func $mark (i32.store (i32.const 4) (i32.const 11)) (global.set $g (i32.const 12)))
  (func (export "inlined_then_fault") (param $p i32) (result i32)
    (call $mark)
    (i32.load (local.get $p)))
  ;; a v128 store before a v128 load that faults
  (func (export "simd") (param $p i32)
    (v128.store (i32.const 32) (v128.const i32x4 1 2 3 4))
    (v128.store (i32.const 32) (v128.load (local.get $p))))
  ;; a loop whose exit depends on a load of a constant address: at -O3 loop unswitching
  ;; copied that load above the loop's global store into the preheader (fuzzing, seed
  ;; 20261128 module 91,611)
  (func (export "unswitched") (param $p i32)
    (if (i32.eqz (global.get $g)) (then unreachable))
    (global.set $g (i32.sub (global.get $g) (i32.const 1)))
    (loop $l
      (if (i32.eqz (global.get $g)) (then unreachable))
      (global.set $g (i32.sub (global.get $g) (i32.const 1)))
      (br_if 1 (i32.load8_s (local.get $p)))
      (br $l)))
)
"""


def _u32(inst, addr: int) -> int:
    return int.from_bytes(inst.exports.m.read(addr, 4), "little")


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    wasm, cache = wat_to_wasm(SHAPES), tmp_path_factory.mktemp("cache")
    return {(s, o): runtime.load(compile_wasm(wasm, memory=s, opt_level=o), cache_dir=cache)
            for s in ("guard", "bounds") for o in (0, 1, 2, 3)}


def _trap(fn, *args) -> None:
    with pytest.raises(runtime.Trap) as t:
        fn(*args)
    assert t.value.kind is runtime.TrapCode.MEMORY_OUT_OF_BOUNDS


@pytest.fixture(params=[(s, o) for s in ("guard", "bounds") for o in (0, 1, 2, 3)],
                ids=lambda c: f"{c[0]}-O{c[1]}")
def inst(request, modules):
    return modules[request.param].instantiate()


def test_overwritten_store_survives_the_trap(inst):
    _trap(inst.exports.overwritten, PAGE)
    assert _u32(inst, 0) == 1


def test_overwritten_global_survives_the_trap(inst):
    _trap(inst.exports.global_overwritten, PAGE - 3)
    assert inst.exports.g.value == 1


@pytest.mark.parametrize("start", [PAGE - 4 * 5, PAGE - 4 * 37 - 2])
def test_loop_stores_of_the_faulting_iteration_are_visible(inst, start):
    _trap(inst.exports.loop_counter, start, 1000)
    k = (PAGE - start - 4) // 4 + 1  # the first iteration whose load reaches past the end
    assert _u32(inst, 8) == k and inst.exports.g.value == k


def test_in_bounds_loop_runs_to_the_end(inst):
    assert inst.exports.loop_counter(1024, 100) == 0 and _u32(inst, 8) == 99
    assert inst.exports.g.value == 99


def test_neighbouring_store_before_the_fault_is_written(inst):
    _trap(inst.exports.neighbours, PAGE)
    assert inst.exports.m.read(PAGE - 1, 1) == b"\x07"


def test_store_that_faults_keeps_later_global_unset(inst):
    _trap(inst.exports.store_then_global, PAGE - 2)
    assert inst.exports.g.value == 0 and inst.exports.m.read(PAGE - 2, 2) == b"\0\0"


def test_inlined_callee_stores_precede_the_fault(inst):
    _trap(inst.exports.inlined_then_fault, PAGE)
    assert _u32(inst, 4) == 11 and inst.exports.g.value == 12


def test_simd_store_before_the_fault_is_written(inst):
    _trap(inst.exports.simd, PAGE - 8)
    assert inst.exports.m.read(32, 16) == b"".join(v.to_bytes(4, "little") for v in (1, 2, 3, 4))


def test_loop_store_precedes_an_invariant_load_that_faults(inst):
    inst.exports.g.value = 100
    _trap(inst.exports.unswitched, PAGE + 20)
    assert inst.exports.g.value == 98


def _ir(strategy: str, opt: int) -> str:
    return compile_wasm(wat_to_wasm(SHAPES), memory=strategy, opt_level=opt, emit="llvm-ir").decode()


def test_guard_functions_may_throw_so_inlining_keeps_the_barriers():
    """The barriers only order stores while LLVM thinks they may throw; the inliner marks
    calls it inlines from a `nounwind` call site nounwind, so no guard function is."""
    guard, bounds = _ir("guard", 2), _ir("bounds", 2)
    assert "asm sideeffect unwind" in guard
    assert "asm sideeffect" not in bounds  # bounds checks by branches: nothing to fence
    defs = [ln for ln in guard.splitlines() if ln.startswith("define")]
    attrs = {ln.split("#")[1].split()[0] for ln in defs if "#" in ln}
    for a in attrs:
        line = next(ln for ln in guard.splitlines() if ln.startswith(f"attributes #{a} "))
        assert "nounwind" not in line, line
