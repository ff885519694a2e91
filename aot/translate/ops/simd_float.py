"""Float lane arithmetic: add/sub/mul/div/sqrt, abs/neg, rounding, min/max, pmin/pmax and
the comparisons, for f32x4 and f64x2.

The NaN rules are the scalar ones (see float_ops and nan_quieting), applied per lane:
- An arithmetic result that is NaN must be quiet. The hardware quiets, but LLVM folds
  x*1, x+(-0), x/1, ... to x when a constant operand is visible; then the result goes
  through llvm.canonicalize. A v128.const operand is read lane by lane; any other
  operand built only from constants (a splat of a constant, ...) counts as possibly
  folding.
- min/max: llvm.minimum/maximum have Wasm's ordering (-0 < +0, NaN wins) but may pass
  a signalling NaN through; in lanes where an operand is NaN the result is a + b instead.
- pmin/pmax are defined as plain selections (b < a ? b : a), NaNs and all; they become
  minps/maxps with the operands swapped (x86) or a compare and bit-select (aarch64).
- abs/neg only touch the sign bit (fabs/fneg), so NaN payloads survive, as required.
"""
from __future__ import annotations

from functools import partial

from llvmlite import ir

from .nan_quieting import folds_with
from .simd_base import FLOAT_SHAPES, Shape, call, lanewise, mask_to_lanes

_METHODS = {"add": "fadd", "sub": "fsub", "mul": "fmul", "div": "fdiv"}


def _constant_leaves_only(v: ir.Value, depth: int = 0) -> bool:
    """True if `v` is a constant or is computed (casts, inserts, shuffles) from constants."""
    if isinstance(v, ir.Constant):
        return True
    if depth > 4 or not isinstance(v, (ir.CastInstr, ir.InsertElement, ir.ShuffleVector)):
        return False
    return all(_constant_leaves_only(op, depth + 1) for op in v.operands)


def _lane_bits(v: ir.Value, shape: Shape) -> list[int] | None:
    """The bit pattern of each lane of a constant operand we can read, else None."""
    while isinstance(v, ir.CastInstr) and v.opname == "bitcast":
        v = v.operands[0]
    if isinstance(v, ir.Constant) and isinstance(v.constant, int) and v.type.width == 128:
        mask = (1 << shape.bits) - 1
        return [(v.constant >> (i * shape.bits)) & mask for i in range(shape.count)]
    return None


def _may_fold(method: str, shape: Shape, args) -> bool:
    for position, arg in enumerate(args):
        if not _constant_leaves_only(arg):
            continue
        lanes = _lane_bits(arg, shape)
        if lanes is None or any(folds_with(method, position, shape.elem, bits) for bits in lanes):
            return True
    return False


def _quiet(cx, v: ir.Value) -> ir.Value:
    return call(cx, "canonicalize", v.type, [v])


def _arith(shape: Shape, method: str, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    result = getattr(cx.builder, method)(a, b)
    return _quiet(cx, result) if _may_fold(method, shape, (a, b)) else result


def _unary(intrinsic: str, cx, a: ir.Value) -> ir.Value:
    """sqrt, fabs and the roundings (ceil, floor, trunc, roundeven = ties to even)."""
    return call(cx, intrinsic, a.type, [a])


def _neg(cx, a: ir.Value) -> ir.Value:
    return cx.builder.fneg(a)


def _min_max(shape: Shape, intrinsic: str, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    result = call(cx, intrinsic, a.type, [a, b])
    any_nan = cx.builder.fcmp_unordered("uno", a, b)
    return cx.builder.select(any_nan, _arith(shape, "fadd", cx, a, b), result)


def _pseudo_min_max(pred: str, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    """pmin: b < a ? b : a; pmax: a < b ? b : a."""
    bld = cx.builder
    take_b = bld.fcmp_ordered("<", b, a) if pred == "min" else bld.fcmp_ordered("<", a, b)
    return bld.select(take_b, b, a)


def _compare(ordered: bool, pred: str, shape: Shape, cx, a: ir.Value, b: ir.Value) -> ir.Value:
    """All comparisons with NaN are false except ne, the unordered one."""
    fcmp = cx.builder.fcmp_ordered if ordered else cx.builder.fcmp_unordered
    return mask_to_lanes(cx, fcmp(pred, a, b), shape.int_vector)


_COMPARISONS = {"eq": (True, "=="), "ne": (False, "!="), "lt": (True, "<"), "gt": (True, ">"),
                "le": (True, "<="), "ge": (True, ">=")}
_UNARY = {"sqrt": "sqrt", "abs": "fabs", "ceil": "ceil", "floor": "floor", "trunc": "trunc",
          "nearest": "roundeven"}


def _table() -> dict:
    ops = {}
    for shape in FLOAT_SHAPES:
        s = shape.name
        for name, method in _METHODS.items():
            ops[f"{s}.{name}"] = lanewise(shape, partial(_arith, shape, method), 2)
        for name, intrinsic in _UNARY.items():
            ops[f"{s}.{name}"] = lanewise(shape, partial(_unary, intrinsic), 1)
        ops[f"{s}.neg"] = lanewise(shape, _neg, 1)
        ops[f"{s}.min"] = lanewise(shape, partial(_min_max, shape, "minimum"), 2)
        ops[f"{s}.max"] = lanewise(shape, partial(_min_max, shape, "maximum"), 2)
        ops[f"{s}.pmin"] = lanewise(shape, partial(_pseudo_min_max, "min"), 2)
        ops[f"{s}.pmax"] = lanewise(shape, partial(_pseudo_min_max, "max"), 2)
        for rel, (ordered, pred) in _COMPARISONS.items():
            ops[f"{s}.{rel}"] = lanewise(shape, partial(_compare, ordered, pred, shape), 2)
    return ops


HANDLERS = _table()
"""Instruction handler of every float lane operator."""
