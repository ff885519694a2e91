"""Module-level decoding: header, sections in order, and the cross-section checks.

`decode_module(data)` turns a WebAssembly 2.0 binary into an `aot.model.Module`, or
raises `DecodeError` for anything the binary format rejects ("malformed"). Checks
that belong to validation (index bounds, types, limits ranges, multiple memories)
are left to `aot.validate`.
"""
from __future__ import annotations

import gc

from ..errors import DecodeError, ValidationError
from ..model import (
    CustomSection, DataSegment, ElemSegment, Export, ExternKind, FuncType, Function, Global,
    GlobalType, Import, Instr, Limits, MemoryType, Module, SegmentMode, TableType, ValType,
)
from .code import REFTYPES, VALTYPES, decode_expr
from .names import parse_names
from .reader import TOO_LARGE, TOO_LONG, Reader

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"

MAX_LOCALS = 50_000
"""Implementation limit on a function's declared locals (parameters excluded).

The spec only bounds the total by 2**32-1 (above that the binary is malformed), but
`Function.locals` is an expanded tuple, so a larger total cannot be represented
safely; such modules are refused with a ValidationError ("too many locals")."""

# Section ids, and the order non-custom sections must appear in (data count sits
# between element and code).
CUSTOM, TYPE, IMPORT, FUNCTION, TABLE, MEMORY, GLOBAL, EXPORT, START, ELEMENT, CODE, DATA, \
    DATA_COUNT = range(13)
_ORDER = {TYPE: 1, IMPORT: 2, FUNCTION: 3, TABLE: 4, MEMORY: 5, GLOBAL: 6, EXPORT: 7,
          START: 8, ELEMENT: 9, DATA_COUNT: 10, CODE: 11, DATA: 12}


def decode_module(data: bytes) -> Module:
    """Decode a binary module; raises DecodeError if it is malformed."""
    data = bytes(data)
    if len(data) < 4:
        raise DecodeError("unexpected end", len(data))
    if data[:4] != MAGIC:
        raise DecodeError("magic header not detected", 0)
    if len(data) < 8:
        raise DecodeError("unexpected end", len(data))
    if data[4:8] != VERSION:
        raise DecodeError("unknown binary version", 4)
    # A large body creates ~1M Instr tuples; the cyclic GC would rescan all of them
    # on every generation-2 pass (tuple subclasses are never untracked), making
    # decoding several times slower. None of these objects form cycles.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _ModuleDecoder(data).run()
    finally:
        if gc_was_enabled:
            gc.enable()


class _ModuleDecoder:
    """Walks the sections of one module, filling a `Module`."""

    def __init__(self, data: bytes):
        self.data = data
        self.m = Module()

    def run(self) -> Module:
        r = Reader(self.data, 8)
        last_rank = 0
        while not r.at_end():
            sec_offset = r.pos
            sid = r.byte()
            if sid > DATA_COUNT:
                raise DecodeError("malformed section id", sec_offset)
            size = r.u32()
            body = r.sub(size)
            if sid == CUSTOM:
                self._custom(body, sec_offset)
                continue
            rank = _ORDER[sid]
            if rank <= last_rank:
                # a repeated or misplaced section
                raise DecodeError("unexpected content after last section", sec_offset)
            last_rank = rank
            _SECTIONS[sid](self, body)
            if not body.at_end():
                raise DecodeError("section size mismatch", body.pos)
        self._finish()
        return self.m

    def _finish(self) -> None:
        m = self.m
        if len(m.funcs) != len(m.codes):
            raise DecodeError("function and code section have inconsistent lengths", len(self.data))
        if m.data_count is not None and m.data_count != len(m.datas):
            raise DecodeError("data count and data section have inconsistent lengths", len(self.data))

    # ---- small shared readers -------------------------------------------------------
    @staticmethod
    def _valtype(r: Reader) -> ValType:
        p = r.pos
        t = VALTYPES[r.byte()]
        if t is None:
            raise DecodeError("malformed value type", p)
        return t

    @staticmethod
    def _reftype(r: Reader) -> ValType:
        p = r.pos
        t = REFTYPES.get(r.byte())
        if t is None:
            raise DecodeError("malformed reference type", p)
        return t

    @staticmethod
    def _limits(r: Reader) -> Limits:
        p = r.pos
        flag = r.byte()
        if flag == 0:
            return Limits(r.u32())
        if flag == 1:
            lo = r.u32()
            return Limits(lo, r.u32())
        # the spec suite reads the flag as a one-byte, 1-bit LEB128 integer
        raise DecodeError(TOO_LONG if flag & 0x80 else TOO_LARGE, p)

    def _table_type(self, r: Reader) -> TableType:
        elem = self._reftype(r)
        return TableType(elem, self._limits(r))

    def _global_type(self, r: Reader) -> GlobalType:
        t = self._valtype(r)
        p = r.pos
        mut = r.byte()
        if mut > 1:
            raise DecodeError("malformed mutability", p)
        return GlobalType(t, mut == 1)

    def _const_expr(self, r: Reader) -> tuple[Instr, ...]:
        # the data count requirement is the code section's only; a memory.init here is
        # merely not constant, which the validator reports
        instrs, r.pos = decode_expr(self.data, r.pos, r.end)
        return tuple(instrs[:-1])  # without the final `end`

    # ---- sections ---------------------------------------------------------------------
    def _custom(self, r: Reader, sec_offset: int) -> None:
        name = r.name()
        payload_start = r.pos
        payload = r.bytes(r.remaining())
        self.m.customs.append(CustomSection(name, payload, sec_offset))
        if name == "name":
            parse_names(self.data, payload_start, r.end, self.m)

    def _types(self, r: Reader) -> None:
        for _ in range(r.count()):
            p = r.pos
            form = r.byte()
            if form != 0x60:
                # the form is a one-byte signed LEB128 in the spec's grammar
                raise DecodeError(TOO_LONG if form & 0x80 else "malformed function type", p)
            params = tuple(self._valtype(r) for _ in range(r.count()))
            results = tuple(self._valtype(r) for _ in range(r.count()))
            self.m.types.append(FuncType(params, results))

    def _imports(self, r: Reader) -> None:
        for _ in range(r.count()):
            module = r.name()
            name = r.name()
            p = r.pos
            kind = r.byte()
            desc: object
            if kind == 0:
                desc = r.u32()
            elif kind == 1:
                desc = self._table_type(r)
            elif kind == 2:
                desc = MemoryType(self._limits(r))
            elif kind == 3:
                desc = self._global_type(r)
            else:
                raise DecodeError("malformed import kind", p)
            self.m.imports.append(Import(module, name, ExternKind(kind), desc))  # type: ignore[arg-type]

    def _functions(self, r: Reader) -> None:
        self.m.funcs = [r.u32() for _ in range(r.count())]

    def _tables(self, r: Reader) -> None:
        self.m.tables = [self._table_type(r) for _ in range(r.count())]

    def _memories(self, r: Reader) -> None:
        self.m.memories = [MemoryType(self._limits(r)) for _ in range(r.count())]

    def _globals(self, r: Reader) -> None:
        for _ in range(r.count()):
            gt = self._global_type(r)
            self.m.globals.append(Global(gt, self._const_expr(r)))

    def _exports(self, r: Reader) -> None:
        for _ in range(r.count()):
            name = r.name()
            p = r.pos
            kind = r.byte()
            if kind > 3:
                raise DecodeError("malformed export kind", p)
            self.m.exports.append(Export(name, ExternKind(kind), r.u32()))

    def _start(self, r: Reader) -> None:
        self.m.start = r.u32()

    def _elements(self, r: Reader) -> None:
        for _ in range(r.count()):
            p = r.pos
            flags = r.u32()
            if flags > 7:
                raise DecodeError("malformed elements segment kind", p)
            table = 0
            offset = None
            if flags & 1:
                mode = SegmentMode.DECLARATIVE if flags & 2 else SegmentMode.PASSIVE
            else:
                mode = SegmentMode.ACTIVE
                if flags & 2:
                    table = r.u32()
                offset = self._const_expr(r)
            uses_exprs = bool(flags & 4)
            elem_type = ValType.FUNCREF
            if flags & 3:  # the type (or elemkind) byte is present
                if uses_exprs:
                    elem_type = self._reftype(r)
                else:
                    kp = r.pos
                    if r.byte() != 0x00:
                        raise DecodeError("malformed element kind", kp)
            items: list[tuple[Instr, ...]] = []
            if uses_exprs:
                for _ in range(r.count()):
                    items.append(self._const_expr(r))
            else:
                for _ in range(r.count()):
                    ip = r.pos
                    items.append((Instr("ref.func", r.u32(), ip),))
            self.m.elems.append(ElemSegment(mode, elem_type, tuple(items), table, offset))

    def _data_count(self, r: Reader) -> None:
        self.m.data_count = r.u32()

    def _code(self, r: Reader) -> None:
        m = self.m
        start = r.pos
        n = r.count()
        if n != len(m.funcs):
            raise DecodeError("function and code section have inconsistent lengths", start)
        base = m.num_imported_funcs
        has_dc = m.data_count is not None
        data = self.data
        for i in range(n):
            func_index = base + i
            body_offset = r.pos
            try:
                body = r.sub(r.u32())
                local_types = self._locals(body, func_index)
                instrs, end = decode_expr(data, body.pos, body.end, func_index, has_dc)
            except DecodeError as e:
                if e.func_index is None:
                    raise DecodeError(e.message, e.offset, func_index) from None
                raise
            if end != body.end:
                raise DecodeError("section size mismatch", end, func_index)
            m.codes.append(Function(m.funcs[i], local_types, tuple(instrs), body_offset))

    def _locals(self, r: Reader, func_index: int) -> tuple[ValType, ...]:
        groups = []
        total = 0
        for _ in range(r.count()):
            p = r.pos
            c = r.u32()
            total += c
            if total > 0xFFFFFFFF:
                raise DecodeError("too many locals", p, func_index)
            groups.append((c, self._valtype(r)))
        if total > MAX_LOCALS:
            raise ValidationError(f"too many locals ({total}, limit {MAX_LOCALS})", r.pos, func_index)
        out: list[ValType] = []
        for c, t in groups:
            out += [t] * c
        return tuple(out)

    def _datas(self, r: Reader) -> None:
        for _ in range(r.count()):
            p = r.pos
            flags = r.u32()
            if flags == 0:
                seg = DataSegment(SegmentMode.ACTIVE, b"", 0, self._const_expr(r))
            elif flags == 1:
                seg = DataSegment(SegmentMode.PASSIVE, b"")
            elif flags == 2:
                mem = r.u32()
                seg = DataSegment(SegmentMode.ACTIVE, b"", mem, self._const_expr(r))
            else:
                raise DecodeError("malformed data segment kind", p)
            payload = r.bytes(r.u32())
            self.m.datas.append(DataSegment(seg.mode, payload, seg.memory, seg.offset))


_SECTIONS = {
    TYPE: _ModuleDecoder._types, IMPORT: _ModuleDecoder._imports,
    FUNCTION: _ModuleDecoder._functions, TABLE: _ModuleDecoder._tables,
    MEMORY: _ModuleDecoder._memories, GLOBAL: _ModuleDecoder._globals,
    EXPORT: _ModuleDecoder._exports, START: _ModuleDecoder._start,
    ELEMENT: _ModuleDecoder._elements, DATA_COUNT: _ModuleDecoder._data_count,
    CODE: _ModuleDecoder._code, DATA: _ModuleDecoder._datas,
}
