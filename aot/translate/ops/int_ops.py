"""Lowering of the i32/i64 operators: arithmetic, bit counting, shifts, comparisons, sign extension.

Wasm defines every integer operator on every input (or as a trap); LLVM leaves several
undefined (division by zero, signed overflow of sdiv/srem, shifts by >= width, ctlz of 0
with the poison flag). Each handler below keeps LLVM out of those cases.
"""
from __future__ import annotations

from functools import partial
from typing import Sequence

from llvmlite import ir

from aot.abi import TrapCode

from .numeric_base import I1, Handler, NumericContext, call_intrinsic, const, to_i32


def _plain(method: str, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """Operators that LLVM defines for all inputs (wrapping add/sub/mul, and/or/xor)."""
    return getattr(cx.builder, method)(*args)


def _count(intrinsic: str, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """clz/ctz: the `false` flag makes a zero input yield the width instead of poison."""
    (x,) = args
    return call_intrinsic(cx, intrinsic, x.type, [x, const(I1, 0)])


def _popcnt(cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    (x,) = args
    return call_intrinsic(cx, "ctpop", x.type, [x])


def _shift(method: str, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """Wasm takes the count modulo the width; LLVM makes counts >= width poison."""
    x, n = args
    count = cx.builder.and_(n, const(n.type, n.type.width - 1))
    return getattr(cx.builder, method)(x, count)


def _rotate(intrinsic: str, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """A funnel shift of x with itself is a rotate; fshl/fshr already reduce the count."""
    x, n = args
    return call_intrinsic(cx, intrinsic, x.type, [x, x, n])


def _trap_on_zero(cx: NumericContext, divisor: ir.Value) -> None:
    is_zero = cx.builder.icmp_unsigned("==", divisor, const(divisor.type, 0))
    cx.trap_if(is_zero, TrapCode.INTEGER_DIVIDE_BY_ZERO)


def _div_u(method: str, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """div_u and rem_u: only a zero divisor is undefined."""
    n, d = args
    _trap_on_zero(cx, d)
    return getattr(cx.builder, method)(n, d)


def _div_s(cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    n, d = args
    b = cx.builder
    _trap_on_zero(cx, d)
    int_min = const(n.type, -(1 << (n.type.width - 1)))
    overflow = b.and_(b.icmp_unsigned("==", n, int_min), b.icmp_signed("==", d, const(d.type, -1)))
    cx.trap_if(overflow, TrapCode.INTEGER_OVERFLOW)
    return b.sdiv(n, d)


def _rem_s(cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """INT_MIN rem -1 is 0 in Wasm but faults in x86 idiv (and is UB in LLVM). Every x rem -1
    is 0, as is x rem 1, so dividing by 1 instead keeps the answer without the bad case."""
    n, d = args
    b = cx.builder
    _trap_on_zero(cx, d)
    minus_one = b.icmp_signed("==", d, const(d.type, -1))
    return b.srem(n, b.select(minus_one, const(d.type, 1), d))


def _eqz(cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    (x,) = args
    return to_i32(cx, cx.builder.icmp_unsigned("==", x, const(x.type, 0)))


def _compare(signed: bool, pred: str, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    icmp = cx.builder.icmp_signed if signed else cx.builder.icmp_unsigned
    return to_i32(cx, icmp(pred, *args))


def _extend_s(bits: int, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """extendN_s: sign-extend the low N bits in place."""
    (x,) = args
    return cx.builder.sext(cx.builder.trunc(x, ir.IntType(bits)), x.type)


_SHARED: dict[str, Handler] = {
    "clz": partial(_count, "ctlz"),
    "ctz": partial(_count, "cttz"),
    "popcnt": _popcnt,
    "add": partial(_plain, "add"),
    "sub": partial(_plain, "sub"),
    "mul": partial(_plain, "mul"),
    "and": partial(_plain, "and_"),
    "or": partial(_plain, "or_"),
    "xor": partial(_plain, "xor"),
    "shl": partial(_shift, "shl"),
    "shr_s": partial(_shift, "ashr"),
    "shr_u": partial(_shift, "lshr"),
    "rotl": partial(_rotate, "fshl"),
    "rotr": partial(_rotate, "fshr"),
    "div_s": _div_s,
    "div_u": partial(_div_u, "udiv"),
    "rem_s": _rem_s,
    "rem_u": partial(_div_u, "urem"),
    "eqz": _eqz,
    "eq": partial(_compare, False, "=="),
    "ne": partial(_compare, False, "!="),
    "lt_s": partial(_compare, True, "<"),
    "lt_u": partial(_compare, False, "<"),
    "gt_s": partial(_compare, True, ">"),
    "gt_u": partial(_compare, False, ">"),
    "le_s": partial(_compare, True, "<="),
    "le_u": partial(_compare, False, "<="),
    "ge_s": partial(_compare, True, ">="),
    "ge_u": partial(_compare, False, ">="),
    "extend8_s": partial(_extend_s, 8),
    "extend16_s": partial(_extend_s, 16),
}

OPS: dict[str, Handler] = {f"{t}.{name}": h for t in ("i32", "i64") for name, h in _SHARED.items()}
"""Handler of every integer operator, by its text-format name."""
OPS["i64.extend32_s"] = partial(_extend_s, 32)
