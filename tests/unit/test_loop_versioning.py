"""Loop versioning in both strategies (aot.translate.memory.versioning): the fast copy
(i64 addressing, its own exit counter, alias scopes when the access groups are proven
apart) must do exactly what the plain lowering does, whatever the pointers' overlap,
and it must be what makes such loops vectorise.

Every case runs four ways: bounds and guard, each with versioning (the default) and
without (`batch_checks=False`, the plain lowering); the outcome (result or trap) and the
whole memory afterwards must be equal in all four.
"""
from __future__ import annotations

import re

import pytest

from aot.compiler import compile_wasm
from tests.unit.test_batched_checks import _outcome
from tests.unit.translate_harness import wat_to_wasm

runtime = pytest.importorskip("runtime")

PAGE = 65536

LOOPS = """
(module
  (memory (export "mem") 1)
  ;; dst[i] += 3 * src[i], i32, n-- != 0: with dst = src + 4 each store feeds a later load
  (func (export "axpy") (param $dst i32) (param $src i32) (param $n i32)
    (loop $l
      (i32.store (local.get $dst)
        (i32.add (i32.load (local.get $dst)) (i32.mul (i32.load (local.get $src)) (i32.const 3))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; the shape clang gives a loop it unrolled by two: c[j] += a*b[j]; c[j+1] += a*b[j+1]
  ;; through c, c+8 and b, b+8, counting i up to n by 2
  (func (export "unrolled") (param $c i32) (param $b i32) (param $n i32) (local $i i32) (local $c1 i32)
    (loop $l
      (f64.store (local.get $c)
        (f64.add (f64.mul (f64.const 1.5) (f64.load (local.get $b))) (f64.load (local.get $c))))
      (local.set $c1 (i32.add (local.get $c) (i32.const 8)))
      (f64.store (local.get $c1)
        (f64.add (f64.mul (f64.const 1.5) (f64.load offset=8 (local.get $b))) (f64.load (local.get $c1))))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br_if $l (i32.ne (local.get $n) (local.tee $i (i32.add (local.get $i) (i32.const 2)))))))
  ;; bytes, three readers and a writer going down: o[x] = (a[x-1] + 2a[x] + a[x+1]) >> 2
  (func (export "blur") (param $o i32) (param $a i32) (param $n i32)
    (loop $l
      (i32.store8 (local.get $o)
        (i32.shr_u
          (i32.add (i32.add (i32.load8_u offset=0 (local.get $a)) (i32.load8_u offset=2 (local.get $a)))
                   (i32.shl (i32.load8_u offset=1 (local.get $a)) (i32.const 1)))
          (i32.const 2)))
      (local.set $o (i32.sub (local.get $o) (i32.const 1)))
      (local.set $a (i32.sub (local.get $a) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; two loops in one function, the second over what the first wrote
  (func (export "twice") (param $p i32) (param $q i32) (param $n i32) (local $m i32)
    (local.set $m (local.get $n))
    (loop $l
      (i32.store16 (local.get $q) (i32.load16_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (local.set $q (i32.add (local.get $q) (i32.const 2)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (loop $k
      (local.set $q (i32.sub (local.get $q) (i32.const 2)))
      (i32.store16 (local.get $q) (i32.add (i32.load16_u (local.get $q)) (local.get $m)))
      (br_if $k (local.tee $m (i32.sub (local.get $m) (i32.const 1))))))
)
"""

VARIANTS = [("bounds", True), ("bounds", False), ("guard", True), ("guard", False)]


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    wasm, cache = wat_to_wasm(LOOPS), tmp_path_factory.mktemp("cache")
    return {(s, b): runtime.load(compile_wasm(wasm, memory=s, batch_checks=b), cache_dir=cache)
            for s, b in VARIANTS}


_W = (1 << 32) - 1
BASE = 4096
CASES = (
    # the writer before, on, or after the reader, by a few elements: overlap both ways
    [("axpy", (BASE + d, BASE, n)) for d in (-8, -4, 0, 4, 8, 64, 4096) for n in (1, 7, 33, 100)]
    + [("axpy", (PAGE - 40, BASE, n)) for n in (10, 11)]  # the last store faults
    + [("axpy", (BASE, _W - 3, 2),)]  # the reader wraps
    + [("unrolled", (BASE + d, BASE, n)) for d in (-16, -8, 0, 8, 16, 24, 800) for n in (2, 16, 34, 5)]
    + [("unrolled", (PAGE - 160, BASE, n)) for n in (20, 22)]
    + [("blur", (BASE + 200 + d, BASE + 200, n)) for d in (-2, -1, 0, 1, 2, 3, 500) for n in (1, 3, 64, 65)]
    + [("blur", (BASE, 1, n)) for n in (1, 2, 3)]  # a - 1 reaches below 0 and wraps
    + [("twice", (BASE + d, BASE, n)) for d in (-4, -2, 0, 2, 4, 100) for n in (1, 9, 40)]
)


@pytest.mark.parametrize("name,args", CASES)
def test_versioned_loops_equal_the_plain_lowering(modules, name, args):
    results = {}
    for variant in VARIANTS:
        inst = modules[variant].instantiate({})
        mem = inst.exports.mem
        mem.write(0, bytes((i * 7 + 3) & 0xFF for i in range(8192)))
        mem.write(PAGE - 1024, bytes(range(256)) * 4)
        results[variant] = (_outcome(inst, name, *args), mem.read(0, PAGE))
    plain = results["bounds", False]
    for variant, got in results.items():
        assert got[0] == plain[0], (variant, name, args, got[0], plain[0])
        assert got[1] == plain[1], (variant, name, args, "memory differs")


def _function(ir: str, index: int) -> str:
    return ir.split(f"@wasm_func_{index}(", 1)[1].split("\ndefine ", 1)[0]


def test_the_fast_copies_vectorise():
    """What the versioning is for: at -O2 the `unrolled` loop (two neighbours through
    separate pointers, the shape clang's unroller gives) gets vector loads and stores in
    both strategies only with it: without, its i32 addresses may wrap (guard: gathers and
    scatters; bounds: scalar), and LLVM's own alias checks would compare c with c + 8."""
    wasm = wat_to_wasm(LOOPS)
    for strategy in ("guard", "bounds"):
        ir = _function(compile_wasm(wasm, memory=strategy, emit="llvm-ir").decode(), 1)
        plain = _function(compile_wasm(wasm, memory=strategy, emit="llvm-ir", batch_checks=False).decode(), 1)
        assert re.search(r"store <\d+ x double>", ir), strategy
        assert not re.search(r"store <\d+ x double>", plain), strategy


def test_alias_scopes_only_with_the_disjointness_test():
    """Groups with different bases get alias scopes, and the copy that carries them is
    entered only under a test that their ranges are apart."""
    ir = compile_wasm(wat_to_wasm(LOOPS), memory="guard", emit="llvm-ir", opt_level=0).decode()
    assert "!alias.scope" in ir and "!noalias" in ir
    # five loops; four have two groups (writer and reader): three copies (scoped,
    # unscoped, plain), the other (one group) two. The fast ones exit on the i64 counter.
    domains = set(re.findall(r'!\{ !"(aot\.f\d+\.loop\d+)" \}', ir))
    assert domains == {"aot.f0.loop0", "aot.f1.loop0", "aot.f2.loop0", "aot.f3.loop2"}
    assert len(re.findall(r"icmp ne i64", ir)) == 4 * 2 + 1
