"""Batched bounds checks (aot.translate.memory.batching): one check per group of accesses
that share an address, and exactly the traps and memory effects of checking each access.

Every behaviour test runs three ways: bounds with batching (the default), bounds without
(`batch_checks=False`), and guard; all three must agree on the trap and on what memory
and globals hold afterwards.
"""
from __future__ import annotations

import re

import pytest

from aot.compiler import compile_wasm
from aot.decode import decode_module
from aot.model import Instr, MemArg
from aot.translate.memory.batching import plan_checks
from tests.unit.translate_harness import wat_to_wasm

runtime = pytest.importorskip("runtime")

PAGE = 65536


def _m(offset=0, memory=0):
    return MemArg(2, offset, memory)


def _body(*ops) -> list[Instr]:
    return [Instr(op, imm, i) for i, (op, imm) in enumerate(ops)]


def _groups(body):
    """{leader position: [covered positions]} and the group ends, from the plan."""
    plan = plan_checks(body)
    groups: dict[int, list[int]] = {}
    for pos, c in sorted(plan.items()):
        if c.leader == pos:
            groups.setdefault(pos, [])
        else:
            groups.setdefault(c.leader, []).append(pos)
    return groups, {pos: c.group_end for pos, c in plan.items() if c.leader == pos}


# ---- the plan ----------------------------------------------------------------------

def test_struct_fields_form_one_group():
    body = _body(("local.get", 0), ("i32.load", _m(0)),
                 ("local.get", 0), ("i32.load", _m(12)), ("i32.add", None),
                 ("local.get", 0), ("i64.load", _m(4)), ("i32.wrap_i64", None), ("i32.add", None),
                 ("end", None))
    groups, ends = _groups(body)
    assert groups == {1: [3, 6]} and ends == {1: 16}


def test_local_tee_and_set_keep_the_value():
    body = _body(("local.get", 1), ("local.tee", 0), ("i32.load", _m(0)), ("drop", None),
                 ("local.get", 0), ("local.set", 2), ("local.get", 2), ("i32.load", _m(8)),
                 ("end", None))
    assert _groups(body)[0] == {2: [7]}


def test_a_written_local_is_another_address():
    body = _body(("local.get", 0), ("i32.load", _m(0)), ("drop", None),
                 ("i32.const", 4), ("local.set", 0),
                 ("local.get", 0), ("i32.load", _m(8)), ("end", None))
    assert plan_checks(body) == {}


@pytest.mark.parametrize("barrier", [
    [("call", 0)], [("i32.const", 1), ("global.set", 0)], [("i32.const", 1), ("memory.grow", 0), ("drop", None)],
    [("i32.const", 1), ("i32.const", 0), ("i32.div_u", None), ("drop", None)],
    [("f32.const", 0), ("i32.trunc_f32_s", None), ("drop", None)],
    [("i32.const", 0), ("br_if", 0)], [("block", None), ("end", None)], [("nop", None), ("unreachable", None)],
    [("i32.const", 0), ("i32.const", 0), ("i32.const", 0), ("memory.fill", 0)],
])
def test_nothing_observable_may_lie_inside_a_group(barrier):
    body = _body(("local.get", 0), ("i32.load", _m(0)), ("drop", None), *barrier,
                 ("local.get", 0), ("i32.load", _m(8)), ("drop", None), ("end", None))
    assert plan_checks(body) == {}


def test_pure_code_between_is_fine():
    body = _body(("local.get", 0), ("i32.load", _m(0)),
                 ("i32.const", 3), ("i32.mul", None), ("f32.const", 0), ("f32.sqrt", None),
                 ("i32.trunc_sat_f32_s", None), ("i32.add", None), ("global.get", 0), ("select", None),
                 ("local.get", 0), ("i32.load", _m(8)), ("end", None))
    assert _groups(body)[0] == {1: [11]}


def test_a_store_is_only_ever_the_last_member():
    # load p, store p+4 (last of the group), load p+8: a new group (alone, so unplanned)
    body = _body(("local.get", 0), ("i32.load", _m(0)), ("local.set", 1),
                 ("local.get", 0), ("local.get", 1), ("i32.store", _m(4)),
                 ("local.get", 0), ("i32.load", _m(8)), ("drop", None), ("end", None))
    groups, ends = _groups(body)
    assert groups == {1: [5]} and ends == {1: 8}


def test_a_store_elsewhere_closes_every_group():
    body = _body(("local.get", 0), ("i32.load", _m(0)), ("drop", None),
                 ("local.get", 1), ("i32.const", 5), ("i32.store", _m(0)),
                 ("local.get", 0), ("i32.load", _m(8)), ("drop", None), ("end", None))
    assert plan_checks(body) == {}


def test_memories_and_simd_accesses():
    body = _body(("local.get", 0), ("i32.load", _m(0, 1)), ("drop", None),
                 ("local.get", 0), ("v128.load", _m(0)), ("drop", None),
                 ("local.get", 0), ("v128.const", bytes(16)), ("v128.load32_lane", (_m(32), 1)),
                 ("drop", None), ("local.get", 0), ("i32.load8_u", _m(7, 1)), ("drop", None),
                 ("end", None))
    groups, ends = _groups(body)
    assert groups == {1: [11], 4: [8]} and ends == {1: 8, 4: 36}


# ---- the emitted checks ------------------------------------------------------------

STRUCT = """
(module
  (memory 1)
  (func (export "f") (param $p i32) (result i64)
    (i64.add
      (i64.add (i64.extend_i32_u (i32.load offset=0 (local.get $p)))
               (i64.load offset=8 (local.get $p)))
      (i64.add (i64.extend_i32_u (i32.load16_u offset=16 (local.get $p)))
               (i64.add (i64.load32_u offset=20 (local.get $p))
                        (i64.extend_i32_u (i32.load8_u offset=24 (local.get $p))))))))
"""


@pytest.mark.parametrize("opt_level", [0, 2])
def test_one_check_for_a_struct(opt_level):
    wasm = wat_to_wasm(STRUCT)
    counts = {}
    for batch in (True, False):
        ir = compile_wasm(wasm, memory="bounds", emit="llvm-ir", opt_level=opt_level,
                          batch_checks=batch).decode()
        counts[batch] = len(re.findall(r"icmp (?:samesign )?ugt i64", ir))
    assert counts[True] == 1
    if opt_level == 0:
        assert counts[False] == 5
    # and the one check is for the whole struct: addr + 25
    ir = compile_wasm(wasm, memory="bounds", emit="llvm-ir", opt_level=0).decode()
    assert re.search(r"add nuw i64 %\S+, 25\b", ir)


def test_plan_of_a_real_function():
    module = decode_module(wat_to_wasm(STRUCT))
    plan = plan_checks(module.codes[0].body)
    assert sum(1 for pos, c in plan.items() if c.leader == pos) == 1
    assert len(plan) == 5 and {c.group_end for c in plan.values()} == {25}


# ---- exactness at run time -----------------------------------------------------------

EXACT = """
(module
  (memory (export "mem") 1)
  (global $g (export "g") (mut i32) (i32.const 0))
  ;; nothing observable between: the group's check may trap at the first access
  (func (export "loads") (param $p i32) (result i32)
    (i32.add (i32.load offset=0 (local.get $p)) (i32.load offset=8 (local.get $p))))
  ;; a store, then an access of the same group beyond it: the store must happen
  (func (export "store_then_load") (param $p i32) (result i32)
    (i32.store offset=0 (local.get $p) (i32.const 0x11223344))
    (i32.load offset=8 (local.get $p)))
  ;; load p, store to q, load p+8: the store to q must happen
  (func (export "store_between") (param $p i32) (param $q i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load offset=0 (local.get $p)))
    (i32.store (local.get $q) (i32.const 0x55667788))
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p))))
  ;; a global.set between: it must happen
  (func (export "global_between") (param $p i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load offset=0 (local.get $p)))
    (global.set $g (i32.const 42))
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p))))
  ;; a division by zero between: that trap wins
  (func (export "div_between") (param $p i32) (param $d i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load offset=0 (local.get $p)))
    (local.set $x (i32.div_u (local.get $x) (local.get $d)))
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p))))
  ;; load then store of one group: the store is out of bounds, nothing is written
  (func (export "load_then_store") (param $p i32)
    (i32.store offset=8 (local.get $p) (i32.add (i32.load offset=0 (local.get $p)) (i32.const 1))))
  ;; SIMD: a v128 store, then a v128 load beyond it (bitmask uses every byte: with
  ;; extract_lane 0, LLVM may narrow the load to 4 bytes, and guard then misses the fault)
  (func (export "v128_store_then_load") (param $p i32) (result i32)
    (v128.store offset=0 (local.get $p) (v128.const i32x4 1 2 3 4))
    (i8x16.bitmask (v128.load offset=16 (local.get $p))))
  ;; SIMD: lane load and load then store, the store out of bounds
  (func (export "v128_load_then_store") (param $p i32)
    (v128.store offset=16 (local.get $p)
      (v128.load32_lane offset=4 1 (local.get $p) (v128.load offset=0 (local.get $p)))))
)
"""

VARIANTS = [("bounds", True), ("bounds", False), ("guard", True)]


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    """The EXACT module compiled each way of VARIANTS."""
    wasm, cache = wat_to_wasm(EXACT), tmp_path_factory.mktemp("cache")
    return {(strategy, batch): runtime.load(compile_wasm(wasm, memory=strategy, batch_checks=batch),
                                            cache_dir=cache)
            for strategy, batch in VARIANTS}


def _outcome(inst, name, *args):
    try:
        return ("ok", getattr(inst.exports, name)(*args))
    except runtime.Trap as t:
        return ("trap", t.kind)


CASES = [
    # (export, args, bytes of memory to read afterwards)
    ("loads", (PAGE - 4,), ()),
    ("loads", (PAGE - 12,), ()),
    ("store_then_load", (PAGE - 4,), ((PAGE - 4, 4),)),
    ("store_then_load", (PAGE - 8,), ((PAGE - 8, 4),)),
    ("store_between", (PAGE - 4, 100), ((100, 4),)),
    ("global_between", (PAGE - 4,), ()),
    ("div_between", (PAGE - 4, 0), ()),
    ("div_between", (PAGE - 4, 1), ()),
    ("load_then_store", (PAGE - 8,), ((PAGE - 8, 8),)),
    ("load_then_store", (PAGE - 12,), ((PAGE - 12, 12),)),
    ("v128_store_then_load", (PAGE - 16,), ((PAGE - 16, 16),)),
    ("v128_store_then_load", (PAGE - 20,), ((PAGE - 20, 20),)),
    ("v128_load_then_store", (PAGE - 16,), ((PAGE - 16, 16),)),
    ("v128_load_then_store", (PAGE - 32,), ((PAGE - 32, 32),)),
]


@pytest.mark.parametrize("name,args,reads", CASES)
def test_batched_checks_trap_exactly_like_unbatched(modules, name, args, reads):
    results = []
    for variant in VARIANTS:
        inst = modules[variant].instantiate({})
        inst.exports.mem.write(PAGE - 64, bytes(range(1, 65)))
        out = _outcome(inst, name, *args)
        after = [inst.exports.mem.read(o, n) for o, n in reads]
        results.append((out, after, inst.exports.g.value))
    assert results[0] == results[1] == results[2], (name, args, results)


def test_the_expected_outcomes(modules):
    inst = modules["bounds", True].instantiate({})
    mem = inst.exports.mem
    kind = runtime.TrapCode
    assert _outcome(inst, "loads", PAGE - 4) == ("trap", kind.MEMORY_OUT_OF_BOUNDS)
    assert _outcome(inst, "store_then_load", PAGE - 4) == ("trap", kind.MEMORY_OUT_OF_BOUNDS)
    assert mem.read(PAGE - 4, 4) == (0x11223344).to_bytes(4, "little")  # the store happened
    assert _outcome(inst, "store_between", PAGE - 4, 100) == ("trap", kind.MEMORY_OUT_OF_BOUNDS)
    assert mem.read(100, 4) == (0x55667788).to_bytes(4, "little")
    assert _outcome(inst, "global_between", PAGE - 4) == ("trap", kind.MEMORY_OUT_OF_BOUNDS)
    assert inst.exports.g.value == 42
    assert _outcome(inst, "div_between", PAGE - 4, 0) == ("trap", kind.INTEGER_DIVIDE_BY_ZERO)
    mem.write(PAGE - 8, bytes(8))
    assert _outcome(inst, "load_then_store", PAGE - 8) == ("trap", kind.MEMORY_OUT_OF_BOUNDS)
    assert mem.read(PAGE - 8, 8) == bytes(8)
    mem.write(PAGE - 20, bytes(20))
    assert _outcome(inst, "v128_store_then_load", PAGE - 20) == ("trap", kind.MEMORY_OUT_OF_BOUNDS)
    assert mem.read(PAGE - 20, 16) == b"".join(i.to_bytes(4, "little") for i in (1, 2, 3, 4))
    assert _outcome(inst, "loads", PAGE - 12)[0] == "ok"


# ---- loop versioning -------------------------------------------------------------------

LOOPS = """
(module
  (memory (export "mem") 1)
  ;; sum of n words from p up (n-- != 0; n = 0 runs 2**32 times)
  (func (export "sum") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))
  ;; dst[i] = src[i] + 1 for i in 0 .. until i == n (i != n; i += 1): stores, then a fault
  (func (export "copy") (param $dst i32) (param $src i32) (param $n i32) (local $i i32)
    (loop $l
      (i32.store offset=4
        (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
        (i32.add (i32.const 1)
          (i32.load16_u offset=2 (i32.add (local.get $src) (i32.mul (local.get $i) (i32.const 2))))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
  ;; downwards: p -= 8 each time, a byte store and a v128 load
  (func (export "down") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (loop $l
      (i32.store8 (local.get $p) (local.get $n))
      (local.set $s (i32.add (local.get $s)
        (i8x16.bitmask (v128.load offset=1 (local.get $p)))))
      (local.set $p (i32.sub (local.get $p) (i32.const 8)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  ;; unrolled by two, counting up to n by 2 (i != n); odd n only ends by a trap
  (func (export "pairs") (param $p i32) (param $n i32) (local $i i32)
    (loop $l
      (f64.store (local.get $p) (f64.add (f64.load offset=8 (local.get $p)) (f64.const 1)))
      (f64.store offset=8 (local.get $p) (f64.const 2))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $l (i32.ne (local.get $n) (local.tee $i (i32.add (local.get $i) (i32.const 2)))))))
  ;; a counter stepping by -3 (odd: always ends) and an address stepping by 12
  (func (export "thirds") (param $p i32) (param $n i32)
    (loop $l
      (i32.store offset=2 (local.get $p) (local.get $n))
      (local.set $p (i32.add (local.get $p) (i32.const 12)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 3))))))
)
"""

LOOP_VARIANTS = [("bounds", True), ("bounds", False), ("guard", True)]


@pytest.fixture(scope="module")
def loop_modules(tmp_path_factory):
    wasm, cache = wat_to_wasm(LOOPS), tmp_path_factory.mktemp("cache")
    return {(s, b): runtime.load(compile_wasm(wasm, memory=s, batch_checks=b), cache_dir=cache)
            for s, b in LOOP_VARIANTS}


def test_the_loops_are_versioned():
    from aot.translate.memory.loops import plan_loops
    module = decode_module(wat_to_wasm(LOOPS))
    steps = []
    for code in module.codes:
        (plan,) = plan_loops(code.body).values()
        steps.append((plan.cond_step, sorted(a.step for a in plan.accesses)))
    assert steps == [(-1, [4]), (1, [2, 4]), (-1, [-8, -8]), (-2, [16, 16, 16]), (-3, [12])]
    ir = compile_wasm(wat_to_wasm(LOOPS), memory="bounds", emit="llvm-ir", opt_level=0).decode()
    # only the checked copies check: one check per access, except the group f64.load
    # offset=8 + f64.store: 1 + 2 + 2 + 2 + 1
    assert len(re.findall(r"icmp ugt i64", ir)) == 8


_W = (1 << 32) - 1
LOOP_CASES = (
    [("sum", (p, n)) for p in (0, 4, PAGE - 40, PAGE - 4, PAGE - 2, PAGE, _W - 3, _W - 7)
     for n in (1, 2, 10, 11, 0)]
    + [("copy", (d, s, n)) for d, s in ((0, 100), (PAGE - 48, 0), (PAGE - 44, 8), (0, PAGE - 22),
                                        (_W - 11, 0), (0, _W - 3)) for n in (1, 5, 10, 11, 12)]
    + [("down", (p, n)) for p in (0, 7, 80, 81, 95, PAGE - 17, PAGE - 16, PAGE, _W)
       for n in (1, 2, 10, 11, 12)]
    + [("pairs", (p, n)) for p in (0, 8, PAGE - 160, PAGE - 168, PAGE - 16, _W - 15)
       for n in (2, 10, 20, 0, 7, 11)]
    + [("thirds", (p, n)) for p in (0, 5, PAGE - 126, PAGE - 130, _W - 5)
       for n in (3, 30, 31, 32, 1, 2)]
)


@pytest.mark.parametrize("name,args", LOOP_CASES)
def test_versioned_loops_trap_exactly_like_unversioned(loop_modules, name, args):
    results = []
    for variant in LOOP_VARIANTS:
        inst = loop_modules[variant].instantiate({})
        inst.exports.mem.write(0, bytes(range(256)) * 4)
        inst.exports.mem.write(PAGE - 1024, bytes(range(256)) * 4)
        out = _outcome(inst, name, *args)
        results.append((out, inst.exports.mem.read(0, PAGE)))
    bounds, unbatched, guard = results
    assert bounds == unbatched, (name, args, bounds[0], unbatched[0])
    assert bounds[0] == guard[0], (name, args, bounds[0], guard[0])


@pytest.mark.parametrize("body,planned", [
    # the plain counted loop: planned
    ("(i32.store (local.get 0) (i32.const 0))"
     "(local.set 0 (i32.add (local.get 0) (i32.const 4)))"
     "(br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 1))))", True),
    # a counter stepping by 2 (and an address that does not move)
    ("(i32.store (local.get 0) (i32.const 0))"
     "(br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 2))))", True),
    # a comparison result used as a number: not an affine value
    ("(i32.store (local.get 0) (i32.add (i32.ne (local.get 0) (local.get 1)) (i32.const 1)))"
     "(local.set 0 (i32.add (local.get 0) (i32.ne (local.get 0) (local.get 1))))"
     "(br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 1))))", False),
    # eqz, a counter that does not move, a call, a nested block, a varying address: not versioned
    ("(i32.store (local.get 0) (i32.const 0))"
     "(local.set 0 (i32.add (local.get 0) (i32.const 4)))"
     "(br_if 0 (i32.eqz (local.tee 1 (i32.sub (local.get 1) (i32.const 1)))))", False),
    ("(i32.store (local.get 0) (i32.const 0))"
     "(local.set 0 (i32.add (local.get 0) (i32.const 4)))"
     "(br_if 0 (local.get 1))", False),
    ("(i32.store (local.get 0) (i32.const 0)) (call $f)"
     "(br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 1))))", False),
    ("(block (i32.store (local.get 0) (i32.const 0)))"
     "(br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 1))))", False),
    ("(i32.store (local.get 0) (i32.const 0))"
     "(local.set 0 (i32.load (local.get 0)))"
     "(br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 1))))", False),
])
def test_which_loops_are_versioned(body, planned):
    from aot.translate.memory.loops import plan_loops
    wat = f"""(module (memory 1) (func $f)
      (func (param i32 i32) (loop {body})))"""
    module = decode_module(wat_to_wasm(wat))
    assert bool(plan_loops(module.codes[1].body)) == planned
    compile_wasm(wat_to_wasm(wat), memory="bounds", emit="llvm-ir", opt_level=0)  # translates
