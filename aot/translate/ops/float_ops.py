"""Lowering of the f32/f64 operators: arithmetic, rounding, min/max, sign bit ops, comparisons.

No fast-math flags anywhere: Wasm float arithmetic is exact IEEE 754 with
round-to-nearest-even. abs, neg and copysign must only touch the sign bit (NaN payloads
survive); LLVM's fabs, fneg and copysign are specified as such bit operations.
"""
from __future__ import annotations

from functools import partial
from typing import Sequence

from llvmlite import ir

from .nan_quieting import may_fold_to_operand, quiet
from .numeric_base import Handler, NumericContext, call_intrinsic, to_i32


def _unary_intrinsic(intrinsic: str, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """abs, ceil, floor, trunc, nearest (roundeven: ties to even), sqrt."""
    (x,) = args
    return call_intrinsic(cx, intrinsic, x.type, [x])


def _neg(cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    (x,) = args
    return cx.builder.fneg(x)


def _arith(method: str, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """fadd/fsub/fmul/fdiv, quieting the result where LLVM could fold the NaN quieting away."""
    result = getattr(cx.builder, method)(*args)
    return quiet(cx, result) if may_fold_to_operand(method, list(args)) else result


def _copysign(cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    x, y = args
    return call_intrinsic(cx, "copysign", x.type, [x, y])


def _min_max(intrinsic: str, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """llvm.minimum/maximum give Wasm's ordering (-0 < +0, NaN wins), but x86-64 may hand a
    signalling NaN operand through unchanged, while Wasm wants a quiet (arithmetic) NaN.
    When an operand is NaN we return a + b instead: IEEE addition quiets it (and `_arith`
    keeps that true when a constant operand would let LLVM fold the addition away)."""
    a, b = args
    result = call_intrinsic(cx, intrinsic, a.type, [a, b])
    any_nan = cx.builder.fcmp_unordered("uno", a, b)
    return cx.builder.select(any_nan, _arith("fadd", cx, args), result)


def _compare(ordered: bool, pred: str, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """Every comparison with a NaN is false except `ne`, which is the unordered one."""
    fcmp = cx.builder.fcmp_ordered if ordered else cx.builder.fcmp_unordered
    return to_i32(cx, fcmp(pred, *args))


_SHARED: dict[str, Handler] = {
    "abs": partial(_unary_intrinsic, "fabs"),
    "neg": _neg,
    "ceil": partial(_unary_intrinsic, "ceil"),
    "floor": partial(_unary_intrinsic, "floor"),
    "trunc": partial(_unary_intrinsic, "trunc"),
    "nearest": partial(_unary_intrinsic, "roundeven"),
    "sqrt": partial(_unary_intrinsic, "sqrt"),
    "add": partial(_arith, "fadd"),
    "sub": partial(_arith, "fsub"),
    "mul": partial(_arith, "fmul"),
    "div": partial(_arith, "fdiv"),
    "min": partial(_min_max, "minimum"),
    "max": partial(_min_max, "maximum"),
    "copysign": _copysign,
    "eq": partial(_compare, True, "=="),
    "ne": partial(_compare, False, "!="),
    "lt": partial(_compare, True, "<"),
    "gt": partial(_compare, True, ">"),
    "le": partial(_compare, True, "<="),
    "ge": partial(_compare, True, ">="),
}

OPS: dict[str, Handler] = {f"{t}.{name}": h for t in ("f32", "f64") for name, h in _SHARED.items()}
"""Handler of every float operator, by its text-format name."""
