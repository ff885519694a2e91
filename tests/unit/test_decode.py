"""Tests of `aot.decode`: hand-built binaries for each malformed category, the decoded
shape of well-formed modules, robustness against truncation/corruption, and the spec
suite (every binary module decodes; every binary assert_malformed raises DecodeError).

The spec part converts the suite's `.wast` files with wasm-tools (cached, see
tests/spec/wast.py) and is skipped, saying why, when the suite or wasm-tools is absent.
"""
from __future__ import annotations

import json
import random
import time

import pytest

from aot.decode import decode_module
from aot.decode.module import MAX_LOCALS
from aot.decode.reader import read_s32, read_s33, read_s64, read_u32, read_u64
from aot.errors import DecodeError, ValidationError
from aot.model import (
    ExternKind, FuncType, GlobalType, Instr, Limits, MemArg, MemoryType, SegmentMode,
    TableType, ValType,
)

I32, I64, F32, F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64
FUNCREF, EXTERNREF = ValType.FUNCREF, ValType.EXTERNREF
HEADER = b"\x00asm\x01\x00\x00\x00"


# ---- a tiny binary builder --------------------------------------------------------------

def leb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def vec(items: list[bytes]) -> bytes:
    return leb(len(items)) + b"".join(items)


def name(s: str | bytes) -> bytes:
    raw = s.encode() if isinstance(s, str) else s
    return leb(len(raw)) + raw


def sec(sid: int, content: bytes) -> bytes:
    return bytes([sid]) + leb(len(content)) + content


def mod(*sections: bytes) -> bytes:
    return HEADER + b"".join(sections)


TYPE_VOID = sec(1, vec([b"\x60\x00\x00"]))  # type 0: [] -> []
FUNC1 = sec(3, vec([b"\x00"]))  # one function of type 0
MEM1 = sec(5, vec([b"\x00\x01"]))  # memory 1


def body(code: bytes, locals_: bytes = b"\x00") -> bytes:
    b = locals_ + code
    return leb(len(b)) + b


def code_sec(*bodies: bytes) -> bytes:
    return sec(10, vec(list(bodies)))


def one_func(code: bytes, *extra: bytes, locals_: bytes = b"\x00", before_code: bytes = b"") -> bytes:
    """A module with one [] -> [] function whose body is `code` (include the final end)."""
    return mod(TYPE_VOID, FUNC1, *extra, before_code, code_sec(body(code, locals_)))


def malformed(data: bytes, message: str | None = None) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode_module(data)
    if message is not None:
        assert info.value.message.startswith(message), info.value.message
    return info.value


# ---- LEB128 ---------------------------------------------------------------------------------

class TestLeb128:
    def test_u32_values_and_non_minimal_forms(self):
        assert read_u32(b"\x00", 0, 1) == (0, 1)
        assert read_u32(b"\xe5\x8e\x26", 0, 3) == (624485, 3)
        assert read_u32(b"\x82\x80\x80\x80\x00", 0, 5) == (2, 5)
        assert read_u32(b"\xff\xff\xff\xff\x0f", 0, 5) == (0xFFFFFFFF, 5)

    def test_u32_too_long_and_too_large(self):
        with pytest.raises(DecodeError, match="representation too long"):
            read_u32(b"\x80\x80\x80\x80\x80\x00", 0, 6)
        with pytest.raises(DecodeError, match="integer too large"):
            read_u32(b"\xff\xff\xff\xff\x1f", 0, 5)
        with pytest.raises(DecodeError, match="integer too large"):
            read_u32(b"\x80\x80\x80\x80\x70", 0, 5)

    def test_reads_stop_at_the_window_end(self):
        with pytest.raises(DecodeError, match="unexpected end"):
            read_u32(b"\x80\x80\x00", 0, 2)  # the terminating byte is outside the window
        with pytest.raises(DecodeError, match="unexpected end"):
            read_u32(b"", 0, 0)

    def test_s32(self):
        assert read_s32(b"\x7f", 0, 1) == (-1, 1)
        assert read_s32(b"\x3f", 0, 1) == (63, 1)
        assert read_s32(b"\xc0\x00", 0, 2) == (64, 2)
        assert read_s32(b"\x80\x80\x80\x80\x78", 0, 5) == (-(2**31), 5)
        assert read_s32(b"\xff\xff\xff\xff\x07", 0, 5) == (2**31 - 1, 5)
        assert read_s32(b"\xff\xff\xff\xff\x7f", 0, 5) == (-1, 5)  # non-minimal -1
        with pytest.raises(DecodeError, match="integer too large"):
            read_s32(b"\xff\xff\xff\xff\x0f", 0, 5)  # 2**32-1 does not fit
        with pytest.raises(DecodeError, match="integer too large"):
            read_s32(b"\x80\x80\x80\x80\x70", 0, 5)
        with pytest.raises(DecodeError, match="representation too long"):
            read_s32(b"\xff\xff\xff\xff\xff\x7f", 0, 6)

    def test_s33(self):
        assert read_s33(b"\xff\xff\xff\xff\x0f", 0, 5) == (2**32 - 1, 5)
        assert read_s33(b"\x40", 0, 1) == (-64, 1)
        with pytest.raises(DecodeError, match="integer too large"):
            read_s33(b"\xff\xff\xff\xff\x1f", 0, 5)

    def test_s64_and_u64(self):
        assert read_s64(sleb(-(2**63)), 0, 10) == (-(2**63), 10)
        assert read_s64(sleb(2**63 - 1), 0, 10) == (2**63 - 1, 10)
        assert read_u64(leb(2**64 - 1), 0, 10) == (2**64 - 1, 10)
        with pytest.raises(DecodeError, match="integer too large"):
            read_s64(b"\xff" * 9 + b"\x01", 0, 10)  # 2**64-1 is not a signed 64-bit value
        with pytest.raises(DecodeError, match="integer too large"):
            read_u64(b"\xff" * 9 + b"\x03", 0, 10)
        with pytest.raises(DecodeError, match="representation too long"):
            read_s64(b"\x80" * 10 + b"\x00", 0, 11)


# ---- header and section structure -------------------------------------------------------

class TestModuleStructure:
    def test_empty_module(self):
        m = decode_module(HEADER)
        assert m.types == [] and m.codes == [] and m.start is None

    @pytest.mark.parametrize("data, message", [
        (b"", "unexpected end"),
        (b"\x00as", "unexpected end"),
        (b"\x00asm\x01\x00", "unexpected end"),
        (b"asm\x00\x01\x00\x00\x00", "magic header not detected"),
        (b"\x00ASM\x01\x00\x00\x00", "magic header not detected"),
        (b"\x00asm\x02\x00\x00\x00", "unknown binary version"),
        (b"\x00asm\x01\x00\x00\x01", "unknown binary version"),
    ])
    def test_header(self, data, message):
        malformed(data, message)

    @pytest.mark.parametrize("sid", [13, 14, 0x7F, 0x80, 0xFF])
    def test_unknown_section_id(self, sid):
        malformed(HEADER + bytes([sid, 0]), "malformed section id")

    def test_sections_out_of_order_or_repeated(self):
        malformed(mod(FUNC1, TYPE_VOID), "unexpected content after last section")
        malformed(mod(TYPE_VOID, TYPE_VOID), "unexpected content after last section")
        start = sec(8, b"\x00")
        malformed(mod(TYPE_VOID, FUNC1, start, start, code_sec(body(b"\x0b"))))

    def test_data_count_goes_between_element_and_code(self):
        dc = sec(12, leb(0))
        decode_module(mod(TYPE_VOID, FUNC1, dc, code_sec(body(b"\x0b"))))
        malformed(mod(TYPE_VOID, FUNC1, code_sec(body(b"\x0b")), dc))
        malformed(mod(dc, TYPE_VOID))

    def test_custom_sections_anywhere(self):
        c = sec(0, name("x") + b"payload")
        m = decode_module(mod(c, TYPE_VOID, c, FUNC1, c, code_sec(body(b"\x0b")), c))
        assert len(m.customs) == 4
        assert m.customs[0].name == "x" and m.customs[0].data == b"payload"
        assert m.customs[0].offset == 8
        assert len(m.codes) == 1

    def test_section_size_mismatch(self):
        # the type section declares one byte more than its content uses
        malformed(HEADER + b"\x01\x05\x01\x60\x00\x00\x00", "section size mismatch")
        # ... or fewer than it needs
        malformed(HEADER + b"\x01\x03\x01\x60\x00\x00", "unexpected end")

    def test_section_larger_than_the_file(self):
        malformed(HEADER + b"\x01\x10\x01\x60\x00\x00", "length out of bounds")
        malformed(HEADER + b"\x00\x26\x10" + b"a custom section" + b"short")

    def test_truncated_section_header(self):
        malformed(HEADER + b"\x01")
        malformed(HEADER + b"\x01\x80")

    def test_junk_after_last_section(self):
        malformed(mod(TYPE_VOID) + b"\x01", "unexpected end")
        malformed(mod(TYPE_VOID) + b"\x0e\x00", "malformed section id")

    def test_huge_vector_counts_fail_fast(self):
        for sid in (1, 2, 3, 4, 5, 6, 7, 9, 10, 11):
            t = time.perf_counter()
            malformed(HEADER + sec(sid, b"\xff\xff\xff\xff\x0f"))
            assert time.perf_counter() - t < 1.0
        t = time.perf_counter()
        malformed(one_func(b"\x0e\xff\xff\xff\xff\x0f\x00\x0b"))  # br_table of 2**32-1 labels
        malformed(one_func(b"\x1c\xff\xff\xff\xff\x0f\x7f\x0b"))  # select with 2**32-1 types
        malformed(one_func(b"\x0b", locals_=b"\xff\xff\xff\xff\x0f\x01\x7f"))
        assert time.perf_counter() - t < 1.0


# ---- names and UTF-8 ------------------------------------------------------------------------

class TestNames:
    @pytest.mark.parametrize("raw", [
        b"\x80",  # lone continuation byte
        b"\xc0\x80",  # overlong NUL
        b"\xe0\x80\x80",  # overlong
        b"\xed\xa0\x80",  # UTF-16 surrogate
        b"\xf4\x90\x80\x80",  # above U+10FFFF
        b"\xf8\x88\x80\x80\x80",  # 5-byte form
        b"\xe2\x82",  # truncated
        b"\xff",
    ])
    def test_invalid_utf8_is_malformed(self, raw):
        imp = sec(2, vec([name(raw) + name("f") + b"\x00\x00"]))
        malformed(mod(TYPE_VOID, imp), "malformed UTF-8 encoding")
        malformed(mod(sec(0, name(raw))), "malformed UTF-8 encoding")
        exp = sec(7, vec([name(raw) + b"\x00\x00"]))
        malformed(one_func(b"\x0b", exp), "malformed UTF-8 encoding")

    def test_valid_utf8(self):
        imp = sec(2, vec([name("m\u00e9") + name("\U0001F600\u4e2d") + b"\x00\x00"]))
        m = decode_module(mod(TYPE_VOID, imp))
        assert (m.imports[0].module, m.imports[0].name) == ("m\u00e9", "\U0001F600\u4e2d")

    def test_name_section(self):
        names = sec(0, name("name") + b"\x00" + name(name("mod"))
                    + b"\x01" + name(vec([leb(0) + name("f0"), leb(1) + name("f1")])))
        imp = sec(2, vec([name("m") + name("g") + b"\x00\x00"]))
        m = decode_module(mod(TYPE_VOID, imp, FUNC1, code_sec(body(b"\x0b")), names))
        assert m.module_name == "mod"
        assert m.func_names == {0: "f0", 1: "f1"}
        assert m.func_name(1) == "f1"

    @pytest.mark.parametrize("payload", [
        b"\x01\x05\x02\x00\x02",  # subsection shorter than its entries
        b"\x01\xff",  # size past the end
        b"\x00\x02\x01\xff",  # invalid UTF-8 module name
        b"\x07",  # truncated subsection header
    ])
    def test_malformed_name_section_is_ignored(self, payload):
        m = decode_module(mod(TYPE_VOID, FUNC1, code_sec(body(b"\x0b")), sec(0, name("name") + payload)))
        assert m.func_names == {} and m.module_name is None
        assert m.customs[0].name == "name" and m.customs[0].data == payload


# ---- types, imports, tables, memories, globals, exports ------------------------------------

class TestEntities:
    def test_types(self):
        m = decode_module(mod(sec(1, vec([b"\x60\x02\x7f\x7e\x01\x7b", b"\x60\x00\x02\x70\x6f"]))))
        assert m.types == [FuncType((I32, I64), (ValType.V128,)), FuncType((), (FUNCREF, EXTERNREF))]

    def test_malformed_types(self):
        malformed(mod(sec(1, vec([b"\x61\x00\x00"]))), "malformed function type")
        malformed(mod(sec(1, vec([b"\xe0\x7f\x00\x00"]))), "integer representation too long")
        malformed(mod(sec(1, vec([b"\x60\x01\x7a\x00"]))), "malformed value type")

    def test_imports_of_every_kind(self):
        imp = sec(2, vec([
            name("m") + name("f") + b"\x00\x00",
            name("m") + name("t") + b"\x01\x6f\x01\x01\x02",
            name("m") + name("mem") + b"\x02\x00\x05",
            name("m") + name("g") + b"\x03\x7e\x01",
        ]))
        m = decode_module(mod(TYPE_VOID, imp))
        assert [i.kind for i in m.imports] == [ExternKind.FUNC, ExternKind.TABLE, ExternKind.MEMORY, ExternKind.GLOBAL]
        assert m.imports[0].desc == 0
        assert m.imports[1].desc == TableType(EXTERNREF, Limits(1, 2))
        assert m.imports[2].desc == MemoryType(Limits(5))
        assert m.imports[3].desc == GlobalType(I64, True)

    @pytest.mark.parametrize("kind", [b"\x04", b"\x05", b"\x80\x00"])
    def test_malformed_import_kind(self, kind):
        malformed(mod(sec(2, vec([name("m") + name("x") + kind + b"\x00"]))), "malformed import kind")

    def test_malformed_mutability(self):
        malformed(mod(sec(6, vec([b"\x7f\x02\x41\x00\x0b"]))), "malformed mutability")
        malformed(mod(sec(2, vec([name("m") + name("g") + b"\x03\x7f\xff"]))), "malformed mutability")

    @pytest.mark.parametrize("flag, message", [(b"\x02", "integer too large"),
                                               (b"\x81\x00", "integer representation too long"),
                                               (b"\x03", "integer too large")])
    def test_malformed_limits_flags(self, flag, message):
        malformed(mod(sec(5, vec([flag + b"\x00\x00"]))), message)
        malformed(mod(sec(4, vec([b"\x70" + flag + b"\x00\x00"]))), message)

    def test_malformed_table_reftype(self):
        malformed(mod(sec(4, vec([b"\x7f\x00\x00"]))), "malformed reference type")

    def test_multiple_memories_and_tables_are_decoded(self):
        m = decode_module(mod(sec(4, vec([b"\x70\x00\x01", b"\x6f\x01\x00\x03"])),
                              sec(5, vec([b"\x00\x01", b"\x01\x02\x03"]))))
        assert m.tables == [TableType(FUNCREF, Limits(1)), TableType(EXTERNREF, Limits(0, 3))]
        assert m.memories == [MemoryType(Limits(1)), MemoryType(Limits(2, 3))]

    def test_globals_exports_start(self):
        glob = sec(6, vec([b"\x7f\x01\x41\x7f\x0b", b"\x7c\x00\x44" + bytes(7) + b"\xf8\x0b"]))
        exp = sec(7, vec([name("g") + b"\x03\x00", name("f") + b"\x00\x00",
                          name("m") + b"\x02\x00", name("t") + b"\x01\x00"]))
        m = decode_module(mod(TYPE_VOID, FUNC1, sec(4, vec([b"\x70\x00\x00"])), MEM1, glob, exp,
                              sec(8, b"\x00"), code_sec(body(b"\x0b"))))
        assert m.globals[0].type == GlobalType(I32, True)
        assert [(i.op, i.imm) for i in m.globals[0].init] == [("i32.const", -1)]
        assert m.globals[1].init[0].imm == 0xF800000000000000  # raw bits kept
        assert [(e.name, e.kind, e.index) for e in m.exports] == [
            ("g", ExternKind.GLOBAL, 0), ("f", ExternKind.FUNC, 0),
            ("m", ExternKind.MEMORY, 0), ("t", ExternKind.TABLE, 0)]
        assert m.start == 0

    def test_malformed_export_kind(self):
        malformed(one_func(b"\x0b", sec(7, vec([name("x") + b"\x04\x00"]))), "malformed export kind")

    def test_const_expr_without_end(self):
        malformed(mod(sec(6, vec([b"\x7f\x00\x41\x00"]))))
        malformed(mod(sec(6, vec([b"\x7f\x00\x41\x00"])), TYPE_VOID))


# ---- element and data segments ---------------------------------------------------------------

OFFSET0 = b"\x41\x00\x0b"


class TestSegments:
    def _elems(self, *segs: bytes):
        table = sec(4, vec([b"\x70\x00\x01", b"\x70\x00\x01"]))
        m = decode_module(mod(TYPE_VOID, sec(3, vec([b"\x00", b"\x00"])), table,
                              sec(9, vec(list(segs))), code_sec(body(b"\x0b"), body(b"\x0b"))))
        return m.elems

    def test_all_eight_element_encodings(self):
        funcs = vec([b"\x01", b"\x00"])
        exprs = vec([b"\xd2\x01\x0b", b"\xd0\x70\x0b"])
        ext_exprs = vec([b"\xd0\x6f\x0b"])
        e = self._elems(
            b"\x00" + OFFSET0 + funcs,
            b"\x01\x00" + funcs,
            b"\x02\x01" + OFFSET0 + b"\x00" + funcs,
            b"\x03\x00" + funcs,
            b"\x04" + OFFSET0 + exprs,
            b"\x05\x6f" + ext_exprs,
            b"\x06\x01" + OFFSET0 + b"\x70" + exprs,
            b"\x07\x70" + exprs,
        )
        modes = [s.mode for s in e]
        A, P, D = SegmentMode.ACTIVE, SegmentMode.PASSIVE, SegmentMode.DECLARATIVE
        assert modes == [A, P, A, D, A, P, A, D]
        assert [s.table for s in e] == [0, 0, 1, 0, 0, 0, 1, 0]
        assert [s.elem_type for s in e] == [FUNCREF] * 5 + [EXTERNREF, FUNCREF, FUNCREF]
        for s in e:
            assert (s.offset is not None) == (s.mode is A)
            if s.offset is not None:
                assert [(i.op, i.imm) for i in s.offset] == [("i32.const", 0)]
        # function-index forms become ref.func expressions located at the index's byte
        items = e[0].items
        assert [[(i.op, i.imm) for i in item] for item in items] == [[("ref.func", 1)], [("ref.func", 0)]]
        assert all(len(item) == 1 and isinstance(item[0], Instr) for item in items)
        assert [[(i.op, i.imm) for i in item] for item in e[4].items] == [[("ref.func", 1)], [("ref.null", FUNCREF)]]
        assert e[5].items[0][0].imm is EXTERNREF

    def test_element_item_offsets(self):
        data = mod(TYPE_VOID, FUNC1, sec(4, vec([b"\x70\x00\x01"])),
                   sec(9, vec([b"\x00" + OFFSET0 + vec([b"\x00"])])), code_sec(body(b"\x0b")))
        m = decode_module(data)
        item = m.elems[0].items[0][0]
        assert data[item.offset] == 0x00 and data[item.offset - 1] == 0x01  # after the count

    def test_malformed_element_segments(self):
        base = (TYPE_VOID, FUNC1, sec(4, vec([b"\x70\x00\x01"])))
        tail = code_sec(body(b"\x0b"))
        malformed(mod(*base, sec(9, vec([b"\x08" + OFFSET0 + vec([])])), tail))
        malformed(mod(*base, sec(9, vec([b"\x01\x01" + vec([b"\x00"])])), tail))  # elemkind != 0
        malformed(mod(*base, sec(9, vec([b"\x05\x7f" + vec([b"\xd2\x00\x0b"])])), tail),
                  "malformed reference type")
        malformed(mod(*base, sec(9, vec([b"\x05\x70" + vec([b"\xf3\x00\x0b"])])), tail),
                  "illegal opcode")

    def test_data_segment_encodings(self):
        datas = sec(11, vec([b"\x00" + OFFSET0 + name(b"ab"), b"\x01" + name(b"\x00\xff"),
                             b"\x02\x01" + OFFSET0 + name(b"")]))
        m = decode_module(mod(MEM1, datas))
        d = m.datas
        assert [s.mode for s in d] == [SegmentMode.ACTIVE, SegmentMode.PASSIVE, SegmentMode.ACTIVE]
        assert [s.data for s in d] == [b"ab", b"\x00\xff", b""]
        assert [s.memory for s in d] == [0, 0, 1]
        assert d[1].offset is None and d[2].offset[0].op == "i32.const"
        assert m.data_count is None

    def test_malformed_data_segments(self):
        malformed(mod(MEM1, sec(11, vec([b"\x03" + OFFSET0 + name(b"")]))))
        malformed(mod(MEM1, sec(11, vec([b"\x01\x05ab"]))), "unexpected end")

    def test_data_count_mismatch(self):
        datas = sec(11, vec([b"\x01" + name(b"x")]))
        malformed(mod(MEM1, sec(12, leb(2)), datas), "data count and data section have inconsistent lengths")
        malformed(mod(MEM1, sec(12, leb(1))), "data count and data section have inconsistent lengths")
        m = decode_module(mod(MEM1, sec(12, leb(1)), datas))
        assert m.data_count == 1


# ---- code section -----------------------------------------------------------------------------

class TestCode:
    def test_function_and_code_counts_must_match(self):
        msg = "function and code section have inconsistent lengths"
        malformed(mod(TYPE_VOID, FUNC1), msg)
        malformed(mod(TYPE_VOID, code_sec(body(b"\x0b"))), msg)
        malformed(mod(TYPE_VOID, FUNC1, code_sec(body(b"\x0b"), body(b"\x0b"))), msg)
        decode_module(mod(TYPE_VOID, sec(3, vec([])), code_sec()))

    def test_locals_expand(self):
        m = decode_module(one_func(b"\x0b", locals_=vec([b"\x02\x7f", b"\x00\x7e", b"\x01\x7c"])))
        assert m.codes[0].locals == (I32, I32, F64)

    def test_too_many_locals(self):
        err = malformed(one_func(b"\x0b", locals_=vec([b"\xff\xff\xff\xff\x0f\x7f", b"\x02\x7e"])),
                        "too many locals")
        assert err.func_index == 0
        malformed(one_func(b"\x0b", locals_=vec([b"\x80\x80\x80\x80\x04\x7f"] * 4)), "too many locals")

    def test_locals_above_the_implementation_limit(self):
        with pytest.raises(ValidationError, match="too many locals"):
            decode_module(one_func(b"\x0b", locals_=vec([leb(MAX_LOCALS) + b"\x7f", b"\x01\x7e"])))
        m = decode_module(one_func(b"\x0b", locals_=vec([leb(MAX_LOCALS) + b"\x7f"])))
        assert len(m.codes[0].locals) == MAX_LOCALS

    def test_malformed_local_type(self):
        malformed(one_func(b"\x0b", locals_=vec([b"\x01\x40"])), "malformed value type")

    def test_body_must_end_with_end_at_its_size(self):
        malformed(one_func(b"\x41\x01\x1a"), "END opcode expected")
        # the body ends before the function's end opcode (block still open)
        malformed(one_func(b"\x02\x40\x0b"))
        # bytes after the end that closes the function
        err = malformed(one_func(b"\x0b\x01"), "section size mismatch")
        assert err.func_index == 0

    def test_error_locations(self):
        imp = sec(2, vec([name("m") + name("f") + b"\x00\x00"]))
        data = mod(TYPE_VOID, imp, sec(3, vec([b"\x00", b"\x00"])),
                   code_sec(body(b"\x0b"), body(b"\x01\x06\x0b")))
        err = malformed(data, "illegal opcode")
        assert err.func_index == 2  # function index space: one import first
        assert data[err.offset] == 0x06

    def test_else_without_if(self):
        malformed(one_func(b"\x05\x0b"))
        malformed(one_func(b"\x02\x40\x05\x0b\x0b"))
        malformed(one_func(b"\x41\x00\x04\x40\x05\x05\x0b\x0b"))  # two elses
        m = decode_module(one_func(b"\x41\x00\x04\x40\x01\x05\x01\x0b\x0b"))
        assert [i.op for i in m.codes[0].body] == ["i32.const", "if", "nop", "else", "nop", "end", "end"]

    @pytest.mark.parametrize("code", [b"\x06", b"\x27", b"\xc5", b"\xff", b"\xfc\x12",
                                      b"\xfd\x9a\x01", b"\xfd\xa2\x01", b"\xfc\x80\x80\x80\x80\x10"])
    def test_illegal_opcodes(self, code):
        malformed(one_func(code + b"\x0b"))

    @pytest.mark.parametrize("code", [
        b"\x3f\x01\x1a",  # memory.size 1
        b"\x3f\x80\x00\x1a",  # memory.size with a 2-byte LEB zero
        b"\x41\x00\x40\x01\x1a",  # memory.grow
        b"\x41\x00\x41\x00\x41\x00\xfc\x0b\x01",  # memory.fill
        b"\x41\x00\x41\x00\x41\x00\xfc\x0a\x00\x01",  # memory.copy
        b"\x41\x00\x41\x00\x41\x00\xfc\x0a\x01\x00",
        b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x01",  # memory.init's memory byte
    ])
    def test_zero_bytes(self, code):
        datas = sec(11, vec([b"\x01" + name(b"")]))
        data = mod(TYPE_VOID, FUNC1, MEM1, sec(12, leb(1)), code_sec(body(code + b"\x0b")), datas)
        malformed(data, "zero byte expected")

    def test_data_count_section_required(self):
        datas = sec(11, vec([b"\x01" + name(b"")]))
        init = b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b"
        drop = b"\xfc\x09\x00\x0b"
        for code in (init, drop):
            malformed(mod(TYPE_VOID, FUNC1, MEM1, code_sec(body(code)), datas), "data count section required")
            m = decode_module(mod(TYPE_VOID, FUNC1, MEM1, sec(12, leb(1)), code_sec(body(code)), datas))
            assert m.codes[0].body[-2].op in ("memory.init", "data.drop")

    def test_call_indirect_table_is_a_u32(self):
        m = decode_module(one_func(b"\x41\x00\x11\x00\x81\x00\x0b"))
        assert m.codes[0].body[1].imm == (0, 1)

    def test_block_types(self):
        m = decode_module(one_func(b"\x02\x40\x0b\x03\x7f\x0b\x02\x7b\x0b\x04\x70\x0b\x02\x00\x0b"
                                   b"\x02\x80\x01\x0b\x0b"))
        imms = [i.imm for i in m.codes[0].body if i.op in ("block", "loop", "if")]
        assert imms == [None, I32, ValType.V128, FUNCREF, 0, 128]
        assert [i.op for i in m.codes[0].body[:4]] == ["block", "end", "loop", "end"]

    @pytest.mark.parametrize("bt", [b"\x7a", b"\x41", b"\x80\x80\x80\x80\x10", b"\xff\xff\xff\xff\x1f",
                                    b"\x80\x80\x80\x80\x80\x00"])
    def test_malformed_block_types(self, bt):
        malformed(one_func(b"\x02" + bt + b"\x0b\x0b"))

    def test_immediates(self):
        code = (b"\x41\x80\x80\x80\x80\x78"  # i32.const INT32_MIN
                b"\x42" + sleb(-(2**63)) +  # i64.const INT64_MIN
                b"\x43\x01\x00\xc0\x7f"  # f32.const NaN with payload 1
                b"\x44\x01\x00\x00\x00\x00\x00\xf8\x7f"  # f64.const NaN with payload
                b"\x02\x40\x0e\x02\x00\x01\x00\x0b"  # br_table 0 1 0
                b"\x0c\x00\x0d\x00"  # br 0, br_if 0
                b"\x1c\x01\x7e\x1b\x1a"  # select (result i64), select, drop
                b"\x20\x00\x21\x00\x22\x00\x23\x05\x24\x05"
                b"\x28\x02\x10\x36\x03\xff\xff\xff\xff\x0f"  # i32.load, i32.store offset=2^32-1
                b"\x25\x01\x26\x02\xfc\x0f\x03\xfc\x10\x04\xfc\x11\x05"
                b"\xfc\x0c\x07\x01\xfc\x0d\x07\xfc\x0e\x01\x02"
                b"\xd0\x70\xd0\x6f\xd1\xd2\x03\x10\x00\x0f\x00"
                b"\xfd\x0c" + bytes(range(16)) +
                b"\xfd\x0d" + bytes(range(15, -1, -1)) +
                b"\xfd\x15\x0f\xfd\x54\x00\x04\x03\xfd\x5d\x03\x08"
                b"\x0b")
        m = decode_module(one_func(code))
        got = [(i.op, i.imm) for i in m.codes[0].body]
        assert got == [
            ("i32.const", -(2**31)), ("i64.const", -(2**63)), ("f32.const", 0x7FC00001),
            ("f64.const", 0x7FF8000000000001),
            ("block", None), ("br_table", ((0, 1), 0)), ("end", None),
            ("br", 0), ("br_if", 0),
            ("select", (I64,)), ("select", None), ("drop", None),
            ("local.get", 0), ("local.set", 0), ("local.tee", 0), ("global.get", 5), ("global.set", 5),
            ("i32.load", MemArg(2, 16, 0)), ("i32.store", MemArg(3, 0xFFFFFFFF, 0)),
            ("table.get", 1), ("table.set", 2), ("table.grow", 3), ("table.size", 4), ("table.fill", 5),
            ("table.init", (7, 1)), ("elem.drop", 7), ("table.copy", (1, 2)),
            ("ref.null", FUNCREF), ("ref.null", EXTERNREF), ("ref.is_null", None), ("ref.func", 3),
            ("call", 0), ("return", None), ("unreachable", None),
            ("v128.const", bytes(range(16))), ("i8x16.shuffle", bytes(range(15, -1, -1))),
            ("i8x16.extract_lane_s", 15), ("v128.load8_lane", (MemArg(0, 4, 0), 3)),
            ("v128.load64_zero", MemArg(3, 8, 0)),
            ("end", None),
        ]

    def test_offsets(self):
        data = one_func(b"\x41\x05\x1a\x0b", locals_=vec([b"\x01\x7f"]))
        m = decode_module(data)
        fn = m.codes[0]
        assert [data[i.offset] for i in fn.body] == [0x41, 0x1a, 0x0b]
        assert data[fn.offset] == 7  # the body's size field: 3 bytes of locals + 4 of code
        assert fn.body[-1].offset == len(data) - 1

    def test_malformed_immediates(self):
        malformed(one_func(b"\xd0\x7f\x1a\x0b"), "malformed reference type")
        malformed(one_func(b"\x1c\x01\x40\x0b"), "malformed value type")
        malformed(one_func(b"\x41\xff\xff\xff\xff\x0f\x1a\x0b"), "integer too large")
        malformed(one_func(b"\x42" + b"\xff" * 9 + b"\x01\x1a\x0b"), "integer too large")
        malformed(one_func(b"\x41\x00\x28\x02\x80\x80\x80\x80\x10\x1a\x0b"), "integer too large")

    def test_immediates_cut_by_the_body_end(self):
        # each body ends inside an immediate, with more (valid-looking) bytes after it
        for code in (b"\x41", b"\x42\x80", b"\x43\x00\x00", b"\x44" + bytes(7), b"\xfd\x0c" + bytes(8),
                     b"\x0e\x02\x00", b"\x28\x02", b"\xfd", b"\x11\x00"):
            tail = code_sec(body(code), )
            data = mod(TYPE_VOID, FUNC1, tail) + b"\x0b" * 20
            malformed(data)

    def test_deep_nesting_is_not_a_decode_error(self):
        depth = 100_000
        m = decode_module(one_func(b"\x02\x40" * depth + b"\x0b" * (depth + 1)))
        assert len(m.codes[0].body) == 2 * depth + 1

    def test_large_body(self):
        chunk = b"\x20\x00\x41\xe8\x07\x6a\x28\x02\x00\x21\x00"
        n = 20_000
        m = decode_module(one_func(chunk * n + b"\x0b", locals_=vec([b"\x01\x7f"])))
        assert len(m.codes[0].body) == 5 * n + 1
        assert m.codes[0].body[-2] == Instr("local.set", 0, m.codes[0].body[-2].offset)


# ---- robustness: nothing but DecodeError / ValidationError ----------------------------------

def _rich_sections() -> list[bytes]:
    """The sections of a module using most sections and instruction kinds."""
    imp = sec(2, vec([name("m") + name("f") + b"\x00\x00", name("m") + name("g") + b"\x03\x7f\x00"]))
    glob = sec(6, vec([b"\x7e\x01\x42\x7f\x0b"]))
    exp = sec(7, vec([name("run") + b"\x00\x01"]))
    elem = sec(9, vec([b"\x00" + OFFSET0 + vec([b"\x01"]), b"\x05\x70" + vec([b"\xd2\x00\x0b"])]))
    code = (b"\x02\x40\x41\x01\x04\x7f\x41\x02\x05\x41\x03\x0b\x0d\x00\x0b"
            b"\x41\x00\x28\x02\x08\x1a\x3f\x00\x1a\x43\x00\x00\xc0\x7f\x1a"
            b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\xfc\x09\x00"
            b"\xfd\x0c" + bytes(16) + b"\xfd\x15\x03\x1a\x0e\x01\x00\x00\x0b")
    datas = sec(11, vec([b"\x00" + OFFSET0 + name(b"hello"), b"\x01" + name(b"x")]))
    names = sec(0, name("name") + b"\x01" + name(vec([leb(1) + name("run")])))
    return [TYPE_VOID, imp, FUNC1, sec(4, vec([b"\x70\x00\x02"])), MEM1, glob, exp,
            sec(8, b"\x01"), elem, sec(12, leb(2)),
            code_sec(body(code, vec([b"\x02\x7f"]))), datas, names]


def _rich_module() -> bytes:
    return mod(*_rich_sections())


def test_rich_module_decodes():
    m = decode_module(_rich_module())
    assert len(m.codes) == 1 and len(m.datas) == 2 and len(m.elems) == 2
    assert m.func_names == {1: "run"}


def test_every_truncation_is_a_decode_error():
    data = _rich_module()
    # cutting between sections can leave a well-formed module, until the function
    # section promises a code section and the data count a data section
    boundaries = {len(HEADER)}
    for s in _rich_sections():
        boundaries.add(max(boundaries) + len(s))
    complete = {n for n in boundaries if n <= len(mod(*_rich_sections()[:2]))}  # types, imports
    complete.add(len(mod(*_rich_sections()[:-1])))  # all but the trailing name section
    for n in range(len(data)):
        if n in complete:
            decode_module(data[:n])
            continue
        with pytest.raises(DecodeError):
            decode_module(data[:n])


def test_corrupted_bytes_raise_only_project_errors():
    data = _rich_module()
    rng = random.Random(1234)
    for _ in range(3000):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            buf[rng.randrange(8, len(buf))] = rng.choice([0x00, 0x01, 0x7F, 0x80, 0xFF, rng.randrange(256)])
        try:
            decode_module(bytes(buf))
        except (DecodeError, ValidationError):
            pass


def test_accepts_bytearray_and_memoryview():
    data = _rich_module()
    assert decode_module(bytearray(data)).codes == decode_module(memoryview(data)).codes


# ---- the spec suite ---------------------------------------------------------------------------

def _suite_files(simd: bool) -> list:
    from tests.spec.wast import SuiteError, suite_dir

    try:
        d = suite_dir()
    except SuiteError:
        return []
    return sorted(p for p in d.glob("*.wast") if p.name.startswith("simd_") == simd)


def _spec_params(simd: bool):
    files = _suite_files(simd)
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason="spec suite not found: set AOT_SPEC_TESTSUITE"))]
    return [pytest.param(p, id=p.stem) for p in files]


def _check_spec_file(wast) -> None:
    from tests.spec.wast import SuiteError, convert

    try:
        json_path = convert(wast)
    except SuiteError as e:
        pytest.skip(str(e))
    commands = json.loads(json_path.read_text())["commands"]
    failures = []
    for c in commands:
        if c.get("module_type") != "binary" or "filename" not in c:
            continue
        data = (json_path.parent / c["filename"]).read_bytes()
        where = f"{wast.name}:{c['line']} {c['type']}"
        try:
            decode_module(data)
            err = None
        except (DecodeError, ValidationError) as e:
            err = e
        if c["type"] == "assert_malformed":
            if not isinstance(err, DecodeError):
                failures.append(f"{where}: accepted, expected malformed ({c['text']})")
        elif err is not None and not isinstance(err, ValidationError):
            # modules, assert_invalid, assert_unlinkable, ...: all are well-formed
            failures.append(f"{where}: {err}")
        elif err is not None and c["type"] == "module":
            failures.append(f"{where}: {err}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("wast", _spec_params(simd=False))
def test_spec_file(wast):
    _check_spec_file(wast)


@pytest.mark.parametrize("wast", _spec_params(simd=True))
def test_spec_simd_file(wast):
    _check_spec_file(wast)
