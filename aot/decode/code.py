"""The instruction decoder: bytes of an expression → list of `Instr`.

Used for function bodies and constant expressions. It tracks structured control
only as far as the binary format needs: where the expression ends, and that `else`
appears only directly inside an `if`. Nesting depth is unbounded (an explicit
stack, no recursion).

Speed matters here (bodies of several MB), so the loop is one function with local
names, a per-byte dispatch table, the one-byte LEB128 fast path inlined, and `Instr`
tuples built with `tuple.__new__` (skipping the NamedTuple's Python-level __new__).
Reads may run past `limit` by an immediate's width; that is caught at the next
iteration (an expression always needs one more opcode before it ends) or, at the
very end of the buffer, as an IndexError turned into a DecodeError.
"""
from __future__ import annotations

from ..errors import DecodeError
from ..model import Instr, MemArg, ValType
from ..opcodes import FC_OPS, FD_OPS, SINGLE, Imm, OpInfo
from .reader import UNEXPECTED_END, read_s32, read_s33, read_s64, read_u32

VALTYPES: tuple[ValType | None, ...] = tuple(
    ValType(b) if b in {v.value for v in ValType} else None for b in range(256)
)
"""Value types by their binary code (None: not a value type)."""

REFTYPES = {0x70: ValType.FUNCREF, 0x6F: ValType.EXTERNREF}

# Dispatch kinds of single-byte opcodes, cheapest comparisons first in the loop.
(K_ILLEGAL, K_NONE, K_IDX, K_I32, K_MEMARG, K_END, K_BLOCK, K_IF, K_ELSE, K_I64, K_F32,
 K_F64, K_BR_TABLE, K_CALL_INDIRECT, K_ZERO_BYTE, K_SELECT_T, K_REFTYPE, K_PREFIX) = range(18)

_IMM_KIND = {
    Imm.NONE: K_NONE, Imm.LABEL: K_IDX, Imm.FUNC: K_IDX, Imm.LOCAL: K_IDX,
    Imm.GLOBAL: K_IDX, Imm.TABLE: K_IDX, Imm.I32: K_I32, Imm.I64: K_I64, Imm.F32: K_F32,
    Imm.F64: K_F64, Imm.MEMARG: K_MEMARG, Imm.BR_TABLE: K_BR_TABLE,
    Imm.CALL_INDIRECT: K_CALL_INDIRECT, Imm.MEMORY: K_ZERO_BYTE, Imm.SELECT_T: K_SELECT_T,
    Imm.REFTYPE: K_REFTYPE,
}


def _single_kind(b: int, info: OpInfo | None) -> int:
    if b in (0xFC, 0xFD):
        return K_PREFIX
    if info is None:
        return K_ILLEGAL
    if info.name == "end":
        return K_END
    if info.name == "else":
        return K_ELSE
    if info.name == "if":
        return K_IF
    if info.imm is Imm.BLOCK:
        return K_BLOCK
    return _IMM_KIND[info.imm]


KIND: tuple[int, ...] = tuple(_single_kind(b, SINGLE[b]) for b in range(256))
NAME: tuple[str | None, ...] = tuple(i.name if i else None for i in SINGLE)

_new = tuple.__new__
_VALTYPE_BLOCK = {t.value: t for t in ValType}

FRAME_BLOCK, FRAME_IF, FRAME_ELSE = 0, 1, 2


def decode_expr(data: bytes, p: int, limit: int, func_index: int | None = None,
                has_data_count: bool = True) -> tuple[list[Instr], int]:
    """Decode instructions from `p` up to and including the `end` that closes the expression.

    Returns the instructions (the final `end` included) and the position after it.
    `limit` is where the enclosing section or body ends; running into it is an error.
    `has_data_count` is False when the module has no data count section, in which
    case memory.init and data.drop are malformed.
    """
    out: list[Instr] = []
    append = out.append
    frames: list[int] = []
    kinds = KIND
    names = NAME
    off = p
    try:
        while True:
            if p >= limit:
                if p == limit:
                    raise DecodeError("END opcode expected", p, func_index)
                raise DecodeError(UNEXPECTED_END, limit, func_index)
            off = p
            b = data[p]
            p += 1
            k = kinds[b]
            if k == K_NONE:
                append(_new(Instr, (names[b], None, off)))
            elif k == K_IDX:
                v = data[p]
                if v < 0x80:
                    p += 1
                else:
                    v, p = read_u32(data, p, limit)
                append(_new(Instr, (names[b], v, off)))
            elif k == K_I32:
                v = data[p]
                if v < 0x80:
                    p += 1
                    if v & 0x40:
                        v -= 0x80
                else:
                    v, p = read_s32(data, p, limit)
                append(_new(Instr, ("i32.const", v, off)))
            elif k == K_MEMARG:
                memarg, p = _memarg(data, p, limit)
                append(_new(Instr, (names[b], memarg, off)))
            elif k == K_END:
                append(_new(Instr, ("end", None, off)))
                if not frames:
                    return out, p
                frames.pop()
            elif k == K_BLOCK or k == K_IF:
                bt = data[p]
                if bt == 0x40:
                    imm = None
                    p += 1
                elif bt in _VALTYPE_BLOCK:
                    imm = _VALTYPE_BLOCK[bt]
                    p += 1
                else:
                    imm, p = read_s33(data, p, limit)
                    if imm < 0:
                        raise DecodeError("malformed block type", off + 1, func_index)
                frames.append(FRAME_IF if k == K_IF else FRAME_BLOCK)
                append(_new(Instr, (names[b], imm, off)))
            elif k == K_ELSE:
                if not frames or frames[-1] != FRAME_IF:
                    raise DecodeError("else without matching if", off, func_index)
                frames[-1] = FRAME_ELSE
                append(_new(Instr, ("else", None, off)))
            elif k == K_I64:
                v, p = read_s64(data, p, limit)
                append(_new(Instr, ("i64.const", v, off)))
            elif k == K_F32:
                append(_new(Instr, ("f32.const", int.from_bytes(data[p:p + 4], "little"), off)))
                p += 4
            elif k == K_F64:
                append(_new(Instr, ("f64.const", int.from_bytes(data[p:p + 8], "little"), off)))
                p += 8
            elif k == K_BR_TABLE:
                n, p = read_u32(data, p, limit)
                if n > limit - p:
                    raise DecodeError(UNEXPECTED_END, p, func_index)
                depths = []
                for _ in range(n):
                    v, p = read_u32(data, p, limit)
                    depths.append(v)
                v, p = read_u32(data, p, limit)
                append(_new(Instr, ("br_table", (tuple(depths), v), off)))
            elif k == K_CALL_INDIRECT:
                t, p = read_u32(data, p, limit)
                tab, p = read_u32(data, p, limit)
                append(_new(Instr, ("call_indirect", (t, tab), off)))
            elif k == K_ZERO_BYTE:
                if data[p] != 0:
                    raise DecodeError("zero byte expected", p, func_index)
                p += 1
                append(_new(Instr, (names[b], 0, off)))
            elif k == K_PREFIX:
                instr, p = _prefixed(data, p, limit, b, off, has_data_count)
                append(instr)
            elif k == K_SELECT_T:
                n, p = read_u32(data, p, limit)
                if n > limit - p:
                    raise DecodeError(UNEXPECTED_END, p, func_index)
                types = []
                for _ in range(n):
                    t = VALTYPES[data[p]]
                    if t is None:
                        raise DecodeError("malformed value type", p, func_index)
                    types.append(t)
                    p += 1
                append(_new(Instr, ("select", tuple(types), off)))
            elif k == K_REFTYPE:
                t = REFTYPES.get(data[p])
                if t is None:
                    raise DecodeError("malformed reference type", p, func_index)
                p += 1
                append(_new(Instr, ("ref.null", t, off)))
            else:
                raise DecodeError("illegal opcode", off, func_index)
    except IndexError:
        raise DecodeError(UNEXPECTED_END, min(off, len(data)), func_index) from None
    except DecodeError as e:
        if e.func_index is None and func_index is not None:
            raise DecodeError(e.message, e.offset, func_index) from None
        raise


def _memarg(data: bytes, p: int, limit: int) -> tuple[MemArg, int]:
    a = data[p]
    if a < 0x80:
        p += 1
    else:
        a, p = read_u32(data, p, limit)
    o = data[p]
    if o < 0x80:
        p += 1
    else:
        o, p = read_u32(data, p, limit)
    return _new(MemArg, (a, o, 0)), p


def _zero(data: bytes, p: int) -> int:
    if data[p] != 0:
        raise DecodeError("zero byte expected", p)
    return p + 1


def _prefixed(data: bytes, p: int, limit: int, prefix: int, off: int,
              has_data_count: bool) -> tuple[Instr, int]:
    """One 0xFC- or 0xFD-prefixed instruction; `p` is just after the prefix byte."""
    sub, p = read_u32(data, p, limit)
    info = (FC_OPS if prefix == 0xFC else FD_OPS).get(sub)
    if info is None:
        raise DecodeError("illegal opcode", off)
    kind = info.imm
    imm: object = None
    if kind is Imm.NONE:
        pass
    elif kind is Imm.MEMARG:
        imm, p = _memarg(data, p, limit)
    elif kind is Imm.LANE:
        imm = data[p]
        p += 1
    elif kind is Imm.V128 or kind is Imm.SHUFFLE:
        imm = data[p:p + 16]
        if len(imm) != 16:
            raise DecodeError(UNEXPECTED_END, p)
        p += 16
    elif kind is Imm.MEMARG_LANE:
        memarg, p = _memarg(data, p, limit)
        imm = (memarg, data[p])
        p += 1
    elif kind is Imm.TABLE or kind is Imm.ELEM:
        imm, p = read_u32(data, p, limit)
    elif kind is Imm.DATA:
        if not has_data_count:
            raise DecodeError("data count section required", off)
        imm, p = read_u32(data, p, limit)
    elif kind is Imm.MEMORY_INIT:
        if not has_data_count:
            raise DecodeError("data count section required", off)
        seg, p = read_u32(data, p, limit)
        p = _zero(data, p)
        imm = (seg, 0)
    elif kind is Imm.MEMORY_COPY:
        p = _zero(data, _zero(data, p))
        imm = (0, 0)
    elif kind is Imm.MEMORY:
        p = _zero(data, p)
        imm = 0
    elif kind is Imm.TABLE_INIT or kind is Imm.TABLE_COPY:
        x, p = read_u32(data, p, limit)
        y, p = read_u32(data, p, limit)
        imm = (x, y)
    else:  # a kind the opcode table has but this decoder does not: a bug, not user input
        raise NotImplementedError(f"immediate kind {kind} of {info.name}")
    return _new(Instr, (info.name, imm, off)), p
