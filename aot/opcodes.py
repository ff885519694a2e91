"""The opcode table: every WebAssembly 2.0 instruction (SIMD included) in one place.

Each opcode maps to an `OpInfo`:

- `name`: the text-format name ("i32.add", "memory.init", "v128.load8x8_s").
  `Instr.op` holds this name. Both `select` encodings (0x1B untyped, 0x1C typed)
  are named "select"; `OPS_BY_NAME["select"]` is the untyped one.
- `code`: an `int` for single-byte opcodes, `(0xFC, sub)` or `(0xFD, sub)` for prefixed ones.
- `imm`: an `Imm` naming how the decoder reads the immediates; the value the decoder
  stores in `Instr.imm` for each kind is documented on `Imm` (and docs/ARCHITECTURE.md).
- `sig`: `(params, results)` when the stack effect is fixed, else `None` (control,
  locals, globals, calls, select, drop, reference and table ops). A fixed `sig` says
  nothing about index immediates: memory/data indices and lanes still need validation.
- `mem_size`: natural access size in bytes of loads/stores (alignment must be
  <= log2(mem_size)); `None` for other ops.
- `lanes`: for ops with a lane immediate, the number of lanes (the lane must be < lanes).
"""
from __future__ import annotations

import enum
from typing import NamedTuple, Optional, Union

from .model import ValType

I32, I64, F32, F64, V128 = ValType.I32, ValType.I64, ValType.F32, ValType.F64, ValType.V128

PREFIX_FC = 0xFC
PREFIX_FD = 0xFD

Code = Union[int, tuple[int, int]]
Sig = tuple[tuple[ValType, ...], tuple[ValType, ...]]


class Imm(str, enum.Enum):
    """Immediate kinds. The comment gives what `Instr.imm` holds after decoding."""

    NONE = "none"  # None
    BLOCK = "block"  # block type: None | ValType | int type index
    LABEL = "label"  # int depth
    BR_TABLE = "br_table"  # (tuple of depths, default depth)
    FUNC = "func"  # int function index (call, ref.func)
    CALL_INDIRECT = "call_indirect"  # (type_index, table_index)
    SELECT_T = "select_t"  # tuple of ValType
    LOCAL = "local"  # int
    GLOBAL = "global"  # int
    TABLE = "table"  # int table index
    TABLE_COPY = "table_copy"  # (dst_table, src_table)
    TABLE_INIT = "table_init"  # (elem_index, table_index)
    ELEM = "elem"  # int element segment index
    MEMARG = "memarg"  # MemArg(align, offset, memory)
    MEMORY = "memory"  # int memory index (a zero byte in the 2.0 binary format)
    MEMORY_COPY = "memory_copy"  # (dst_mem, src_mem) (two zero bytes in 2.0)
    MEMORY_INIT = "memory_init"  # (data_index, memory) (memory is a zero byte in 2.0)
    DATA = "data"  # int data segment index
    I32 = "i32"  # int, signed
    I64 = "i64"  # int, signed
    F32 = "f32"  # int raw bits
    F64 = "f64"  # int raw bits
    REFTYPE = "reftype"  # ValType (FUNCREF or EXTERNREF)
    V128 = "v128"  # 16 bytes
    SHUFFLE = "shuffle"  # 16 bytes of lane indices
    LANE = "lane"  # int lane
    MEMARG_LANE = "memarg_lane"  # (MemArg, lane)


class OpInfo(NamedTuple):
    """What the table knows about one opcode (see the module docstring)."""

    name: str
    code: Code
    imm: Imm
    sig: Optional[Sig] = None
    mem_size: Optional[int] = None
    lanes: Optional[int] = None


OPCODES: dict[Code, OpInfo] = {}


def _add(code: Code, name: str, imm: Imm = Imm.NONE, sig: Optional[Sig] = None,
         mem_size: Optional[int] = None, lanes: Optional[int] = None) -> None:
    if code in OPCODES:
        raise RuntimeError(f"duplicate opcode {code!r}")  # a bug in this table
    OPCODES[code] = OpInfo(name, code, imm, sig, mem_size, lanes)


def _s(params: str, results: str) -> Sig:
    """Signature from short strings, e.g. _s("ii", "i"); i/I/f/F/v = i32/i64/f32/f64/v128."""
    m = {"i": I32, "I": I64, "f": F32, "F": F64, "v": V128}
    return tuple(m[c] for c in params), tuple(m[c] for c in results)


_T = {"i32": "i", "i64": "I", "f32": "f", "f64": "F"}

# ---- control and parametric ---------------------------------------------------------
_add(0x00, "unreachable")
_add(0x01, "nop", sig=_s("", ""))
_add(0x02, "block", Imm.BLOCK)
_add(0x03, "loop", Imm.BLOCK)
_add(0x04, "if", Imm.BLOCK)
_add(0x05, "else")
_add(0x0B, "end")
_add(0x0C, "br", Imm.LABEL)
_add(0x0D, "br_if", Imm.LABEL)
_add(0x0E, "br_table", Imm.BR_TABLE)
_add(0x0F, "return")
_add(0x10, "call", Imm.FUNC)
_add(0x11, "call_indirect", Imm.CALL_INDIRECT)
_add(0x1A, "drop")
_add(0x1B, "select")
_add(0x1C, "select", Imm.SELECT_T)

# ---- variables, tables ---------------------------------------------------------------
_add(0x20, "local.get", Imm.LOCAL)
_add(0x21, "local.set", Imm.LOCAL)
_add(0x22, "local.tee", Imm.LOCAL)
_add(0x23, "global.get", Imm.GLOBAL)
_add(0x24, "global.set", Imm.GLOBAL)
_add(0x25, "table.get", Imm.TABLE)
_add(0x26, "table.set", Imm.TABLE)

# ---- memory --------------------------------------------------------------------------
for _code, _name, _vt, _size in [
    (0x28, "i32.load", "i", 4), (0x29, "i64.load", "I", 8),
    (0x2A, "f32.load", "f", 4), (0x2B, "f64.load", "F", 8),
    (0x2C, "i32.load8_s", "i", 1), (0x2D, "i32.load8_u", "i", 1),
    (0x2E, "i32.load16_s", "i", 2), (0x2F, "i32.load16_u", "i", 2),
    (0x30, "i64.load8_s", "I", 1), (0x31, "i64.load8_u", "I", 1),
    (0x32, "i64.load16_s", "I", 2), (0x33, "i64.load16_u", "I", 2),
    (0x34, "i64.load32_s", "I", 4), (0x35, "i64.load32_u", "I", 4),
]:
    _add(_code, _name, Imm.MEMARG, _s("i", _vt), _size)
for _code, _name, _vt, _size in [
    (0x36, "i32.store", "i", 4), (0x37, "i64.store", "I", 8),
    (0x38, "f32.store", "f", 4), (0x39, "f64.store", "F", 8),
    (0x3A, "i32.store8", "i", 1), (0x3B, "i32.store16", "i", 2),
    (0x3C, "i64.store8", "I", 1), (0x3D, "i64.store16", "I", 2), (0x3E, "i64.store32", "I", 4),
]:
    _add(_code, _name, Imm.MEMARG, _s("i" + _vt, ""), _size)
_add(0x3F, "memory.size", Imm.MEMORY, _s("", "i"))
_add(0x40, "memory.grow", Imm.MEMORY, _s("i", "i"))

# ---- constants -----------------------------------------------------------------------
_add(0x41, "i32.const", Imm.I32, _s("", "i"))
_add(0x42, "i64.const", Imm.I64, _s("", "I"))
_add(0x43, "f32.const", Imm.F32, _s("", "f"))
_add(0x44, "f64.const", Imm.F64, _s("", "F"))


# ---- numeric -------------------------------------------------------------------------
def _numeric_block(start: int, ty: str, kind: str, names: str) -> int:
    """Add consecutive ops `ty.name` of one shape; kind: test/rel/un/bin. Returns next code."""
    t = _T[ty]
    shape = {"test": (t, "i"), "rel": (t + t, "i"), "un": (t, t), "bin": (t + t, t)}[kind]
    for i, n in enumerate(names.split()):
        _add(start + i, f"{ty}.{n}", sig=_s(*shape))
    return start + len(names.split())


_INT_REL = "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u"
_FLOAT_REL = "eq ne lt gt le ge"
_INT_UN = "clz ctz popcnt"
_INT_BIN = "add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr"
_FLOAT_UN = "abs neg ceil floor trunc nearest sqrt"
_FLOAT_BIN = "add sub mul div min max copysign"

_numeric_block(0x45, "i32", "test", "eqz")
_numeric_block(0x46, "i32", "rel", _INT_REL)
_numeric_block(0x50, "i64", "test", "eqz")
_numeric_block(0x51, "i64", "rel", _INT_REL)
_numeric_block(0x5B, "f32", "rel", _FLOAT_REL)
_numeric_block(0x61, "f64", "rel", _FLOAT_REL)
_numeric_block(0x67, "i32", "un", _INT_UN)
_numeric_block(0x6A, "i32", "bin", _INT_BIN)
_numeric_block(0x79, "i64", "un", _INT_UN)
_numeric_block(0x7C, "i64", "bin", _INT_BIN)
_numeric_block(0x8B, "f32", "un", _FLOAT_UN)
_numeric_block(0x92, "f32", "bin", _FLOAT_BIN)
_numeric_block(0x99, "f64", "un", _FLOAT_UN)
_numeric_block(0xA0, "f64", "bin", _FLOAT_BIN)

# conversions: name "dst.op_src" → (src) -> (dst)
for _i, _name in enumerate(
    "i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u "
    "i64.extend_i32_s i64.extend_i32_u i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s "
    "i64.trunc_f64_u f32.convert_i32_s f32.convert_i32_u f32.convert_i64_s f32.convert_i64_u "
    "f32.demote_f64 f64.convert_i32_s f64.convert_i32_u f64.convert_i64_s f64.convert_i64_u "
    "f64.promote_f32 i32.reinterpret_f32 i64.reinterpret_f64 f32.reinterpret_i32 "
    "f64.reinterpret_i64".split()
):
    _dst, _rest = _name.split(".")
    _src = _rest.split("_")[1]
    _add(0xA7 + _i, _name, sig=_s(_T[_src], _T[_dst]))

for _i, _name in enumerate("i32.extend8_s i32.extend16_s i64.extend8_s i64.extend16_s i64.extend32_s".split()):
    _t = _T[_name[:3]]
    _add(0xC0 + _i, _name, sig=_s(_t, _t))

# ---- references ----------------------------------------------------------------------
_add(0xD0, "ref.null", Imm.REFTYPE)
_add(0xD1, "ref.is_null")
_add(0xD2, "ref.func", Imm.FUNC)

# ---- 0xFC prefix ---------------------------------------------------------------------
for _i, _name in enumerate(
    "i32.trunc_sat_f32_s i32.trunc_sat_f32_u i32.trunc_sat_f64_s i32.trunc_sat_f64_u "
    "i64.trunc_sat_f32_s i64.trunc_sat_f32_u i64.trunc_sat_f64_s i64.trunc_sat_f64_u".split()
):
    _add((PREFIX_FC, _i), _name, sig=_s(_T[_name[-5:-2]], _T[_name[:3]]))
_add((PREFIX_FC, 8), "memory.init", Imm.MEMORY_INIT, _s("iii", ""))
_add((PREFIX_FC, 9), "data.drop", Imm.DATA, _s("", ""))
_add((PREFIX_FC, 10), "memory.copy", Imm.MEMORY_COPY, _s("iii", ""))
_add((PREFIX_FC, 11), "memory.fill", Imm.MEMORY, _s("iii", ""))
_add((PREFIX_FC, 12), "table.init", Imm.TABLE_INIT)
_add((PREFIX_FC, 13), "elem.drop", Imm.ELEM)
_add((PREFIX_FC, 14), "table.copy", Imm.TABLE_COPY)
_add((PREFIX_FC, 15), "table.grow", Imm.TABLE)
_add((PREFIX_FC, 16), "table.size", Imm.TABLE)
_add((PREFIX_FC, 17), "table.fill", Imm.TABLE)


# ---- 0xFD prefix: SIMD ---------------------------------------------------------------
def _v(sub: int, name: str, sig: Sig, imm: Imm = Imm.NONE,
       mem_size: Optional[int] = None, lanes: Optional[int] = None) -> None:
    _add((PREFIX_FD, sub), name, imm, sig, mem_size, lanes)


_V_V = _s("v", "v")
_VV_V = _s("vv", "v")

_v(0x00, "v128.load", _s("i", "v"), Imm.MEMARG, 16)
for _i, (_name, _size) in enumerate([
    ("v128.load8x8_s", 8), ("v128.load8x8_u", 8), ("v128.load16x4_s", 8),
    ("v128.load16x4_u", 8), ("v128.load32x2_s", 8), ("v128.load32x2_u", 8),
    ("v128.load8_splat", 1), ("v128.load16_splat", 2), ("v128.load32_splat", 4),
    ("v128.load64_splat", 8),
]):
    _v(0x01 + _i, _name, _s("i", "v"), Imm.MEMARG, _size)
_v(0x0B, "v128.store", _s("iv", ""), Imm.MEMARG, 16)
_v(0x0C, "v128.const", _s("", "v"), Imm.V128)
_v(0x0D, "i8x16.shuffle", _VV_V, Imm.SHUFFLE)
_v(0x0E, "i8x16.swizzle", _VV_V)
for _i, (_shape, _t) in enumerate([("i8x16", "i"), ("i16x8", "i"), ("i32x4", "i"),
                                   ("i64x2", "I"), ("f32x4", "f"), ("f64x2", "F")]):
    _v(0x0F + _i, f"{_shape}.splat", _s(_t, "v"))

_sub = 0x15
for _shape, _t, _n, _signed in [("i8x16", "i", 16, True), ("i16x8", "i", 8, True),
                                ("i32x4", "i", 4, False), ("i64x2", "I", 2, False),
                                ("f32x4", "f", 4, False), ("f64x2", "F", 2, False)]:
    for _ext in (("extract_lane_s", "extract_lane_u") if _signed else ("extract_lane",)):
        _v(_sub, f"{_shape}.{_ext}", _s("v", _t), Imm.LANE, lanes=_n)
        _sub += 1
    _v(_sub, f"{_shape}.replace_lane", _s("v" + _t, "v"), Imm.LANE, lanes=_n)
    _sub += 1

_sub = 0x23
for _shape, _rels in [("i8x16", _INT_REL), ("i16x8", _INT_REL), ("i32x4", _INT_REL),
                      ("f32x4", _FLOAT_REL), ("f64x2", _FLOAT_REL)]:
    for _rel in _rels.split():
        _v(_sub, f"{_shape}.{_rel}", _VV_V)
        _sub += 1

_v(0x4D, "v128.not", _V_V)
_v(0x4E, "v128.and", _VV_V)
_v(0x4F, "v128.andnot", _VV_V)
_v(0x50, "v128.or", _VV_V)
_v(0x51, "v128.xor", _VV_V)
_v(0x52, "v128.bitselect", _s("vvv", "v"))
_v(0x53, "v128.any_true", _s("v", "i"))
for _i, _bits in enumerate((8, 16, 32, 64)):
    _v(0x54 + _i, f"v128.load{_bits}_lane", _s("iv", "v"), Imm.MEMARG_LANE, _bits // 8, 128 // _bits)
    _v(0x58 + _i, f"v128.store{_bits}_lane", _s("iv", ""), Imm.MEMARG_LANE, _bits // 8, 128 // _bits)
_v(0x5C, "v128.load32_zero", _s("i", "v"), Imm.MEMARG, 4)
_v(0x5D, "v128.load64_zero", _s("i", "v"), Imm.MEMARG, 8)
_v(0x5E, "f32x4.demote_f64x2_zero", _V_V)
_v(0x5F, "f64x2.promote_low_f32x4", _V_V)

# The rest of the SIMD space, listed sparsely: (sub, name, shape) where shape is
# "un" v->v, "bin" vv->v, "test" v->i32, "shift" v i32->v.
_SIMD_SHAPES = {"un": _V_V, "bin": _VV_V, "test": _s("v", "i"), "shift": _s("vi", "v")}
for _sub, _name, _shape in [
    (0x60, "i8x16.abs", "un"), (0x61, "i8x16.neg", "un"), (0x62, "i8x16.popcnt", "un"),
    (0x63, "i8x16.all_true", "test"), (0x64, "i8x16.bitmask", "test"),
    (0x65, "i8x16.narrow_i16x8_s", "bin"), (0x66, "i8x16.narrow_i16x8_u", "bin"),
    (0x67, "f32x4.ceil", "un"), (0x68, "f32x4.floor", "un"), (0x69, "f32x4.trunc", "un"),
    (0x6A, "f32x4.nearest", "un"),
    (0x6B, "i8x16.shl", "shift"), (0x6C, "i8x16.shr_s", "shift"), (0x6D, "i8x16.shr_u", "shift"),
    (0x6E, "i8x16.add", "bin"), (0x6F, "i8x16.add_sat_s", "bin"), (0x70, "i8x16.add_sat_u", "bin"),
    (0x71, "i8x16.sub", "bin"), (0x72, "i8x16.sub_sat_s", "bin"), (0x73, "i8x16.sub_sat_u", "bin"),
    (0x74, "f64x2.ceil", "un"), (0x75, "f64x2.floor", "un"),
    (0x76, "i8x16.min_s", "bin"), (0x77, "i8x16.min_u", "bin"),
    (0x78, "i8x16.max_s", "bin"), (0x79, "i8x16.max_u", "bin"),
    (0x7A, "f64x2.trunc", "un"), (0x7B, "i8x16.avgr_u", "bin"),
    (0x7C, "i16x8.extadd_pairwise_i8x16_s", "un"), (0x7D, "i16x8.extadd_pairwise_i8x16_u", "un"),
    (0x7E, "i32x4.extadd_pairwise_i16x8_s", "un"), (0x7F, "i32x4.extadd_pairwise_i16x8_u", "un"),
    (0x80, "i16x8.abs", "un"), (0x81, "i16x8.neg", "un"), (0x82, "i16x8.q15mulr_sat_s", "bin"),
    (0x83, "i16x8.all_true", "test"), (0x84, "i16x8.bitmask", "test"),
    (0x85, "i16x8.narrow_i32x4_s", "bin"), (0x86, "i16x8.narrow_i32x4_u", "bin"),
    (0x87, "i16x8.extend_low_i8x16_s", "un"), (0x88, "i16x8.extend_high_i8x16_s", "un"),
    (0x89, "i16x8.extend_low_i8x16_u", "un"), (0x8A, "i16x8.extend_high_i8x16_u", "un"),
    (0x8B, "i16x8.shl", "shift"), (0x8C, "i16x8.shr_s", "shift"), (0x8D, "i16x8.shr_u", "shift"),
    (0x8E, "i16x8.add", "bin"), (0x8F, "i16x8.add_sat_s", "bin"), (0x90, "i16x8.add_sat_u", "bin"),
    (0x91, "i16x8.sub", "bin"), (0x92, "i16x8.sub_sat_s", "bin"), (0x93, "i16x8.sub_sat_u", "bin"),
    (0x94, "f64x2.nearest", "un"), (0x95, "i16x8.mul", "bin"),
    (0x96, "i16x8.min_s", "bin"), (0x97, "i16x8.min_u", "bin"),
    (0x98, "i16x8.max_s", "bin"), (0x99, "i16x8.max_u", "bin"),
    (0x9B, "i16x8.avgr_u", "bin"),
    (0x9C, "i16x8.extmul_low_i8x16_s", "bin"), (0x9D, "i16x8.extmul_high_i8x16_s", "bin"),
    (0x9E, "i16x8.extmul_low_i8x16_u", "bin"), (0x9F, "i16x8.extmul_high_i8x16_u", "bin"),
    (0xA0, "i32x4.abs", "un"), (0xA1, "i32x4.neg", "un"),
    (0xA3, "i32x4.all_true", "test"), (0xA4, "i32x4.bitmask", "test"),
    (0xA7, "i32x4.extend_low_i16x8_s", "un"), (0xA8, "i32x4.extend_high_i16x8_s", "un"),
    (0xA9, "i32x4.extend_low_i16x8_u", "un"), (0xAA, "i32x4.extend_high_i16x8_u", "un"),
    (0xAB, "i32x4.shl", "shift"), (0xAC, "i32x4.shr_s", "shift"), (0xAD, "i32x4.shr_u", "shift"),
    (0xAE, "i32x4.add", "bin"), (0xB1, "i32x4.sub", "bin"), (0xB5, "i32x4.mul", "bin"),
    (0xB6, "i32x4.min_s", "bin"), (0xB7, "i32x4.min_u", "bin"),
    (0xB8, "i32x4.max_s", "bin"), (0xB9, "i32x4.max_u", "bin"),
    (0xBA, "i32x4.dot_i16x8_s", "bin"),
    (0xBC, "i32x4.extmul_low_i16x8_s", "bin"), (0xBD, "i32x4.extmul_high_i16x8_s", "bin"),
    (0xBE, "i32x4.extmul_low_i16x8_u", "bin"), (0xBF, "i32x4.extmul_high_i16x8_u", "bin"),
    (0xC0, "i64x2.abs", "un"), (0xC1, "i64x2.neg", "un"),
    (0xC3, "i64x2.all_true", "test"), (0xC4, "i64x2.bitmask", "test"),
    (0xC7, "i64x2.extend_low_i32x4_s", "un"), (0xC8, "i64x2.extend_high_i32x4_s", "un"),
    (0xC9, "i64x2.extend_low_i32x4_u", "un"), (0xCA, "i64x2.extend_high_i32x4_u", "un"),
    (0xCB, "i64x2.shl", "shift"), (0xCC, "i64x2.shr_s", "shift"), (0xCD, "i64x2.shr_u", "shift"),
    (0xCE, "i64x2.add", "bin"), (0xD1, "i64x2.sub", "bin"), (0xD5, "i64x2.mul", "bin"),
    (0xD6, "i64x2.eq", "bin"), (0xD7, "i64x2.ne", "bin"), (0xD8, "i64x2.lt_s", "bin"),
    (0xD9, "i64x2.gt_s", "bin"), (0xDA, "i64x2.le_s", "bin"), (0xDB, "i64x2.ge_s", "bin"),
    (0xDC, "i64x2.extmul_low_i32x4_s", "bin"), (0xDD, "i64x2.extmul_high_i32x4_s", "bin"),
    (0xDE, "i64x2.extmul_low_i32x4_u", "bin"), (0xDF, "i64x2.extmul_high_i32x4_u", "bin"),
    (0xE0, "f32x4.abs", "un"), (0xE1, "f32x4.neg", "un"), (0xE3, "f32x4.sqrt", "un"),
    (0xE4, "f32x4.add", "bin"), (0xE5, "f32x4.sub", "bin"), (0xE6, "f32x4.mul", "bin"),
    (0xE7, "f32x4.div", "bin"), (0xE8, "f32x4.min", "bin"), (0xE9, "f32x4.max", "bin"),
    (0xEA, "f32x4.pmin", "bin"), (0xEB, "f32x4.pmax", "bin"),
    (0xEC, "f64x2.abs", "un"), (0xED, "f64x2.neg", "un"), (0xEF, "f64x2.sqrt", "un"),
    (0xF0, "f64x2.add", "bin"), (0xF1, "f64x2.sub", "bin"), (0xF2, "f64x2.mul", "bin"),
    (0xF3, "f64x2.div", "bin"), (0xF4, "f64x2.min", "bin"), (0xF5, "f64x2.max", "bin"),
    (0xF6, "f64x2.pmin", "bin"), (0xF7, "f64x2.pmax", "bin"),
    (0xF8, "i32x4.trunc_sat_f32x4_s", "un"), (0xF9, "i32x4.trunc_sat_f32x4_u", "un"),
    (0xFA, "f32x4.convert_i32x4_s", "un"), (0xFB, "f32x4.convert_i32x4_u", "un"),
    (0xFC, "i32x4.trunc_sat_f64x2_s_zero", "un"), (0xFD, "i32x4.trunc_sat_f64x2_u_zero", "un"),
    (0xFE, "f64x2.convert_low_i32x4_s", "un"), (0xFF, "f64x2.convert_low_i32x4_u", "un"),
]:
    _v(_sub, _name, _SIMD_SHAPES[_shape])


# ---- lookup views ----------------------------------------------------------------------
SINGLE: tuple[Optional[OpInfo], ...] = tuple(OPCODES.get(b) for b in range(256))
"""Single-byte opcodes indexed by byte (None: not an opcode, or a prefix)."""

FC_OPS: dict[int, OpInfo] = {c[1]: i for c, i in OPCODES.items() if isinstance(c, tuple) and c[0] == PREFIX_FC}
FD_OPS: dict[int, OpInfo] = {c[1]: i for c, i in OPCODES.items() if isinstance(c, tuple) and c[0] == PREFIX_FD}

OPS_BY_NAME: dict[str, OpInfo] = {}
for _info in OPCODES.values():
    OPS_BY_NAME.setdefault(_info.name, _info)  # keeps the untyped `select` (0x1B)

__all__ = ["Imm", "OpInfo", "OPCODES", "OPS_BY_NAME", "SINGLE", "FC_OPS", "FD_OPS",
           "PREFIX_FC", "PREFIX_FD"]
