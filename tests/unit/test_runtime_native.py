"""The runtime's C pieces, called directly: memories, tables, bulk bounds, registries."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from aot.abi import GUARD_RESERVATION, TrapCode, WASM_PAGE_SIZE
from runtime._native_loader import ffi, lib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE = WASM_PAGE_SIZE
GUARD, BOUNDS = lib.AOT_STRATEGY_GUARD, lib.AOT_STRATEGY_BOUNDS
NO_MAX = 2**64 - 1
OOB_MEM = TrapCode.MEMORY_OUT_OF_BOUNDS
OOB_TABLE = TrapCode.TABLE_OUT_OF_BOUNDS


@pytest.fixture(params=["guard", "bounds"])
def new_memory(request):
    strategy = GUARD if request.param == "guard" else BOUNDS
    made = []

    def make(min_pages, max_pages=NO_MAX):
        err = ffi.new("int *")
        m = lib.aot_memory_new(strategy, min_pages, max_pages, err)
        assert m != ffi.NULL, err[0]
        made.append(m)
        return m

    yield make
    for m in made:
        lib.aot_memory_free(m)


def addr(p) -> int:
    return int(ffi.cast("uintptr_t", p))


# ---- memories -----------------------------------------------------------------------

def test_memory_starts_zeroed_with_min_pages(new_memory):
    m = new_memory(2)
    assert m.length == 2 * PAGE
    assert bytes(ffi.buffer(m.base, 2 * PAGE)) == bytes(2 * PAGE)


def test_zero_page_memory_has_a_valid_base(new_memory):
    m = new_memory(0)
    assert m.length == 0 and m.base != ffi.NULL
    assert lib.aot_memory_grow(m, 1) == 0
    m.base[PAGE - 1] = 7  # usable after the grow
    assert m.base[PAGE - 1] == 7


def test_grow_keeps_contents_and_honours_max(new_memory):
    m = new_memory(1, 3)
    m.base[5] = 42
    assert lib.aot_memory_grow(m, 0) == 1
    assert lib.aot_memory_grow(m, 2) == 1
    assert m.length == 3 * PAGE and m.base[5] == 42 and m.base[3 * PAGE - 1] == 0
    assert lib.aot_memory_grow(m, 1) == -1  # past max: unchanged
    assert m.length == 3 * PAGE


def test_grow_honours_runtime_limit(new_memory):
    m = new_memory(1)
    lib.aot_memory_set_limit(m, 2)
    assert lib.aot_memory_grow(m, 2) == -1
    assert lib.aot_memory_grow(m, 1) == 1


def test_grow_never_passes_4_gib(new_memory):
    m = new_memory(0)
    assert m.max_pages == 65536
    assert lib.aot_memory_grow(m, 65537) == -1
    assert lib.aot_memory_grow(m, 0xFFFFFFFF) == -1


def test_guard_memory_reserves_8_gib_and_registers_it():
    err = ffi.new("int *")
    m = lib.aot_memory_new(GUARD, 1, NO_MAX, err)
    base = addr(m.base)
    try:
        # The ABI's 8 GiB, plus room for a 16-byte access at base + 2 * (2^32 - 1).
        reach = 2 * (2**32 - 1) + 16
        assert m.mapped == lib.AOT_GUARD_MAPPING >= max(GUARD_RESERVATION, reach)
        assert lib.aot_guard_contains(base) and lib.aot_guard_contains(base + reach - 1)
        old_base = base
        assert lib.aot_memory_grow(m, 10) == 1
        assert addr(m.base) == old_base  # a guard memory never moves
    finally:
        lib.aot_memory_free(m)
    assert not lib.aot_guard_contains(base)  # unregistered when freed


def test_bounds_memory_is_not_a_guard_region():
    err = ffi.new("int *")
    m = lib.aot_memory_new(BOUNDS, 1, NO_MAX, err)
    try:
        assert m.mapped == PAGE
        assert not lib.aot_guard_contains(addr(m.base))
    finally:
        lib.aot_memory_free(m)


def test_invalid_limits_are_refused():
    err = ffi.new("int *")
    assert lib.aot_memory_new(GUARD, 3, 2, err) == ffi.NULL
    assert err[0] == lib.AOT_ERR_LIMITS
    assert lib.aot_memory_new(GUARD, 65537, NO_MAX, err) == ffi.NULL


def test_many_guard_memories_free_their_reservations():
    # 64 x 8 GiB = 512 GiB of address space: only works if each free really unmaps.
    err = ffi.new("int *")
    for _ in range(64):
        m = lib.aot_memory_new(GUARD, 1, NO_MAX, err)
        assert m != ffi.NULL
        lib.aot_memory_free(m)


def test_address_space_exhaustion_is_a_clear_error():
    # Under a 2 GiB address-space limit an 8 GiB reservation must fail cleanly.
    code = textwrap.dedent("""
        import resource
        import runtime
        from runtime import ResourceError
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        try:
            runtime.Memory(1)
        except ResourceError as e:
            print("ERROR:", e)
        m = runtime.Memory(1, strategy="bounds")  # the suggested fix works
        print("BOUNDS OK", m.size)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONFAULTHANDLER": ""}, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "ERROR:" in out.stdout and "memory='bounds'" in out.stdout
    assert "BOUNDS OK 1" in out.stdout


# ---- memory bulk operations: exact spec bounds ------------------------------------

def test_memory_fill_bounds(new_memory):
    m = new_memory(1)
    assert lib.aot_memory_fill(m, PAGE, 0xFF, 0) == 0  # n = 0 at the end: fine
    assert lib.aot_memory_fill(m, PAGE + 1, 0xFF, 0) == OOB_MEM  # n = 0 past the end: trap
    assert lib.aot_memory_fill(m, PAGE - 2, 0x1FF, 2) == 0  # value is taken mod 256
    assert m.base[PAGE - 1] == 0xFF
    assert lib.aot_memory_fill(m, PAGE - 2, 1, 3) == OOB_MEM
    assert m.base[PAGE - 2] == 0xFF  # nothing written on a trap
    assert lib.aot_memory_fill(m, 0xFFFFFFFF, 0, 0xFFFFFFFF) == OOB_MEM  # no u32 wrap-around


def test_memory_copy_is_memmove_and_checks_both_ranges(new_memory):
    m = new_memory(1)
    ffi.memmove(m.base, b"abcdef", 6)
    assert lib.aot_memory_copy(m, m, 2, 0, 4) == 0  # overlapping, forwards
    assert bytes(m.base[0:6]) == b"ababcd"
    assert lib.aot_memory_copy(m, m, 0, 2, 4) == 0  # overlapping, backwards
    assert bytes(m.base[0:6]) == b"abcdcd"
    assert lib.aot_memory_copy(m, m, PAGE, 0, 0) == 0
    assert lib.aot_memory_copy(m, m, 0, PAGE, 0) == 0
    assert lib.aot_memory_copy(m, m, PAGE + 1, 0, 0) == OOB_MEM
    assert lib.aot_memory_copy(m, m, 0, PAGE + 1, 0) == OOB_MEM
    assert lib.aot_memory_copy(m, m, 0, PAGE - 1, 2) == OOB_MEM
    other = new_memory(2)
    assert lib.aot_memory_copy(other, m, PAGE, 0, PAGE) == 0  # between memories
    assert bytes(other.base[PAGE:PAGE + 4]) == b"abcd"


def test_memory_init_checks_segment_and_memory(new_memory):
    m = new_memory(1)
    data = ffi.new("uint8_t[]", b"hello")
    seg = ffi.new("VMDataSegment *")
    seg.data, seg.length = data, 5
    assert lib.aot_memory_init(m, seg, 10, 1, 4) == 0
    assert bytes(m.base[10:14]) == b"ello"
    assert lib.aot_memory_init(m, seg, 0, 5, 0) == 0  # s == len, n = 0: fine
    assert lib.aot_memory_init(m, seg, 0, 6, 0) == OOB_MEM
    assert lib.aot_memory_init(m, seg, PAGE - 1, 0, 2) == OOB_MEM
    seg.length = 0  # data.drop
    assert lib.aot_memory_init(m, seg, 0, 0, 0) == 0
    assert lib.aot_memory_init(m, seg, 0, 0, 1) == OOB_MEM


# ---- tables -------------------------------------------------------------------------

@pytest.fixture
def new_table():
    made = []

    def make(min_, max_=NO_MAX, init=0):
        err = ffi.new("int *")
        t = lib.aot_table_new(0x70, min_, max_, init, err)
        assert t != ffi.NULL, err[0]
        made.append(t)
        return t

    yield make
    for t in made:
        lib.aot_table_free(t)


def test_table_grow_fills_and_honours_max(new_table):
    t = new_table(2, 5, init=11)
    assert list(t.elements[0:2]) == [11, 11]
    before = addr(t.elements)
    assert lib.aot_table_grow(t, 22, 3) == 2
    assert list(t.elements[0:5]) == [11, 11, 22, 22, 22]
    assert lib.aot_table_grow(t, 0, 1) == -1
    assert lib.aot_table_grow(t, 0, 0) == 5
    assert addr(t.elements) == before  # elements never move


def test_table_without_max_grows_across_pages(new_table):
    t = new_table(0)
    assert t.elements != ffi.NULL
    assert lib.aot_table_grow(t, 5, 100_000) == 0
    assert t.elements[99_999] == 5
    assert lib.aot_table_grow(t, 0, 0xFFFFFFFF) == -1  # beyond what the runtime allows


def test_table_fill_copy_init_bounds(new_table):
    t = new_table(4)
    assert lib.aot_table_fill(t, 4, 1, 0) == 0
    assert lib.aot_table_fill(t, 5, 1, 0) == OOB_TABLE
    assert lib.aot_table_fill(t, 2, 9, 3) == OOB_TABLE
    assert list(t.elements[0:4]) == [0, 0, 0, 0]
    assert lib.aot_table_fill(t, 1, 9, 2) == 0
    assert list(t.elements[0:4]) == [0, 9, 9, 0]
    assert lib.aot_table_copy(t, t, 2, 1, 2) == 0  # overlapping
    assert list(t.elements[0:4]) == [0, 9, 9, 9]
    assert lib.aot_table_copy(t, t, 4, 0, 0) == 0
    assert lib.aot_table_copy(t, t, 0, 5, 0) == OOB_TABLE
    items = ffi.new("uint64_t[]", [1, 2, 3])
    seg = ffi.new("VMElemSegment *")
    seg.items, seg.length = items, 3
    assert lib.aot_table_init(t, seg, 0, 1, 2) == 0
    assert list(t.elements[0:2]) == [2, 3]
    assert lib.aot_table_init(t, seg, 0, 2, 2) == OOB_TABLE
    assert lib.aot_table_init(t, seg, 3, 3, 0) == 0
    assert lib.aot_table_init(t, seg, 0xFFFFFFFF, 0, 0xFFFFFFFF) == OOB_TABLE


def test_oversized_table_is_refused():
    err = ffi.new("int *")
    assert lib.aot_table_new(0x70, lib.AOT_TABLE_MAX_ELEMENTS + 1, NO_MAX, 0, err) == ffi.NULL
    assert err[0] == lib.AOT_ERR_LIMITS


# ---- registries and the stack limit --------------------------------------------------

def test_code_registry_add_remove_and_reuse():
    a = lib.aot_code_register(0x1000, 0x2000)
    b = lib.aot_code_register(0x5000, 0x6000)
    assert a >= 0 and b >= 0 and a != b
    assert lib.aot_code_contains(0x1000) and lib.aot_code_contains(0x1FFF)
    assert not lib.aot_code_contains(0x2000) and lib.aot_code_contains(0x5800)
    lib.aot_code_unregister(a)
    assert not lib.aot_code_contains(0x1800)
    c = lib.aot_code_register(0x9000, 0xA000)
    assert c == a  # the freed slot is reused
    lib.aot_code_unregister(b)
    lib.aot_code_unregister(c)
    assert lib.aot_code_register(0x10, 0x10) == -1  # empty range


def test_stack_margin_moves_the_limit():
    try:
        lib.aot_set_stack_margin(200 * 1024)
        a = lib.aot_thread_stack_limit()
        lib.aot_set_stack_margin(300 * 1024)
        b = lib.aot_thread_stack_limit()
    finally:
        lib.aot_set_stack_margin(0)  # back to automatic
    assert b - a == 100 * 1024


def test_each_thread_gets_its_own_stack_limit():
    import threading
    limits = {}

    def record(name):
        limits[name] = lib.aot_thread_stack_limit()

    t = threading.Thread(target=record, args=("thread",))
    t.start()
    t.join()
    record("main")
    assert limits["thread"] and limits["main"] and limits["thread"] != limits["main"]


def test_trap_outside_any_wasm_call_aborts_instead_of_jumping():
    # With no active aot_invoke there is no valid jump buffer: the runtime must stop
    # the process with a message rather than jump anywhere.
    code = textwrap.dedent("""
        import runtime
        from runtime._native_loader import ffi, lib
        trap = ffi.cast("void (*)(uint32_t, uint32_t)", ffi.cast("void **", lib.aot_builtins_table())[0])
        trap(1, 0)
        print("NOT REACHED")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=REPO)
    assert out.returncode == -6  # SIGABRT
    assert "trap was raised outside any Wasm call" in out.stderr
    assert "NOT REACHED" not in out.stdout
