"""Whole-register bit operations and the boolean reductions (any_true, all_true, bitmask).

The bitwise operators do not care about lanes; they work on `<2 x i64>`. The
reductions are written as LLVM's vector reductions and `<N x i1>` bitcasts, which x86
lowers to ptest/pmovmskb/movmskps and aarch64 to umaxv/uminv/addv sequences.
"""
from __future__ import annotations

from functools import partial

from llvmlite import ir

from ..irutils import I1, I32
from .simd_base import INT_SHAPES, I64X2, Shape, call, lanewise, shaped, splat_constant, to_i32

_V = I64X2.vector
_ONES = splat_constant(_V, -1)


def _not(cx, a: ir.Value) -> ir.Value:
    return cx.builder.xor(a, _ONES)


def _binary(method: str, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    return getattr(cx.builder, method)(a, b)


def _andnot(cx, a: ir.Value, b: ir.Value) -> ir.Value:
    return cx.builder.and_(a, _not(cx, b))


def _bitselect(cx, a: ir.Value, b: ir.Value, mask: ir.Value) -> ir.Value:
    """Bits of `a` where `mask` is 1, of `b` where it is 0."""
    bld = cx.builder
    return bld.or_(bld.and_(a, mask), bld.and_(b, _not(cx, mask)))


def _any_true(cx, a: ir.Value) -> ir.Value:
    any_bits = call(cx, "vector.reduce.or", I64X2.elem, [a], (_V,))
    return to_i32(cx, cx.builder.icmp_unsigned("!=", any_bits, ir.Constant(I64X2.elem, 0)))


def _all_true(shape: Shape, cx, a: ir.Value) -> ir.Value:
    nonzero = cx.builder.icmp_unsigned("!=", a, ir.Constant(shape.vector, None))
    return to_i32(cx, call(cx, "vector.reduce.and", I1, [nonzero], (nonzero.type,)))


def _bitmask(shape: Shape, cx, a: ir.Value) -> ir.Value:
    """Bit i of the result is the sign bit of lane i."""
    negative = cx.builder.icmp_signed("<", a, ir.Constant(shape.vector, None))
    bits = cx.builder.bitcast(negative, ir.IntType(shape.count))
    return cx.builder.zext(bits, I32)


def _table() -> dict:
    ops = {
        "v128.not": lanewise(I64X2, _not, 1),
        "v128.and": lanewise(I64X2, partial(_binary, "and_"), 2),
        "v128.or": lanewise(I64X2, partial(_binary, "or_"), 2),
        "v128.xor": lanewise(I64X2, partial(_binary, "xor"), 2),
        "v128.andnot": lanewise(I64X2, _andnot, 2),
        "v128.bitselect": lanewise(I64X2, _bitselect, 3),
        "v128.any_true": shaped(_any_true, [_V], result_is_v128=False),
    }
    for shape in INT_SHAPES:
        ops[f"{shape.name}.all_true"] = shaped(partial(_all_true, shape), [shape.vector],
                                               result_is_v128=False)
        ops[f"{shape.name}.bitmask"] = shaped(partial(_bitmask, shape), [shape.vector],
                                              result_is_v128=False)
    return ops


HANDLERS = _table()
"""Instruction handler of every bitwise operator and boolean reduction."""
