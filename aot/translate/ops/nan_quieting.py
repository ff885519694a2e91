"""Keeping Wasm's NaN quieting where LLVM's optimiser is allowed to drop it.

Wasm requires an arithmetic result that is NaN to be quiet (an "arithmetic NaN") even when
an operand is a signalling NaN. x86-64 and AArch64 quiet in hardware, but LLVM's NaN rules
let it pass an input NaN through unchanged, so it folds x - 0.0, x + -0.0, x * 1.0,
x / 1.0 to x, x * -1.0, x / -1.0 and -0.0 - x to -x, and demote(promote(x)) to x. These
folds only apply when a constant operand (or an fpext operand) is already visible; only
then is the result wrapped in llvm.canonicalize, which quiets signalling NaNs and costs
one multiply. Constants that appear only after inlining are not covered.
"""
from __future__ import annotations

import re
import struct

from llvmlite import ir

from .numeric_base import NumericContext, call_intrinsic

_BITCAST = re.compile(r"bitcast \(i(?:32|64) (-?\d+) to (?:float|double)\)")
_PACK = {"f32": ("<f", "<I", 0xFFFF_FFFF), "f64": ("<d", "<Q", 0xFFFF_FFFF_FFFF_FFFF)}


def _bits_of(ty: ir.Type, value: float) -> int:
    ffmt, ifmt, _ = _PACK[ty.intrinsic_name]
    return struct.unpack(ifmt, struct.pack(ffmt, value))[0]


def constant_bits(value: ir.Value) -> int | None:
    """Bit pattern of an f32/f64 constant; None if `value` is not one we can read."""
    if not isinstance(value, ir.Constant) or value.type.intrinsic_name not in _PACK:
        return None
    if isinstance(value.constant, (int, float)):
        return _bits_of(value.type, float(value.constant))
    match = _BITCAST.fullmatch(str(value.constant))
    return None if match is None else int(match[1]) & _PACK[value.type.intrinsic_name][2]


# Per LLVM instruction: the operand values, by position, that make it an identity or a negation.
_FOLDING_CONSTANTS = {
    "fadd": ((-0.0,), (-0.0,)),
    "fsub": ((-0.0,), (0.0,)),
    "fmul": ((1.0, -1.0), (1.0, -1.0)),
    "fdiv": ((), (1.0, -1.0)),
}


def may_fold_to_operand(method: str, args: list[ir.Value]) -> bool:
    """Whether LLVM may rewrite `method(*args)` to an operand (or its negation)."""
    for arg, folding in zip(args, _FOLDING_CONSTANTS[method]):
        if not isinstance(arg, ir.Constant):
            continue
        bits = constant_bits(arg)
        if bits is None or bits in {_bits_of(arg.type, v) for v in folding}:
            return True  # an unreadable constant may be one of them: stay safe
    return False


def folds_with(method: str, position: int, ty: ir.Type, bits: int) -> bool:
    """Whether an operand at `position` of `method` whose value has the bit pattern `bits`
    (float type `ty`) lets LLVM rewrite the instruction to its other operand or its
    negation (used per lane for SIMD constants)."""
    return bits in {_bits_of(ty, v) for v in _FOLDING_CONSTANTS[method][position]}


def quiet(cx: NumericContext, value: ir.Value) -> ir.Value:
    """`value` with a signalling NaN made quiet (llvm.canonicalize; never folded away)."""
    return call_intrinsic(cx, "canonicalize", value.type, [value])
