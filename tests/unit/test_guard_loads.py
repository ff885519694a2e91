"""Guard loads are kept alive (aot/translate/memory/guard.py): an out-of-bounds load traps
at every -O level even when LLVM could prove its value unused or only partly used.

Each shape below once returned normally under guard (dead loads deleted, a v128 load
narrowed to the lane that is used); bounds always trapped. Both strategies must trap
the same way at every level.
"""
from __future__ import annotations

import pytest

from aot.compiler import compile_wasm
from tests.unit.translate_harness import wat_to_wasm

runtime = pytest.importorskip("runtime")

PAGE = 65536

SHAPES = """
(module
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  ;; stored to a local that is never read
  (func (export "dead_local") (param $p i32) (local $x i32)
    (local.set $x (i32.load (local.get $p))))
  ;; converted, then dropped
  (func (export "convert_drop") (param $p i32)
    (drop (f64.convert_i32_u (i32.load8_u (local.get $p)))))
  ;; chosen by a select whose condition is constant
  (func (export "select_discard") (param $p i32) (result i32)
    (select (i32.const 7) (i32.load (local.get $p)) (i32.const 1)))
  ;; multiplied by zero
  (func (export "times_zero") (param $p i32) (result i64)
    (i64.mul (i64.load (local.get $p)) (i64.const 0)))
  ;; only lane 0 of a v128 load is used, and lane 0 is in bounds
  (func (export "narrowed_lane") (param $p i32) (result i32)
    (i32x4.extract_lane 0 (v128.load (local.get $p))))
  ;; a callee's load whose result its caller drops, once the callee is inlined
  ;; (llvm.fake.use is stripped by the inliner: found by fuzzing, seed 20261128)
  (func $load (param $p i32) (result i32) (i32.load (local.get $p)))
  (func (export "inlined_drop") (param $p i32) (drop (call $load (local.get $p))))
  ;; the same, in a callee that never returns normally
  (func $spin (param $p i32) (result i32)
    (drop (i32.load16_s (local.get $p)))
    (i32.load16_s (local.get $p))
    (loop $l (br $l))
    (unreachable))
  (func (export "inlined_noreturn") (param $p i32) (drop (call $spin (local.get $p))))
  ;; loaded in a loop whose result is thrown away, then a global is set
  (func (export "loop_then_global") (param $p i32) (param $n i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (global.set $g (i32.const 1)))
)
"""

CASES = [("dead_local", (PAGE,)), ("dead_local", (PAGE - 2,)), ("convert_drop", (PAGE,)),
         ("select_discard", (PAGE,)), ("times_zero", (PAGE - 4,)), ("narrowed_lane", (PAGE - 4,)),
         ("loop_then_global", (PAGE - 8, 4)), ("inlined_drop", (PAGE - 2,)),
         ("inlined_noreturn", (PAGE,))]


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    wasm, cache = wat_to_wasm(SHAPES), tmp_path_factory.mktemp("cache")
    return {(s, o): runtime.load(compile_wasm(wasm, memory=s, opt_level=o), cache_dir=cache)
            for s in ("guard", "bounds") for o in (0, 1, 2, 3)}


@pytest.mark.parametrize("opt", [0, 1, 2, 3])
@pytest.mark.parametrize("name,args", CASES)
def test_unused_out_of_bounds_loads_trap(modules, name, args, opt):
    for strategy in ("guard", "bounds"):
        inst = modules[strategy, opt].instantiate()
        with pytest.raises(runtime.Trap) as t:
            getattr(inst.exports, name)(*args)
        assert t.value.kind is runtime.TrapCode.MEMORY_OUT_OF_BOUNDS, (strategy, name)


@pytest.mark.parametrize("opt", [0, 2])
def test_in_bounds_calls_still_return(modules, opt):
    inst = modules["guard", opt].instantiate()
    e = inst.exports
    assert e.dead_local(0) is None and e.select_discard(0) == 7 and e.times_zero(8) == 0
    assert e.narrowed_lane(PAGE - 16) == 0
    assert e.loop_then_global(0, 100) is None


SIMD_LOADS = """
(module
  (memory 1)
  (func (export "v128") (param $p i32) (result i32) (i32x4.extract_lane 0 (v128.load (local.get $p))))
  (func (export "x8") (param $p i32) (result i32) (i16x8.extract_lane_s 0 (v128.load8x8_s (local.get $p))))
  (func (export "x16") (param $p i32) (result i32) (i32x4.extract_lane 0 (v128.load16x4_u (local.get $p))))
  (func (export "x32") (param $p i32) (result i64) (i64x2.extract_lane 0 (v128.load32x2_s (local.get $p))))
  (func (export "splat8") (param $p i32) (result i32) (i8x16.extract_lane_u 3 (v128.load8_splat (local.get $p))))
  (func (export "splat64") (param $p i32) (result i64) (i64x2.extract_lane 1 (v128.load64_splat (local.get $p))))
  (func (export "zero32") (param $p i32) (result i32) (i32x4.extract_lane 1 (v128.load32_zero (local.get $p))))
  (func (export "lane16") (param $p i32) (result i32)
    (i16x8.extract_lane_u 0 (v128.load16_lane 5 (local.get $p) (v128.const i64x2 0 0))))
  (func (export "f32") (param $p i32) (result i32) (drop (f32.load (local.get $p))) (i32.const 0))
  (func (export "f64") (param $p i32) (result f64) (f64.mul (f64.load (local.get $p)) (f64.const 0)))
)
"""
SIMD_CASES = [("v128", PAGE - 4), ("x8", PAGE - 4), ("x16", PAGE - 4), ("x32", PAGE - 4),
              ("splat8", PAGE), ("splat64", PAGE - 4), ("zero32", PAGE - 2), ("lane16", PAGE - 1),
              ("f32", PAGE - 2), ("f64", PAGE - 4)]


@pytest.mark.parametrize("opt", [0, 1, 2, 3])
def test_every_load_type_is_kept_alive(opt, tmp_path):
    """Every type a guard load can have (scalars, floats, 64-bit and 128-bit vectors)
    gets a keep-alive the x86 and aarch64 backends accept, and traps out of bounds."""
    wasm = wat_to_wasm(SIMD_LOADS)
    compile_wasm(wasm, memory="guard", opt_level=opt, target="aarch64-unknown-linux-gnu", emit="obj")
    inst = runtime.load(compile_wasm(wasm, memory="guard", opt_level=opt), cache_dir=str(tmp_path)).instantiate()
    for name, addr in SIMD_CASES:
        with pytest.raises(runtime.Trap) as t:
            getattr(inst.exports, name)(addr)
        assert t.value.kind is runtime.TrapCode.MEMORY_OUT_OF_BOUNDS, name
        getattr(inst.exports, name)(0)  # in bounds: returns
