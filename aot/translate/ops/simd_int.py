"""Integer lane arithmetic: add/sub/mul, neg/abs, min/max, saturating add/sub, avgr_u,
popcnt, shifts, q15mulr_sat_s and the comparisons.

Each maps onto an LLVM vector operation or intrinsic with the same meaning for every
input (wrapping add/sub/mul, abs of INT_MIN is INT_MIN, *.sat intrinsics), so LLVM picks
the native instruction (paddsb, pavgb, pminud, cnt, urhadd...). The exceptions, spelled
out where they are handled: shift counts (Wasm takes them modulo the lane width, LLVM
makes counts >= width poison) and q15mulr_sat_s (its one overflowing case saturates).
"""
from __future__ import annotations

from functools import partial

from llvmlite import ir

from ..irutils import I1
from .simd_base import (I16X8, I64X2, INT_SHAPES, WIDER, Shape, call, lanewise, mask_to_lanes,
                        shaped, splat, splat_constant, target)


def _plain(method: str, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    return getattr(cx.builder, method)(a, b)


def _neg(cx, a: ir.Value) -> ir.Value:
    return cx.builder.sub(ir.Constant(a.type, None), a)


def _abs(cx, a: ir.Value) -> ir.Value:
    # `false`: abs(INT_MIN) is INT_MIN (Wasm wraps), not poison
    return call(cx, "abs", a.type, [a, ir.Constant(I1, 0)])


def _intrinsic(name: str, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    """smin/umin/smax/umax and the saturating sadd.sat/uadd.sat/ssub.sat/usub.sat."""
    return call(cx, name, a.type, [a, b])


def _avgr_u(shape: Shape, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    """(a + b + 1) >> 1 without overflow: in lanes twice as wide (LLVM: pavgb / urhadd)."""
    bld = cx.builder
    wide = ir.VectorType(WIDER[shape.name].elem, shape.count)
    total = bld.add(bld.add(bld.zext(a, wide), bld.zext(b, wide)), splat_constant(wide, 1))
    return bld.trunc(bld.lshr(total, splat_constant(wide, 1)), a.type)


def _popcnt(cx, a: ir.Value) -> ir.Value:
    return call(cx, "ctpop", a.type, [a])


def _shift(method: str, shape: Shape, cx, a: ir.Value, count: ir.Value) -> ir.Value:
    """The i32 count modulo the lane width, in every lane."""
    bld = cx.builder
    n = bld.and_(count, ir.Constant(count.type, shape.bits - 1))
    if shape.bits < 32:
        n = bld.trunc(n, shape.elem)
    elif shape.bits > 32:
        n = bld.zext(n, shape.elem)
    return getattr(bld, method)(a, splat(cx, n, shape.count))


def _compare(signed: bool, pred: str, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    icmp = cx.builder.icmp_signed if signed else cx.builder.icmp_unsigned
    return mask_to_lanes(cx, icmp(pred, a, b), a.type)


def _q15mulr_sat_s(cx, a: ir.Value, b: ir.Value) -> ir.Value:
    """(a * b + 0x4000) >> 15, saturated to i16.

    Only -32768 * -32768 overflows (to 32768); no other product rounds to -32768. So
    every native "rounding doubling multiply high" that wraps (x86 pmulhrsw) is fixed
    by flipping -32768 to 32767 (xor with the lane's all-ones equality mask); aarch64
    sqrdmulh saturates by itself.
    """
    t = target(cx)
    if t.is_aarch64:
        return call(cx, "aarch64.neon.sqrdmulh", a.type, [a, b])
    if t.is_x86_64 and t.has("ssse3"):
        wrapped = call(cx, "x86.ssse3.pmul.hr.sw.128", a.type, [a, b], ())
    else:
        wrapped = _q15mulr_wrapping(cx, a, b)
    bld = cx.builder
    overflowed = bld.icmp_signed("==", wrapped, splat_constant(a.type, -32768))
    return bld.xor(wrapped, mask_to_lanes(cx, overflowed, a.type))


def _q15mulr_wrapping(cx, a: ir.Value, b: ir.Value) -> ir.Value:
    """(a * b + 0x4000) >> 15 modulo 2**16, in 32-bit lanes: ((p >> 14) + 1) >> 1."""
    bld = cx.builder
    wide = ir.VectorType(WIDER["i16x8"].elem, a.type.count)
    product = bld.mul(bld.sext(a, wide), bld.sext(b, wide))
    rounded = bld.add(bld.ashr(product, splat_constant(wide, 14)), splat_constant(wide, 1))
    return bld.trunc(bld.ashr(rounded, splat_constant(wide, 1)), a.type)


_RELATIONS = {"eq": (False, "=="), "ne": (False, "!="),
              "lt_s": (True, "<"), "lt_u": (False, "<"), "gt_s": (True, ">"), "gt_u": (False, ">"),
              "le_s": (True, "<="), "le_u": (False, "<="), "ge_s": (True, ">="), "ge_u": (False, ">=")}
_SHIFTS = {"shl": "shl", "shr_s": "ashr", "shr_u": "lshr"}
_MIN_MAX = {"min_s": "smin", "min_u": "umin", "max_s": "smax", "max_u": "umax"}
_SATURATING = {"add_sat_s": "sadd.sat", "add_sat_u": "uadd.sat",
               "sub_sat_s": "ssub.sat", "sub_sat_u": "usub.sat"}


def _lanewise_ops(shape: Shape) -> dict:
    """{operator name without the shape: (vector function, arity)} of one integer shape."""
    ops = {"add": (partial(_plain, "add"), 2), "sub": (partial(_plain, "sub"), 2),
           "neg": (_neg, 1), "abs": (_abs, 1)}
    for rel, (signed, pred) in _RELATIONS.items():
        if shape is not I64X2 or rel in ("eq", "ne") or rel.endswith("_s"):  # i64x2: no _u
            ops[rel] = (partial(_compare, signed, pred), 2)
    if shape is not I64X2:
        ops.update({name: (partial(_intrinsic, fn), 2) for name, fn in _MIN_MAX.items()})
    if shape.bits <= 16:
        ops.update({name: (partial(_intrinsic, fn), 2) for name, fn in _SATURATING.items()})
        ops["avgr_u"] = (partial(_avgr_u, shape), 2)
    if shape.bits >= 16:
        ops["mul"] = (partial(_plain, "mul"), 2)
    return ops


def _table() -> dict:
    ops = {}
    for shape in INT_SHAPES:
        for name, (fn, arity) in _lanewise_ops(shape).items():
            ops[f"{shape.name}.{name}"] = lanewise(shape, fn, arity)
        for name, method in _SHIFTS.items():
            ops[f"{shape.name}.{name}"] = shaped(partial(_shift, method, shape), [shape.vector, None])
    ops["i8x16.popcnt"] = lanewise(INT_SHAPES[0], _popcnt, 1)
    ops["i16x8.q15mulr_sat_s"] = lanewise(I16X8, _q15mulr_sat_s, 2)
    return ops


HANDLERS = _table()
"""Instruction handler of every integer lane-arithmetic and comparison operator."""
