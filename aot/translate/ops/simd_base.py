"""What the SIMD lowering families share: lane shapes, v128 <-> LLVM vector casts, helpers.

A v128 is an `i128` wherever the ABI can see it (operand stack, locals, globals, block
values, calls); every SIMD handler bitcasts its operands to the LLVM vector type of the
shape it reads them as (`<16 x i8>`, `<4 x float>`, ...) and its result back. LLVM folds
those bitcast pairs, so values stay in vector registers between operators.

Family handlers are "vector functions": `fn(cx, *vectors) -> vector`, wrapped into
instruction handlers `handler(cx, ins)` by `lanewise` (same shape in and out) or
`shaped` (different shapes, or a scalar operand or result).
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

from llvmlite import ir

from ..irutils import F32, F64, I8, I16, I32, I64, I128


class Shape(NamedTuple):
    """One way to read a v128: `count` lanes of `elem`."""

    name: str  # "i8x16"
    elem: ir.Type
    count: int

    @property
    def vector(self) -> ir.VectorType:
        return ir.VectorType(self.elem, self.count)

    @property
    def bits(self) -> int:
        """Lane width in bits."""
        return 128 // self.count

    @property
    def int_vector(self) -> ir.VectorType:
        """Integer lanes of the same width (the shape itself for integer shapes)."""
        return ir.VectorType(ir.IntType(self.bits), self.count)


I8X16 = Shape("i8x16", I8, 16)
I16X8 = Shape("i16x8", I16, 8)
I32X4 = Shape("i32x4", I32, 4)
I64X2 = Shape("i64x2", I64, 2)
F32X4 = Shape("f32x4", F32, 4)
F64X2 = Shape("f64x2", F64, 2)

SHAPES: dict[str, Shape] = {s.name: s for s in (I8X16, I16X8, I32X4, I64X2, F32X4, F64X2)}
INT_SHAPES = (I8X16, I16X8, I32X4, I64X2)
FLOAT_SHAPES = (F32X4, F64X2)

WIDER: dict[str, Shape] = {"i8x16": I16X8, "i16x8": I32X4, "i32x4": I64X2}
"""The shape with lanes twice as wide (for extend, extmul, narrow's source...)."""

VectorFn = Callable[..., ir.Value]


# ---- casts -----------------------------------------------------------------------------

def as_vector(cx, value: ir.Value, ty: ir.VectorType) -> ir.Value:
    """`value` (an i128 or another 128-bit vector) read as `ty`."""
    return value if value.type == ty else cx.builder.bitcast(value, ty)


def as_v128(cx, value: ir.Value) -> ir.Value:
    """A 128-bit vector as the i128 the operand stack holds."""
    return value if value.type == I128 else cx.builder.bitcast(value, I128)


def v128_constant(data: bytes) -> ir.Constant:
    """The i128 of 16 little-endian bytes (lane 0 in the low bits)."""
    return ir.Constant(I128, int.from_bytes(data, "little"))


def splat_constant(ty: ir.VectorType, value: int | float) -> ir.Constant:
    """`value` in every lane; integers may be given signed or unsigned."""
    if isinstance(ty.element, ir.IntType):
        value = int(value) & ((1 << ty.element.width) - 1)
    return ir.Constant(ty, [value] * ty.count)


def lane_indices(indices: Sequence[int]) -> ir.Constant:
    """A `shufflevector` mask."""
    return ir.Constant(ir.VectorType(I32, len(indices)), list(indices))


def splat(cx, scalar: ir.Value, count: int) -> ir.Value:
    """`scalar` in each of `count` lanes (insertelement + zero-mask shufflevector)."""
    b = cx.builder
    ty = ir.VectorType(scalar.type, count)
    one = b.insert_element(ir.Constant(ty, ir.Undefined), scalar, ir.Constant(I32, 0))
    return b.shuffle_vector(one, ir.Constant(ty, ir.Undefined), lane_indices([0] * count))


def half(cx, v: ir.Value, high: bool) -> ir.Value:
    """The low or high half of vector `v`'s lanes."""
    n = v.type.count // 2
    start = n if high else 0
    return cx.builder.shuffle_vector(v, ir.Constant(v.type, ir.Undefined),
                                     lane_indices(range(start, start + n)))


def mask_to_lanes(cx, flags: ir.Value, ty: ir.VectorType) -> ir.Value:
    """An `<N x i1>` as Wasm's boolean lanes: all ones or all zeros, in integer type `ty`."""
    return cx.builder.sext(flags, ty)


def to_i32(cx, flag: ir.Value) -> ir.Value:
    """An i1 as Wasm's i32 0/1."""
    return cx.builder.zext(flag, I32)


# ---- intrinsics ---------------------------------------------------------------------------

def mangle(ty: ir.Type) -> str:
    """LLVM's overload suffix of a type: `v16i8`, `v4f32`, `i32`, `f64`."""
    if isinstance(ty, ir.VectorType):
        return f"v{ty.count}{mangle(ty.element)}"
    if isinstance(ty, ir.IntType):
        return f"i{ty.width}"
    return {F32: "f32", F64: "f64"}[ty]


def call(cx, name: str, ret: ir.Type, args: Sequence[ir.Value],
         overloads: Sequence[ir.Type] | None = None) -> ir.Value:
    """Call the intrinsic `llvm.<name>[.<overloads>]` (overloads default to the return type;
    give `()` for a non-overloaded, target-specific one)."""
    if overloads is None:
        overloads = (ret,)
    full = ".".join([f"llvm.{name}", *(mangle(t) for t in overloads)])
    fn = cx.intrinsic(full, ret, [a.type for a in args])
    return cx.builder.call(fn, list(args))


def target(cx):
    """The TargetInfo of the module being translated."""
    return cx.env.target


# ---- handler builders -------------------------------------------------------------------

def _pop(cx, n: int) -> list[ir.Value]:
    args = cx.stack[-n:]
    del cx.stack[-n:]
    return args


def lanewise(shape: Shape, fn: VectorFn, arity: int):
    """An instruction handler: `arity` v128 operands read as `shape`, a v128 result."""
    ty = shape.vector

    def handler(cx, ins) -> None:
        vectors = [as_vector(cx, v, ty) for v in _pop(cx, arity)]
        cx.stack.append(as_v128(cx, fn(cx, *vectors)))
    return handler


def shaped(fn: VectorFn, params: Sequence[ir.Type | None], result_is_v128: bool = True):
    """An instruction handler with per-operand types: a vector type reads a v128 operand
    as that type; None passes a scalar operand (i32, f32, ...) through unchanged."""
    def handler(cx, ins) -> None:
        args = _pop(cx, len(params))
        args = [a if ty is None else as_vector(cx, a, ty) for a, ty in zip(args, params)]
        result = fn(cx, *args)
        cx.stack.append(as_v128(cx, result) if result_is_v128 else result)
    return handler


def merge(*tables: dict) -> dict:
    """Handler tables of several families; an operator lowered twice is a bug."""
    merged: dict = {}
    for table in tables:
        clash = merged.keys() & table.keys()
        if clash:
            raise RuntimeError(f"SIMD operators lowered twice: {sorted(clash)}")
        merged.update(table)
    return merged


__all__ = ["Shape", "SHAPES", "INT_SHAPES", "FLOAT_SHAPES", "WIDER", "I8X16", "I16X8", "I32X4",
           "I64X2", "F32X4", "F64X2", "as_vector", "as_v128", "v128_constant",
           "splat_constant", "lane_indices", "splat", "half", "mask_to_lanes", "to_i32",
           "mangle", "call", "target", "lanewise", "shaped", "merge"]
