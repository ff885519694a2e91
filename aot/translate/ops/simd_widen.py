"""Operators that change the lane width: extend, extmul, extadd_pairwise, dot, narrow.

Written as plain widening casts, shuffles and clamps, which LLVM matches to the native
instructions (pmovsxbw/sshll, pmaddwd/smull+addp, sqxtn, ...). Widened arithmetic cannot
overflow, so it has no undefined cases. narrow is exactly x86's pack instructions
(signed saturation, or signed input saturated to unsigned): on x86-64 they are called
directly where the target surely has them (SSE2, packusdw with SSE4.1), since LLVM
otherwise widens through 256-bit registers on AVX-512 machines.
"""
from __future__ import annotations

from functools import partial

from llvmlite import ir

from .simd_base import (SHAPES, WIDER, Shape, call, half, lane_indices, lanewise, shaped,
                        splat_constant, target)

# x86 pack instruction per (source lane bits, signed result), and the feature it needs
_X86_PACK = {(16, True): ("x86.sse2.packsswb.128", "sse2"), (16, False): ("x86.sse2.packuswb.128", "sse2"),
             (32, True): ("x86.sse2.packssdw.128", "sse2"), (32, False): ("x86.sse41.packusdw", "sse4.1")}


def _widen(cx, v: ir.Value, signed: bool) -> ir.Value:
    wide = ir.VectorType(ir.IntType(v.type.element.width * 2), v.type.count)
    return (cx.builder.sext if signed else cx.builder.zext)(v, wide)


def _extend(high: bool, signed: bool, cx, a: ir.Value) -> ir.Value:
    return _widen(cx, half(cx, a, high), signed)


def _extmul(high: bool, signed: bool, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    return cx.builder.mul(_extend(high, signed, cx, a), _extend(high, signed, cx, b))


def _pairwise_sum(cx, v: ir.Value) -> ir.Value:
    """Lane i is v[2i] + v[2i+1]."""
    n = v.type.count // 2
    undef = ir.Constant(v.type, ir.Undefined)
    even = cx.builder.shuffle_vector(v, undef, lane_indices(range(0, 2 * n, 2)))
    odd = cx.builder.shuffle_vector(v, undef, lane_indices(range(1, 2 * n, 2)))
    return cx.builder.add(even, odd)


def _extadd_pairwise(signed: bool, cx, a: ir.Value) -> ir.Value:
    return _pairwise_sum(cx, _widen(cx, a, signed))


def _dot(cx, a: ir.Value, b: ir.Value) -> ir.Value:
    """i32x4.dot_i16x8_s: sums of adjacent signed products (cannot overflow but for
    -32768 * -32768 twice, which wraps to INT_MIN exactly as Wasm specifies)."""
    return _pairwise_sum(cx, cx.builder.mul(_widen(cx, a, True), _widen(cx, b, True)))


def _narrow(source: Shape, signed: bool, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    """Lanes of a then b, each clamped to the narrow type's range (signed or unsigned),
    reading the source lanes as signed in both cases."""
    bits = source.bits // 2
    narrow = ir.VectorType(ir.IntType(bits), 2 * source.count)
    x86 = _X86_PACK[source.bits, signed]
    if target(cx).is_x86_64 and target(cx).has(x86[1]):
        return call(cx, x86[0], narrow, [a, b], ())
    both = cx.builder.shuffle_vector(a, b, lane_indices(range(2 * source.count)))
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    clamped = call(cx, "smax", both.type, [both, splat_constant(both.type, lo)])
    clamped = call(cx, "smin", both.type, [clamped, splat_constant(both.type, hi)])
    return cx.builder.trunc(clamped, narrow)


def _table() -> dict:
    ops = {}
    for narrow_name, wide in WIDER.items():
        narrow = SHAPES[narrow_name]
        w = wide.name
        for sign, signed in (("s", True), ("u", False)):
            for part, high in (("low", False), ("high", True)):
                ops[f"{w}.extend_{part}_{narrow_name}_{sign}"] = shaped(
                    partial(_extend, high, signed), [narrow.vector])
                ops[f"{w}.extmul_{part}_{narrow_name}_{sign}"] = shaped(
                    partial(_extmul, high, signed), [narrow.vector, narrow.vector])
            if narrow_name != "i32x4":
                ops[f"{w}.extadd_pairwise_{narrow_name}_{sign}"] = shaped(
                    partial(_extadd_pairwise, signed), [narrow.vector])
                ops[f"{narrow_name}.narrow_{w}_{sign}"] = lanewise(
                    wide, partial(_narrow, wide, signed), 2)
    ops["i32x4.dot_i16x8_s"] = shaped(_dot, [SHAPES["i16x8"].vector] * 2)
    return ops


HANDLERS = _table()
"""Instruction handler of every lane-width-changing integer operator."""
