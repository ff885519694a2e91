"""v128.const, shuffles, splats and single-lane access.

`i8x16.swizzle` picks bytes by run-time indices and gives 0 for an index >= 16. Each
target's table-lookup instruction gets the indices in the form it wants:
- aarch64 `tbl` already gives 0 for an out-of-range index;
- x86 `pshufb` gives 0 when an index's top bit is set and otherwise uses its low four
  bits, so a saturating add of 0x70 maps 0..15 to 0x70..0x7F and every index >= 16 to
  0x80 or more (pshufb is SSSE3: used when the target is known to have it);
- elsewhere (an x86-64 build without known features, other targets): a lane-by-lane
  gather on the index masked to 0..15, then zero where the index was >= 16. LLVM's x86
  backend turns this into pshufb too whenever the target machine has SSSE3.
"""
from __future__ import annotations

from functools import partial

from llvmlite import ir

from ..irutils import I32
from .simd_base import (I8X16, SHAPES, Shape, as_v128, as_vector, call, lane_indices,
                        shaped, splat, splat_constant, target, v128_constant)

_V16 = I8X16.vector


def _const(cx, ins) -> None:
    cx.stack.append(v128_constant(ins.imm))


def _shuffle(cx, ins) -> None:
    """Lane i of the result is lane imm[i] of a ++ b (indices 0..31, checked by validation)."""
    b = cx.stack.pop()
    a = cx.stack.pop()
    mixed = cx.builder.shuffle_vector(as_vector(cx, a, _V16), as_vector(cx, b, _V16),
                                      lane_indices(list(ins.imm)))
    cx.stack.append(as_v128(cx, mixed))


def _swizzle(cx, table: ir.Value, indices: ir.Value) -> ir.Value:
    t = target(cx)
    if t.is_aarch64:
        return call(cx, "aarch64.neon.tbl1", _V16, [table, indices], (_V16,))
    if t.is_x86_64 and t.has("ssse3"):
        biased = call(cx, "uadd.sat", _V16, [indices, splat_constant(_V16, 0x70)])
        return call(cx, "x86.ssse3.pshuf.b.128", _V16, [table, biased], ())
    return _portable_swizzle(cx, table, indices)


def _portable_swizzle(cx, table: ir.Value, indices: ir.Value) -> ir.Value:
    b = cx.builder
    low = b.and_(indices, splat_constant(_V16, 15))  # an index >= 16 would be poison
    picked = ir.Constant(_V16, ir.Undefined)
    for lane in range(16):
        k = ir.Constant(I32, lane)
        byte = b.extract_element(table, b.extract_element(low, k))
        picked = b.insert_element(picked, byte, k)
    in_range = b.icmp_unsigned("<", indices, splat_constant(_V16, 16))
    return b.select(in_range, picked, ir.Constant(_V16, None))


def _splat(shape: Shape, cx, scalar: ir.Value) -> ir.Value:
    if scalar.type != shape.elem:  # i8x16/i16x8 take the low bits of an i32
        scalar = cx.builder.trunc(scalar, shape.elem)
    return splat(cx, scalar, shape.count)


def _extract(shape: Shape, extend: str | None, cx, ins) -> None:
    v = as_vector(cx, cx.stack.pop(), shape.vector)
    lane = cx.builder.extract_element(v, ir.Constant(I32, ins.imm))
    if extend == "s":
        lane = cx.builder.sext(lane, I32)
    elif extend == "u":
        lane = cx.builder.zext(lane, I32)
    cx.stack.append(lane)


def _replace(shape: Shape, cx, ins) -> None:
    scalar = cx.stack.pop()
    v = as_vector(cx, cx.stack.pop(), shape.vector)
    if scalar.type != shape.elem:
        scalar = cx.builder.trunc(scalar, shape.elem)
    cx.stack.append(as_v128(cx, cx.builder.insert_element(v, scalar, ir.Constant(I32, ins.imm))))


def _table() -> dict:
    ops = {
        "v128.const": _const,
        "i8x16.shuffle": _shuffle,
        "i8x16.swizzle": shaped(_swizzle, [_V16, _V16]),
    }
    for name, shape in SHAPES.items():
        ops[f"{name}.splat"] = shaped(partial(_splat, shape), [None])
        ops[f"{name}.replace_lane"] = partial(_replace, shape)
        if shape.bits < 32:
            ops[f"{name}.extract_lane_s"] = partial(_extract, shape, "s")
            ops[f"{name}.extract_lane_u"] = partial(_extract, shape, "u")
        else:
            ops[f"{name}.extract_lane"] = partial(_extract, shape, None)
    return ops


HANDLERS = _table()
"""Instruction handler of every constant, shuffle, splat and lane operator."""
