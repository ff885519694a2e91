"""Out-of-bounds memory accesses at every edge trap, in both strategies, and write nothing."""
from __future__ import annotations

import pytest

from runtime import Trap, TrapCode

STRATEGIES = ("guard", "bounds")

EDGES = """
(module
  (memory (export "mem") 1)
  (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u)
  (func (export "load32") (param i32) (result i32) local.get 0 i32.load)
  (func (export "load32_off4") (param i32) (result i32) local.get 0 i32.load offset=4)
  (func (export "load8_offmax") (param i32) (result i32) local.get 0 i32.load8_u offset=0xFFFFFFFF)
  (func (export "load64_offmax") (param i32) (result i64) local.get 0 i64.load offset=0xFFFFFFFF)
  (func (export "store8") (param i32 i32) local.get 0 local.get 1 i32.store8)
  (func (export "store64") (param i32 i64) local.get 0 local.get 1 i64.store)
  (func (export "store8_offmax") (param i32) local.get 0 i32.const 1 i32.store8 offset=0xFFFFFFFF)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "fill") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.fill)
  (func (export "copy") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.copy))
"""

PAGE = 65536


def oob(call, *args):
    with pytest.raises(Trap) as info:
        call(*args)
    assert info.value.kind is TrapCode.MEMORY_OUT_OF_BOUNDS, info.value
    assert info.value.message == "out of bounds memory access"


@pytest.fixture(params=STRATEGIES)
def edges(request, instantiate):
    return instantiate(EDGES, request.param).exports


def test_last_byte_and_one_past(edges):
    assert edges.load8(PAGE - 1) == 0
    oob(edges.load8, PAGE)
    assert edges.load32(PAGE - 4) == 0
    oob(edges.load32, PAGE - 3)  # starts inside, ends outside
    edges.store8(PAGE - 1, 5)
    oob(edges.store8, PAGE, 5)
    assert edges.load8(PAGE - 1) == 5


def test_address_plus_offset_does_not_wrap_at_4_gib(edges):
    edges.mem.write(0, b"\x11\x22\x33\x44")
    # 0xFFFFFFFC + 4 is 2^32 exactly: with 32-bit arithmetic it would wrap to address 0.
    oob(edges.load32_off4, 0xFFFFFFFC)
    oob(edges.load32_off4, PAGE - 4)
    assert edges.load32_off4(PAGE - 8) == 0
    oob(edges.load8_offmax, 1)  # 2^32
    oob(edges.load8_offmax, 0)  # offset alone is past the end


def test_largest_address_and_offset_about_8_gib_away(edges):
    oob(edges.load8_offmax, 0xFFFFFFFF)
    oob(edges.load64_offmax, 0xFFFFFFFF)  # the widest access at the farthest address
    oob(edges.store8_offmax, 0xFFFFFFFF)
    oob(edges.load32, 0xFFFFFFFF)
    oob(edges.load32, 0x80000000)  # a "negative" i32 address is still unsigned


def test_straddling_store_writes_nothing(edges):
    edges.mem.write(PAGE - 4, b"abcd")
    oob(edges.store64, PAGE - 4, -1)
    assert edges.mem.read(PAGE - 4, 4) == b"abcd"


def test_grow_moves_the_edge(edges):
    oob(edges.load8, PAGE)
    assert edges.grow(1) == 1
    assert edges.load8(2 * PAGE - 1) == 0
    oob(edges.load8, 2 * PAGE)
    assert edges.grow(65535) == -1  # 2 + 65535 pages is more than 4 GiB
    assert edges.grow(0xFFFFFFFF) == -1
    assert edges.grow(0) == 2


def test_bulk_operations_at_the_edges(edges):
    edges.fill(PAGE, 7, 0)  # zero bytes at the very end: allowed
    oob(edges.fill, PAGE + 1, 7, 0)
    oob(edges.fill, 1, 7, 0xFFFFFFFF)  # would wrap in 32 bits
    oob(edges.fill, PAGE - 1, 7, 2)
    assert edges.load8(PAGE - 1) == 0  # nothing written
    edges.copy(PAGE, 0, 0)
    oob(edges.copy, 0, PAGE - 1, 2)
    oob(edges.copy, 0xFFFFFFFF, 0, 1)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_empty_memory_has_no_accessible_byte(instantiate, strategy):
    e = instantiate("""
      (module
        (memory 0)
        (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
        (func (export "store") (param i32) local.get 0 i32.const 1 i32.store8))""", strategy).exports
    oob(e.load, 0)
    oob(e.store, 0)
    oob(e.load, 0xFFFFFFFF)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_many_traps_in_a_row_leave_the_runtime_healthy(instantiate, strategy):
    e = instantiate(EDGES, strategy).exports
    for i in range(2000):
        oob(e.load32, PAGE + i)
    e.store8(3, 9)
    assert e.load8(3) == 9
