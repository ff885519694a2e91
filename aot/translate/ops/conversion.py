"""Lowering of the conversions between numeric types (wrap, extend, trunc, convert, ...).

fptosi/fptoui are poison outside the target range, so the trapping truncations first
check the source value against bounds that are exact in the source float type.
"""
from __future__ import annotations

from functools import partial
from typing import Sequence

from llvmlite import ir

from aot.abi import TrapCode

from .nan_quieting import quiet
from .numeric_base import VALUE_TYPES, Handler, NumericContext, call_intrinsic, const

_FRACTION_BITS = {"f32": 23, "f64": 52}  # stored significand bits


def trunc_bounds(int_bits: int, signed: bool, float_type: ir.Type) -> tuple[float, float]:
    """The open interval (lo, hi) of source floats whose truncation fits the integer type.

    Both ends are exactly representable in `float_type`, so comparing in that type is exact.
    """
    if not signed:
        return -1.0, float(1 << int_bits)
    half = 1 << (int_bits - 1)
    # Exactly: x > -half - 1. When -half - 1 is not representable, the float just below
    # -half is: the gap there is one ulp at magnitude `half`.
    gap = 1 << max(0, int_bits - 1 - _FRACTION_BITS[float_type.intrinsic_name])
    return float(-half - gap), float(half)


def _trunc(int_bits: int, signed: bool, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """Trapping truncation: NaN first (its own trap code), then the range, then the cast."""
    (x,) = args
    b = cx.builder
    cx.trap_if(b.fcmp_unordered("uno", x, x), TrapCode.INVALID_CONVERSION_TO_INTEGER)
    lo, hi = (const(x.type, v) for v in trunc_bounds(int_bits, signed, x.type))
    outside = b.or_(b.fcmp_ordered("<=", x, lo), b.fcmp_ordered(">=", x, hi))
    cx.trap_if(outside, TrapCode.INTEGER_OVERFLOW)
    return (b.fptosi if signed else b.fptoui)(x, ir.IntType(int_bits))


def _trunc_sat(int_bits: int, signed: bool, cx: NumericContext,
               args: Sequence[ir.Value]) -> ir.Value:
    """The .sat intrinsics are exactly Wasm's: NaN gives 0, out-of-range values saturate."""
    (x,) = args
    ret = ir.IntType(int_bits)
    return call_intrinsic(cx, "fptosi.sat" if signed else "fptoui.sat", ret, [x], (ret, x.type))


def _cast(method: str, target: ir.Type, cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """Conversions that one LLVM cast does exactly: uitofp/sitofp round to nearest-even,
    fpext gives a quiet NaN for a NaN, which Wasm accepts."""
    (x,) = args
    return getattr(cx.builder, method)(x, target)


def _demote(cx: NumericContext, args: Sequence[ir.Value]) -> ir.Value:
    """LLVM folds demote(promote(x)) to x, which would skip quieting a signalling NaN."""
    (x,) = args
    result = cx.builder.fptrunc(x, VALUE_TYPES["f32"])
    promoted = isinstance(x, ir.CastInstr) and x.opname == "fpext"
    return quiet(cx, result) if promoted else result


def _table() -> dict[str, Handler]:
    ops: dict[str, Handler] = {
        "i32.wrap_i64": partial(_cast, "trunc", VALUE_TYPES["i32"]),
        "i64.extend_i32_s": partial(_cast, "sext", VALUE_TYPES["i64"]),
        "i64.extend_i32_u": partial(_cast, "zext", VALUE_TYPES["i64"]),
        "f32.demote_f64": _demote,
        "f64.promote_f32": partial(_cast, "fpext", VALUE_TYPES["f64"]),
        "i32.reinterpret_f32": partial(_cast, "bitcast", VALUE_TYPES["i32"]),
        "i64.reinterpret_f64": partial(_cast, "bitcast", VALUE_TYPES["i64"]),
        "f32.reinterpret_i32": partial(_cast, "bitcast", VALUE_TYPES["f32"]),
        "f64.reinterpret_i64": partial(_cast, "bitcast", VALUE_TYPES["f64"]),
    }
    for i_name, bits in (("i32", 32), ("i64", 64)):
        for f_name in ("f32", "f64"):
            for sign, signed in (("s", True), ("u", False)):
                ops[f"{i_name}.trunc_{f_name}_{sign}"] = partial(_trunc, bits, signed)
                ops[f"{i_name}.trunc_sat_{f_name}_{sign}"] = partial(_trunc_sat, bits, signed)
                to_float = "sitofp" if signed else "uitofp"
                ops[f"{f_name}.convert_{i_name}_{sign}"] = partial(_cast, to_float,
                                                                   VALUE_TYPES[f_name])
    return ops


OPS: dict[str, Handler] = _table()
"""Handler of every conversion operator, by its text-format name."""
