"""Conversions between integer and float lanes, and between f32 and f64 lanes.

convert, promote and demote are single LLVM casts (cvtdq2ps, cvtps2pd, cvtpd2ps, scvtf,
fcvtl, ...). The saturating truncations are where targets differ:
- aarch64 fcvtzs/fcvtzu already saturate and map NaN to 0, exactly Wasm's rule: the
  llvm.fpto[su]i.sat intrinsics become one instruction (f64 lanes: into 64-bit lanes,
  then a saturating narrow).
- x86 has no saturating vector conversion, and LLVM scalarises fpto[su]i.sat vectors,
  so the rule is spelled out: cvttps2dq (SSE2, part of the x86-64 baseline) yields
  0x80000000 for NaN and every out-of-range lane, which is already right below the
  range; lanes at or above 2**31 flip it to 0x7FFFFFFF, NaN lanes are zeroed. The other
  forms clamp the source into the range first (NaN and, for unsigned, negatives to 0),
  so the plain fptosi/fptoui that follows is never out of range.
"""
from __future__ import annotations

from functools import partial

from llvmlite import ir

from ..irutils import F32, I32, I64
from .simd_base import (F32X4, F64X2, I32X4, call, half, lane_indices, mask_to_lanes, shaped,
                        splat_constant, target)

_I32X2 = ir.VectorType(I32, 2)
_I64X2 = ir.VectorType(I64, 2)
_F32X2 = ir.VectorType(F32, 2)


def _widen_with_zeros(cx, v: ir.Value) -> ir.Value:
    """A 2-lane vector as the low half of a 4-lane one whose high lanes are 0."""
    return cx.builder.shuffle_vector(v, ir.Constant(v.type, None), lane_indices(range(4)))


def _convert(signed: bool, cx, a: ir.Value) -> ir.Value:
    return (cx.builder.sitofp if signed else cx.builder.uitofp)(a, F32X4.vector)


def _convert_low(signed: bool, cx, a: ir.Value) -> ir.Value:
    low = half(cx, a, False)
    return (cx.builder.sitofp if signed else cx.builder.uitofp)(low, F64X2.vector)


def _promote_low(cx, a: ir.Value) -> ir.Value:
    return cx.builder.fpext(half(cx, a, False), F64X2.vector)


def _demote_zero(cx, a: ir.Value) -> ir.Value:
    """LLVM folds fptrunc(fpext(x)) to x, which would skip quieting a signalling NaN.

    So when the operand is an fpext, NaN lanes get their quiet bit set explicitly, on the
    integer bits. Not with llvm.canonicalize: x86's instruction selection cannot legalise
    fcanonicalize on v2f32 and aborts the process, and LLVM narrows a canonicalize of the
    widened <4 x float> back to <2 x float> at -O2 (found by the mutation fuzzer; -O0
    aborted before). Setting the quiet bit gives an arithmetic NaN, as Wasm requires; the
    zero lanes are not NaNs.
    """
    source = a
    while isinstance(source, ir.CastInstr) and source.opname == "bitcast":
        source = source.operands[0]
    widened = _widen_with_zeros(cx, cx.builder.fptrunc(a, _F32X2))
    if isinstance(source, ir.CastInstr) and source.opname == "fpext":
        b = cx.builder
        bits = b.bitcast(widened, I32X4.vector)
        quiet = b.or_(bits, ir.Constant(I32X4.vector, [ir.Constant(I32, 0x00400000)] * 4))
        is_nan = b.fcmp_unordered("uno", widened, widened)
        widened = b.bitcast(b.select(is_nan, quiet, bits), F32X4.vector)
    return widened


# ---- saturating truncation -----------------------------------------------------------------

def _f32_trunc_sat(signed: bool, cx, a: ir.Value) -> ir.Value:
    t = target(cx)
    if t.is_aarch64:
        return call(cx, "fptosi.sat" if signed else "fptoui.sat", I32X4.vector, [a],
                    (I32X4.vector, a.type))
    bld = cx.builder
    if signed and t.is_x86_64:
        raw = call(cx, "x86.sse2.cvttps2dq", I32X4.vector, [a], ())
        too_big = bld.fcmp_ordered(">=", a, splat_constant(a.type, 2.0 ** 31))
        fixed = bld.xor(raw, mask_to_lanes(cx, too_big, I32X4.vector))
        return bld.select(bld.fcmp_ordered("ord", a, a), fixed, ir.Constant(I32X4.vector, None))
    if signed:
        return call(cx, "fptosi.sat", I32X4.vector, [a], (I32X4.vector, a.type))
    positive = bld.select(bld.fcmp_ordered(">", a, ir.Constant(a.type, None)), a,
                          ir.Constant(a.type, None))  # NaN and negatives to 0
    too_big = bld.fcmp_ordered(">=", a, splat_constant(a.type, 2.0 ** 32))
    # fptoui is poison for lanes >= 2**32; the select replaces exactly those
    return bld.select(too_big, splat_constant(I32X4.vector, -1), bld.fptoui(positive, I32X4.vector))


def _f64_trunc_sat_zero(signed: bool, cx, a: ir.Value) -> ir.Value:
    bld = cx.builder
    if target(cx).is_aarch64:
        wide = call(cx, "fptosi.sat" if signed else "fptoui.sat", _I64X2, [a], (_I64X2, a.type))
        if signed:
            wide = call(cx, "smax", _I64X2, [wide, splat_constant(_I64X2, -(1 << 31))])
            wide = call(cx, "smin", _I64X2, [wide, splat_constant(_I64X2, (1 << 31) - 1)])
        else:
            wide = call(cx, "umin", _I64X2, [wide, splat_constant(_I64X2, (1 << 32) - 1)])
        return _widen_with_zeros(cx, bld.trunc(wide, _I32X2))
    zero = ir.Constant(a.type, None)
    if signed:  # NaN to 0, the rest clamped to [-2**31, 2**31 - 1] (exact in f64)
        clamped = call(cx, "maxnum", a.type, [a, splat_constant(a.type, -2.0 ** 31)])
        clamped = call(cx, "minnum", a.type, [clamped, splat_constant(a.type, 2.0 ** 31 - 1)])
        source = bld.select(bld.fcmp_ordered("ord", a, a), clamped, zero)
        return _widen_with_zeros(cx, bld.fptosi(source, _I32X2))
    positive = bld.select(bld.fcmp_ordered(">", a, zero), a, zero)  # NaN and negatives to 0
    clamped = call(cx, "minnum", a.type, [positive, splat_constant(a.type, 2.0 ** 32 - 1)])
    return _widen_with_zeros(cx, bld.fptoui(clamped, _I32X2))


def _table() -> dict:
    ops = {
        "f32x4.demote_f64x2_zero": shaped(_demote_zero, [F64X2.vector]),
        "f64x2.promote_low_f32x4": shaped(_promote_low, [F32X4.vector]),
    }
    for sign, signed in (("s", True), ("u", False)):
        ops[f"f32x4.convert_i32x4_{sign}"] = shaped(partial(_convert, signed), [I32X4.vector])
        ops[f"f64x2.convert_low_i32x4_{sign}"] = shaped(partial(_convert_low, signed), [I32X4.vector])
        ops[f"i32x4.trunc_sat_f32x4_{sign}"] = shaped(partial(_f32_trunc_sat, signed), [F32X4.vector])
        ops[f"i32x4.trunc_sat_f64x2_{sign}_zero"] = shaped(partial(_f64_trunc_sat_zero, signed),
                                                           [F64X2.vector])
    return ops


HANDLERS = _table()
"""Instruction handler of every SIMD conversion."""
