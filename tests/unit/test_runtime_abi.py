"""The C header (runtime/native/aot_abi.h) agrees with aot/abi.py, field by field."""
from __future__ import annotations

import pytest

from aot import abi
from runtime._native_loader import ffi, lib

STRUCTS = [
    ("VMFuncRef", abi.VMFuncRef, {"NATIVE_FN": "native_fn", "VMCTX": "vmctx", "TYPE_ID": "type_id"}),
    ("VMMemory", abi.VMMemory, {"BASE": "base", "LENGTH": "length"}),
    ("VMTable", abi.VMTable, {"ELEMENTS": "elements", "LENGTH": "length"}),
    ("VMDataSegment", abi.VMDataSegment, {"DATA": "data", "LENGTH": "length"}),
    ("VMElemSegment", abi.VMElemSegment, {"ITEMS": "items", "LENGTH": "length"}),
    ("TCtx", abi.TCtx, {"STACK_LIMIT": "stack_limit", "INTERRUPT": "interrupt"}),
    ("HostContext", abi.HostContext, {"BUILTINS": "builtins", "CALLBACK": "callback", "HANDLE": "handle"}),
    ("VMCtxHeader", abi.VMCtxHeader, {"BUILTINS": "builtins", "RUNTIME": "runtime"}),
]


@pytest.mark.parametrize("cname, pyclass, fields", STRUCTS, ids=[s[0] for s in STRUCTS])
def test_struct_layout_matches_abi(cname, pyclass, fields):
    assert ffi.sizeof(cname) == pyclass.SIZE
    for const, field in fields.items():
        assert ffi.offsetof(cname, field) == getattr(pyclass, const), f"{cname}.{field}"


def test_every_abi_offset_is_mirrored():
    # A new field in aot/abi.py must get a C counterpart (and an entry above).
    for cname, pyclass, fields in STRUCTS:
        consts = {k for k, v in vars(pyclass).items() if k.isupper() and k != "SIZE" and isinstance(v, int)}
        assert consts == set(fields), cname


def test_trap_codes_match():
    for code in abi.TrapCode:
        assert getattr(lib, f"AOT_TRAP_{code.name}") == code.value
    assert lib.AOT_NO_FUNC_INDEX == abi.NO_FUNC_INDEX


def test_builtin_order_matches():
    assert lib.AOT_NUM_BUILTINS == abi.NUM_BUILTINS
    for b in abi.Builtin:
        assert getattr(lib, f"AOT_BUILTIN_{b.name}") == b.value


def test_builtins_table_entries_behave_as_documented():
    # Call each entry through the table with the signature aot.abi.Builtin documents.
    table = ffi.cast("void **", lib.aot_builtins_table())
    B = abi.Builtin
    err = ffi.new("int *")
    mem = lib.aot_memory_new(lib.AOT_STRATEGY_BOUNDS, 1, 3, err)
    tab = lib.aot_table_new(0x6F, 4, 10, 0, err)
    try:
        grow = ffi.cast("int32_t (*)(VMMemory *, uint32_t)", table[B.MEMORY_GROW])
        assert grow(mem, 1) == 1 and mem.length == 2 * abi.WASM_PAGE_SIZE
        fill = ffi.cast("uint32_t (*)(VMMemory *, uint32_t, uint32_t, uint32_t)", table[B.MEMORY_FILL])
        assert fill(mem, 10, 0xAB, 3) == 0 and mem.base[12] == 0xAB
        copy = ffi.cast("uint32_t (*)(VMMemory *, VMMemory *, uint32_t, uint32_t, uint32_t)",
                        table[B.MEMORY_COPY])
        assert copy(mem, mem, 0, 10, 3) == 0 and mem.base[2] == 0xAB
        seg = ffi.new("VMDataSegment *")
        data = ffi.new("uint8_t[]", b"xyz")
        seg.data, seg.length = data, 3
        init = ffi.cast("uint32_t (*)(VMMemory *, VMDataSegment *, uint32_t, uint32_t, uint32_t)",
                        table[B.MEMORY_INIT])
        assert init(mem, seg, 100, 1, 2) == 0 and bytes(mem.base[100:102]) == b"yz"
        tgrow = ffi.cast("int32_t (*)(VMTable *, uint64_t, uint32_t)", table[B.TABLE_GROW])
        assert tgrow(tab, 7, 2) == 4 and tab.length == 6 and tab.elements[5] == 7
        tfill = ffi.cast("uint32_t (*)(VMTable *, uint32_t, uint64_t, uint32_t)", table[B.TABLE_FILL])
        assert tfill(tab, 0, 9, 2) == 0 and tab.elements[1] == 9
        tcopy = ffi.cast("uint32_t (*)(VMTable *, VMTable *, uint32_t, uint32_t, uint32_t)",
                         table[B.TABLE_COPY])
        assert tcopy(tab, tab, 2, 0, 2) == 0 and tab.elements[3] == 9
        items = ffi.new("uint64_t[]", [5, 6])
        eseg = ffi.new("VMElemSegment *")
        eseg.items, eseg.length = items, 2
        tinit = ffi.cast("uint32_t (*)(VMTable *, VMElemSegment *, uint32_t, uint32_t, uint32_t)",
                         table[B.TABLE_INIT])
        assert tinit(tab, eseg, 4, 0, 2) == 0 and list(tab.elements[4:6]) == [5, 6]
        assert table[B.TRAP] != ffi.NULL  # exercised by every trap test
    finally:
        lib.aot_memory_free(mem)
        lib.aot_table_free(tab)


def test_constants_match():
    assert lib.AOT_FORMAT_VERSION == abi.FORMAT_VERSION
    assert lib.AOT_WASM_PAGE_SIZE == abi.WASM_PAGE_SIZE
    # the whole reachable range of a 32-bit memory (index + offset + 16 bytes) is reserved
    assert lib.AOT_GUARD_MAPPING == abi.GUARD_RESERVATION >= 2 * (2**32 - 1) + 16
    assert lib.AOT_VALUE_SLOT_SIZE == abi.VALUE_SLOT_SIZE == ffi.sizeof("aot_slot")
    assert lib.AOT_STRATEGY_GUARD != lib.AOT_STRATEGY_BOUNDS
