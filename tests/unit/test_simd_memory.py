"""SIMD loads and stores under both memory strategies: every kind reads/writes the right
bytes and lanes, works up to the last byte of memory, and traps as soon as one accessed
byte is past the end (also through the offset immediate, an address that would wrap,
and a load whose value is dropped). A trapping store writes nothing under BOUNDS."""
from __future__ import annotations

import pytest

from runtime import Trap, TrapCode
from tests.unit.simd_support import STRATEGIES, instantiate, lanes

PAGE = 65536

# (export name, access size in bytes, WAT of the access with the address in local 0)
LOADS = [
    ("load", 16, "(v128.load (local.get 0))"),
    ("load_off", 16, "(v128.load offset=16 (local.get 0))"),
    ("load_far", 16, "(v128.load offset=0xFFFFFFFF (local.get 0))"),
    ("load8x8_s", 8, "(v128.load8x8_s (local.get 0))"),
    ("load8x8_u", 8, "(v128.load8x8_u (local.get 0))"),
    ("load16x4_s", 8, "(v128.load16x4_s (local.get 0))"),
    ("load16x4_u", 8, "(v128.load16x4_u (local.get 0))"),
    ("load32x2_s", 8, "(v128.load32x2_s (local.get 0))"),
    ("load32x2_u", 8, "(v128.load32x2_u (local.get 0))"),
    ("load8_splat", 1, "(v128.load8_splat (local.get 0))"),
    ("load16_splat", 2, "(v128.load16_splat (local.get 0))"),
    ("load32_splat", 4, "(v128.load32_splat (local.get 0))"),
    ("load64_splat", 8, "(v128.load64_splat (local.get 0))"),
    ("load32_zero", 4, "(v128.load32_zero (local.get 0))"),
    ("load64_zero", 8, "(v128.load64_zero (local.get 0))"),
    ("load8_lane", 1, "(v128.load8_lane 15 (local.get 0) (local.get 1))"),
    ("load16_lane", 2, "(v128.load16_lane 7 (local.get 0) (local.get 1))"),
    ("load32_lane", 4, "(v128.load32_lane 0 (local.get 0) (local.get 1))"),
    ("load64_lane", 8, "(v128.load64_lane 1 (local.get 0) (local.get 1))"),
]
STORES = [
    ("store", 16, "(v128.store (local.get 0) (local.get 1))"),
    ("store_far", 16, "(v128.store offset=0xFFFFFFF0 (local.get 0) (local.get 1))"),
    ("store8_lane", 1, "(v128.store8_lane 15 (local.get 0) (local.get 1))"),
    ("store16_lane", 2, "(v128.store16_lane 7 (local.get 0) (local.get 1))"),
    ("store32_lane", 4, "(v128.store32_lane 2 (local.get 0) (local.get 1))"),
    ("store64_lane", 8, "(v128.store64_lane 1 (local.get 0) (local.get 1))"),
]


def _module() -> str:
    funcs = [f'(func (export "{name}") (param i32 v128) (result v128) {body})' for name, _, body in LOADS]
    funcs += [f'(func (export "drop_{name}") (param i32 v128) (drop {body}))' for name, _, body in LOADS]
    funcs += [f'(func (export "{name}") (param i32 v128) {body})' for name, _, body in STORES]
    return '(module (memory (export "mem") 1)\n  ' + "\n  ".join(funcs) + ")"


@pytest.fixture(scope="module", params=STRATEGIES)
def inst(request, tmp_path_factory):
    return instantiate(_module(), "host", request.param, str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def ex(inst):
    mem = inst.exports["mem"]
    mem.write(0, bytes(i * 7 % 256 for i in range(PAGE)))
    return inst.exports


def _trap(fn, *args) -> None:
    with pytest.raises(Trap) as e:
        fn(*args)
    assert e.value.kind is TrapCode.MEMORY_OUT_OF_BOUNDS


def _mem(ex, at: int, n: int) -> bytes:
    return bytes(ex["mem"].read(at, n))


BASE = bytes(range(0xA0, 0xB0))


def test_loads_read_the_right_bytes(ex):
    at = 1001  # unaligned on purpose
    m = _mem(ex, at, 32)
    assert ex["load"](at, BASE).to_bytes(16, "little") == m[:16]
    assert ex["load_off"](at, BASE).to_bytes(16, "little") == m[16:32]
    signed = [b - 256 if b > 127 else b for b in m[:8]]
    assert lanes("i16", ex["load8x8_s"](at, BASE)) == signed
    assert lanes("u16", ex["load8x8_u"](at, BASE)) == list(m[:8])
    words = [int.from_bytes(m[i:i + 2], "little") for i in range(0, 8, 2)]
    assert lanes("u32", ex["load16x4_u"](at, BASE)) == words
    assert lanes("i32", ex["load16x4_s"](at, BASE)) == [w - 65536 if w > 32767 else w for w in words]
    dwords = [int.from_bytes(m[i:i + 4], "little") for i in (0, 4)]
    assert lanes("u64", ex["load32x2_u"](at, BASE)) == dwords
    assert lanes("i64", ex["load32x2_s"](at, BASE)) == [d - (1 << 32) if d >> 31 else d for d in dwords]
    assert lanes("u8", ex["load8_splat"](at, BASE)) == [m[0]] * 16
    assert ex["load16_splat"](at, BASE).to_bytes(16, "little") == m[:2] * 8
    assert ex["load32_splat"](at, BASE).to_bytes(16, "little") == m[:4] * 4
    assert ex["load64_splat"](at, BASE).to_bytes(16, "little") == m[:8] * 2
    assert ex["load32_zero"](at, BASE).to_bytes(16, "little") == m[:4] + bytes(12)
    assert ex["load64_zero"](at, BASE).to_bytes(16, "little") == m[:8] + bytes(8)


def test_lane_loads_replace_one_lane(ex):
    at = 333
    m = _mem(ex, at, 8)
    assert ex["load8_lane"](at, BASE).to_bytes(16, "little") == BASE[:15] + m[:1]
    assert ex["load16_lane"](at, BASE).to_bytes(16, "little") == BASE[:14] + m[:2]
    assert ex["load32_lane"](at, BASE).to_bytes(16, "little") == m[:4] + BASE[4:]
    assert ex["load64_lane"](at, BASE).to_bytes(16, "little") == BASE[:8] + m[:8]


def test_stores_write_only_their_bytes(ex):
    at = 4097
    before = _mem(ex, at - 4, 24)
    ex["store"](at, BASE)
    assert _mem(ex, at - 4, 24) == before[:4] + BASE + before[20:]
    for name, size, part in (("store8_lane", 1, BASE[15:]), ("store16_lane", 2, BASE[14:]),
                             ("store32_lane", 4, BASE[8:12]), ("store64_lane", 8, BASE[8:])):
        at += 64
        before = _mem(ex, at - 4, 24)
        ex[name](at, BASE)
        assert _mem(ex, at - 4, 24) == before[:4] + part + before[4 + size:], name


def _offset(body: str) -> int:
    return int(body.split("offset=")[1].split()[0], 0) if "offset=" in body else 0


def test_the_farthest_accesses_trap(ex):
    """Address and offset both near 2**32: the last byte is 8 GiB + 14 past the base."""
    for addr in (0, PAGE, 0xFFFFFFFF):
        _trap(ex["load_far"], addr, BASE)
        _trap(ex["drop_load_far"], addr, BASE)
        _trap(ex["store_far"], addr, BASE)


@pytest.mark.parametrize("name,size,body", [x for x in LOADS if x[0] != "load_far"],
                         ids=[x[0] for x in LOADS if x[0] != "load_far"])
def test_loads_at_the_end_of_memory(ex, name, size, body):
    offset = _offset(body)
    last = PAGE - size - offset
    ex[name](last, BASE)  # the last position where every byte is inside
    for addr in sorted({last + 1, PAGE - 1, PAGE, 0xFFFFFFFF, 0xFFFFFFF0} - {last}):
        _trap(ex[name], addr, BASE)
        _trap(ex[f"drop_{name}"], addr, BASE)  # its value unused: must still trap


@pytest.mark.parametrize("name,size,body", [x for x in STORES if x[0] != "store_far"],
                         ids=[x[0] for x in STORES if x[0] != "store_far"])
def test_stores_at_the_end_of_memory(inst, ex, name, size, body):
    last = PAGE - size
    ex[name](last, BASE)
    tail = _mem(ex, PAGE - 32, 32)
    for addr in sorted({last + 1, PAGE - 1, PAGE, 0xFFFFFFFF} - {last}):
        _trap(ex[name], addr, BASE)
    if inst.module.strategy.value == "bounds":  # checked before the access: nothing written
        assert _mem(ex, PAGE - 32, 32) == tail
