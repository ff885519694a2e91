"""Bit-exact tests of the numeric lowering (aot.translate.ops.numeric).

Every operator is wrapped in a small LLVM function, JIT-compiled with MCJIT and compared
against a Python reference of the spec on edge cases and random values. Builds:

- "O0-generic": unoptimised IR, baseline x86-64 (rounding ops become libm calls there);
- "O2-host": the O2 pipeline and the host CPU's features (inline rounding, AVX forms);
- "folded": operands are constants, so the O2 pipeline constant-folds the operators;
- const-operand: binary operators with one constant operand under O2, where LLVM's
  algebraic simplifications (x * 1.0 -> x, ...) apply.

Traps are observed through a minimal lowering context whose `trap_if` records the code.
"""
from __future__ import annotations

import ctypes
import math
import platform
import random
import re
import struct
from dataclasses import dataclass
from typing import Callable

import llvmlite.binding as llvm
import pytest
from llvmlite import ir

from aot.abi import TrapCode
from aot.errors import CompileError
from aot.translate.ops.numeric import NUMERIC_OPS, lower_numeric

llvm.initialize_native_target()
llvm.initialize_native_asmprinter()

I32, I64 = ir.IntType(32), ir.IntType(64)
PTR = ir.PointerType()
LLTYPE = {"i32": I32, "i64": I64, "f32": ir.FloatType(), "f64": ir.DoubleType()}
WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}
DIV0, OVF, INVAL = (TrapCode.INTEGER_DIVIDE_BY_ZERO, TrapCode.INTEGER_OVERFLOW,
                    TrapCode.INVALID_CONVERSION_TO_INTEGER)

# ---- the operator list and signatures, written from the spec ---------------------------

_INT = ("clz ctz popcnt add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl "
        "rotr eqz eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u extend8_s extend16_s").split()
_FLOAT = ("abs neg ceil floor trunc nearest sqrt add sub mul div min max copysign "
          "eq ne lt gt le ge").split()
_CONV = ("i32.wrap_i64 i64.extend_i32_s i64.extend_i32_u f32.demote_f64 f64.promote_f32 "
         "i32.reinterpret_f32 i64.reinterpret_f64 f32.reinterpret_i32 f64.reinterpret_i64").split()
SPEC_OPS = (
    {f"{t}.{n}" for t in ("i32", "i64") for n in _INT} | {"i64.extend32_s"}
    | {f"{t}.{n}" for t in ("f32", "f64") for n in _FLOAT} | set(_CONV)
    | {f"{i}.trunc{sat}_{f}_{s}" for i in ("i32", "i64") for f in ("f32", "f64")
       for s in "su" for sat in ("", "_sat")}
    | {f"{f}.convert_{i}_{s}" for i in ("i32", "i64") for f in ("f32", "f64") for s in "su"}
)

_UNARY = {"clz", "ctz", "popcnt", "eqz", "extend8_s", "extend16_s", "extend32_s",
          "abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt"}
_TESTS = {"eqz", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u",
          "lt", "gt", "le", "ge"}
_CONV_RE = re.compile(r"^(i32|i64|f32|f64)\.[a-z_]+?_(i32|i64|f32|f64)(?:_[su])?$")


def signature(op: str) -> tuple[tuple[str, ...], str]:
    """(param types, result type) of an operator, by text-format name."""
    m = _CONV_RE.match(op)
    if m:
        return (m[2],), m[1]
    t, name = op.split(".")
    return ((t,) if name in _UNARY else (t, t)), ("i32" if name in _TESTS else t)


# ---- bits and floats ------------------------------------------------------------------

_FMT = {"f32": ("<f", "<I", 23), "f64": ("<d", "<Q", 52)}


def mask(t: str) -> int:
    return (1 << WIDTH[t]) - 1


def signed(x: int, t: str) -> int:
    w = WIDTH[t]
    x &= mask(t)
    return x - (1 << w) if x >> (w - 1) else x


def sign_bit(t: str) -> int:
    return 1 << (WIDTH[t] - 1)


def frac_bits(t: str) -> int:
    return _FMT[t][2]


def is_nan(bits: int, t: str) -> bool:
    exp = (mask(t) ^ sign_bit(t)) & ~((1 << frac_bits(t)) - 1)
    return bits & exp == exp and bits & ((1 << frac_bits(t)) - 1) != 0


def quiet_bit(t: str) -> int:
    return 1 << (frac_bits(t) - 1)


def is_canonical_nan(bits: int, t: str) -> bool:
    return is_nan(bits, t) and bits & ~sign_bit(t) & ((1 << frac_bits(t)) - 1) == quiet_bit(t)


def fval(bits: int, t: str) -> float:
    ffmt, ifmt, _ = _FMT[t]
    return struct.unpack(ffmt, struct.pack(ifmt, bits))[0]


def fbits(x: float, t: str) -> int:
    """Round a (non-NaN) double to type t, to nearest even, overflowing to infinity."""
    ffmt, ifmt, _ = _FMT[t]
    try:
        return struct.unpack(ifmt, struct.pack(ffmt, x))[0]
    except OverflowError:
        return (sign_bit(t) if x < 0 else 0) | fbits(math.inf, t)


def round_int(n: int, t: str) -> int:
    """The integer n rounded once, to nearest even, to float type t (no double rounding)."""
    m, precision = abs(n), frac_bits(t) + 1
    shift = m.bit_length() - precision
    if shift > 0:
        q, r = divmod(m, 1 << shift)
        half = 1 << (shift - 1)
        q += r > half or (r == half and q & 1)
        m = q << shift
    return fbits(float(m) if n >= 0 else -float(m), t)


# ---- expected results -------------------------------------------------------------------

@dataclass(frozen=True)
class Trap:
    code: TrapCode


@dataclass(frozen=True)
class AnyNaN:
    """A NaN with the quiet bit set; `canonical` also demands an otherwise empty payload."""

    canonical: bool


Expected = int | Trap | AnyNaN


def nan_of(t: str, *inputs: int) -> AnyNaN:
    """The spec's nans{z...}: canonical when every NaN input is canonical."""
    return AnyNaN(all(is_canonical_nan(z, t) for z in inputs if is_nan(z, t)))


def _tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def int_refs(t: str) -> dict[str, Callable[..., Expected]]:
    w, m = WIDTH[t], mask(t)
    s = lambda x: signed(x, t)  # noqa: E731
    int_min = -(1 << (w - 1))

    def div_s(a, b):
        if b == 0:
            return Trap(DIV0)
        return Trap(OVF) if (s(a), s(b)) == (int_min, -1) else _tdiv(s(a), s(b)) & m

    def rem_s(a, b):
        return Trap(DIV0) if b == 0 else (s(a) - s(b) * _tdiv(s(a), s(b))) & m

    def rotl(a, b):
        k = b % w
        return ((a << k) | (a >> (w - k))) & m

    refs = {
        "clz": lambda a: w - a.bit_length(),
        "ctz": lambda a: w if a == 0 else (a & -a).bit_length() - 1,
        "popcnt": lambda a: bin(a).count("1"),
        "add": lambda a, b: (a + b) & m, "sub": lambda a, b: (a - b) & m,
        "mul": lambda a, b: (a * b) & m,
        "div_s": div_s, "rem_s": rem_s,
        "div_u": lambda a, b: Trap(DIV0) if b == 0 else a // b,
        "rem_u": lambda a, b: Trap(DIV0) if b == 0 else a % b,
        "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
        "shl": lambda a, b: (a << (b % w)) & m,
        "shr_s": lambda a, b: (s(a) >> (b % w)) & m,
        "shr_u": lambda a, b: a >> (b % w),
        "rotl": rotl, "rotr": lambda a, b: rotl(a, w - b % w),
        "eqz": lambda a: int(a == 0),
        "eq": lambda a, b: int(a == b), "ne": lambda a, b: int(a != b),
        "lt_s": lambda a, b: int(s(a) < s(b)), "lt_u": lambda a, b: int(a < b),
        "gt_s": lambda a, b: int(s(a) > s(b)), "gt_u": lambda a, b: int(a > b),
        "le_s": lambda a, b: int(s(a) <= s(b)), "le_u": lambda a, b: int(a <= b),
        "ge_s": lambda a, b: int(s(a) >= s(b)), "ge_u": lambda a, b: int(a >= b),
    }
    for n in (8, 16, 32) if w == 64 else (8, 16):
        refs[f"extend{n}_s"] = lambda a, n=n: _sext(a, n) & m
    return {f"{t}.{k}": v for k, v in refs.items()}


def _sext(a: int, n: int) -> int:
    a &= (1 << n) - 1
    return a - (1 << n) if a >> (n - 1) else a


def _ieee_div(x: float, y: float) -> float:
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, math.copysign(1, x) * math.copysign(1, y))
    return x / y


def _rounding(fn: Callable[[float], int]) -> Callable[[float], float]:
    def rounded(x: float) -> float:
        if math.isinf(x) or x == 0:
            return x
        r = float(fn(x))
        return math.copysign(r, x) if r == 0 else r
    return rounded


def float_refs(t: str) -> dict[str, Callable[..., Expected]]:
    sign = sign_bit(t)

    def arith(fn):
        def ref(*zs):
            if any(is_nan(z, t) for z in zs):
                return nan_of(t, *zs)
            r = fn(*(fval(z, t) for z in zs))
            return AnyNaN(True) if math.isnan(r) else fbits(r, t)
        return ref

    def min_max(is_min):
        def ref(a, b):
            if is_nan(a, t) or is_nan(b, t):
                return nan_of(t, a, b)
            x, y = fval(a, t), fval(b, t)
            if x == y:  # also +0 vs -0: -0 is the smaller
                return (a | b) if is_min else (a & b)
            return a if (x < y) == is_min else b
        return ref

    def compare(fn):
        return lambda a, b: int(fn(fval(a, t), fval(b, t)))

    refs = {
        "abs": lambda a: a & ~sign, "neg": lambda a: a ^ sign,
        "copysign": lambda a, b: (a & ~sign) | (b & sign),
        "ceil": arith(_rounding(math.ceil)), "floor": arith(_rounding(math.floor)),
        "trunc": arith(_rounding(math.trunc)), "nearest": arith(_rounding(round)),
        "sqrt": arith(lambda x: math.nan if x < 0 else math.sqrt(x)),
        "add": arith(lambda x, y: x + y), "sub": arith(lambda x, y: x - y),
        "mul": arith(lambda x, y: x * y), "div": arith(_ieee_div),
        "min": min_max(True), "max": min_max(False),
        "eq": compare(lambda x, y: x == y), "ne": compare(lambda x, y: x != y),
        "lt": compare(lambda x, y: x < y), "gt": compare(lambda x, y: x > y),
        "le": compare(lambda x, y: x <= y), "ge": compare(lambda x, y: x >= y),
    }
    return {f"{t}.{k}": v for k, v in refs.items()}


def trunc_ref(src: str, dst: str, is_signed: bool, sat: bool) -> Callable[[int], Expected]:
    n = WIDTH[dst]
    lo, hi = (-(1 << (n - 1)), (1 << (n - 1)) - 1) if is_signed else (0, (1 << n) - 1)

    def ref(a):
        x = fval(a, src)
        if math.isnan(x):
            return 0 if sat else Trap(INVAL)
        v = None if math.isinf(x) else math.trunc(x)
        if v is None or not lo <= v <= hi:
            if not sat:
                return Trap(OVF)
            v = hi if x > 0 else lo
        return v & mask(dst)
    return ref


def conversion_refs() -> dict[str, Callable[..., Expected]]:
    refs: dict[str, Callable[..., Expected]] = {
        "i32.wrap_i64": lambda a: a & mask("i32"),
        "i64.extend_i32_s": lambda a: signed(a, "i32") & mask("i64"),
        "i64.extend_i32_u": lambda a: a,
        "f32.demote_f64": lambda a: (AnyNaN(is_canonical_nan(a, "f64")) if is_nan(a, "f64")
                                     else fbits(fval(a, "f64"), "f32")),
        "f64.promote_f32": lambda a: (AnyNaN(is_canonical_nan(a, "f32")) if is_nan(a, "f32")
                                      else fbits(fval(a, "f32"), "f64")),
    }
    for i, f in (("i32", "f32"), ("i64", "f64")):
        refs[f"{i}.reinterpret_{f}"] = refs[f"{f}.reinterpret_{i}"] = lambda a: a
    for i in ("i32", "i64"):
        for f in ("f32", "f64"):
            for s, is_signed in (("s", True), ("u", False)):
                refs[f"{i}.trunc_{f}_{s}"] = trunc_ref(f, i, is_signed, sat=False)
                refs[f"{i}.trunc_sat_{f}_{s}"] = trunc_ref(f, i, is_signed, sat=True)
                refs[f"{f}.convert_{i}_{s}"] = (
                    lambda a, i=i, f=f, sg=is_signed: round_int(signed(a, i) if sg else a, f))
    return refs


REFERENCE = {**int_refs("i32"), **int_refs("i64"), **float_refs("f32"), **float_refs("f64"),
             **conversion_refs()}

# ---- test vectors ----------------------------------------------------------------------

_rng = random.Random(20240531)


def _f(t: str, *xs: float) -> list[int]:
    return [fbits(x, t) for x in xs]


_FLOAT_VALUES = (0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.5, -2.5, 3.5, -0.99, 0.49999997,
                 -7.25, 123.456, 1e10, -1e10, 1e30, -1e-30, math.inf, -math.inf)
_NANS = {
    "f32": [0x7FC00000, 0xFFC00000, 0x7FC12345, 0xFFE00001, 0x7FA00000, 0xFF800001],
    "f64": [0x7FF8000000000000, 0xFFF8000000000000, 0x7FF8000012345678, 0xFFFC000000000001,
            0x7FF4000000000000, 0xFFF0000000000001],
}


def _float_edges(t: str) -> list[int]:
    big = 1 << (frac_bits(t) + 1)  # from here on every float is an integer
    tiny, max_finite = 1, fbits(math.inf, t) - 1
    extra = _f(t, big / 2 - 0.5, -(big / 2 - 0.5), big / 4 + 0.5, big - 1, -(big + 2))
    return _f(t, *_FLOAT_VALUES) + extra + [tiny, tiny | sign_bit(t), max_finite,
                                            max_finite | sign_bit(t)] + _NANS[t]


def _bound_edges(f: str) -> list[int]:
    """Each trunc bound of either signedness and width, with its two neighbours."""
    out = []
    for n in (32, 64):
        for x in (-(2.0 ** (n - 1)), 2.0 ** (n - 1), 2.0 ** n, -1.0):
            b = fbits(x, f)
            out += [b - 1, b, b + 1]  # sign-magnitude: +1 is the next float away from zero
    out += _f(f, -2147483904.0, -2147483649.0, -9223373136366403584.0, -9223372036854777856.0)
    return [b & mask(f) for b in out]


_INT_EDGES = {
    "i32": [0, 1, 2, 3, 5, 31, 32, 33, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0x1000001, 0x1000003,
            0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFE0, 0xDEADBEEF],
    "i64": [0, 1, 2, 3, 31, 32, 63, 64, 65, 0x80, 0x8000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
            0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0x8000000000000001,
            0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFC0, 0x20000000000001, 0x20000000000003,
            # ties and sticky bits when rounding to f32 / f64 above 2**63
            (1 << 63) + (1 << 39), (1 << 63) + (1 << 39) + 1, (1 << 63) + 3 * (1 << 39),
            (1 << 63) + (1 << 10), (1 << 63) + (1 << 10) + 1, (1 << 63) + 3 * (1 << 10),
            0x0123456789ABCDEF],
}
_EDGES = {**_INT_EDGES, "f32": _float_edges("f32"), "f64": _float_edges("f64")}


def _random(t: str, k: int) -> list[int]:
    if t[0] == "i":
        return [_rng.getrandbits(WIDTH[t]) for _ in range(k)]
    # random finite values of all magnitudes, plus small ones with a fractional part
    vals = [fbits(fval(_rng.getrandbits(WIDTH[t]), t), t) for _ in range(k)]
    vals = [v for v in vals if not is_nan(v, t)]
    return vals + _f(t, *(_rng.uniform(-1000, 1000) for _ in range(k)))


# Operand pairs of the folded build: every operand is an IR constant there, so keep it lean.
_FOLD_PAIR_EDGES = {
    "i32": [0, 1, 31, 32, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF],
    "i64": [0, 1, 63, 64, 1 << 63, mask("i64")],
    "f32": _f("f32", 0.0, -0.0, 1.0, -1.5, 2.5, math.inf, -math.inf) + [1] + _NANS["f32"][1:5],
    "f64": _f("f64", 0.0, -0.0, 1.0, -1.5, 2.5, math.inf, -math.inf) + [1] + _NANS["f64"][1:5],
}


def _vectors(op: str, small: bool) -> list[tuple[int, ...]]:
    params, result = signature(op)
    t = params[0]
    if len(params) == 1:
        bounds = _bound_edges(t) if t[0] == "f" and result[0] == "i" else []
        return [(a,) for a in _EDGES[t] + bounds + _random(t, 10 if small else 60)]
    if small:
        return [(a, b) for a in _FOLD_PAIR_EDGES[t] for b in _FOLD_PAIR_EDGES[t]]
    pairs = [(a, b) for a in _EDGES[t] for b in _EDGES[t]]
    return pairs + list(zip(_random(t, 150), _random(t, 150)))


# Explicit cases for the subtle semantics (also checked against the reference).
_F32, _F64 = (lambda x: fbits(x, "f32")), (lambda x: fbits(x, "f64"))
CASES: list[tuple[str, tuple[int, ...], Expected]] = [
    ("i32.div_s", (0x80000000, 0xFFFFFFFF), Trap(OVF)),
    ("i64.div_s", (1 << 63, mask("i64")), Trap(OVF)),
    ("i32.rem_s", (0x80000000, 0xFFFFFFFF), 0),
    ("i64.rem_s", (1 << 63, mask("i64")), 0),
    ("i32.rem_s", (0xFFFFFFF9, 2), 0xFFFFFFFF),  # -7 rem 2 = -1: sign of the dividend
    ("i32.div_s", (0xFFFFFFF9, 2), 0xFFFFFFFD),  # -7 / 2 = -3: toward zero
    ("i32.div_u", (5, 0), Trap(DIV0)), ("i64.div_s", (5, 0), Trap(DIV0)),
    ("i32.rem_u", (5, 0), Trap(DIV0)), ("i64.rem_s", (1 << 63, 0), Trap(DIV0)),
    ("i32.shl", (1, 32), 1), ("i32.shl", (1, 33), 2), ("i64.shl", (1, 64), 1),
    ("i32.shr_s", (0x80000000, 63), 0xFFFFFFFF), ("i64.shr_u", (1 << 63, 127), 1),
    ("i32.rotl", (0x80000001, 1), 3), ("i32.rotr", (1, 1), 0x80000000),
    ("i32.rotl", (0x12345678, 36), 0x23456781), ("i64.rotr", (1, 65), 1 << 63),
    ("i32.clz", (0,), 32), ("i64.clz", (0,), 64), ("i32.ctz", (0,), 32), ("i64.ctz", (0,), 64),
    ("i64.popcnt", (mask("i64"),), 64), ("i64.extend32_s", (0x80000000,), 0xFFFFFFFF80000000),
    ("i32.extend8_s", (0x17F,), 0x7F), ("i32.extend16_s", (0x8000,), 0xFFFF8000),
    # NaN payloads survive the sign-bit operators, signalling ones too
    ("f32.abs", (0xFFA00001,), 0x7FA00001), ("f32.neg", (0x7FA00001,), 0xFFA00001),
    ("f64.abs", (0xFFF0000000000001,), 0x7FF0000000000001),
    ("f64.neg", (0x7FF4000000000001,), 0xFFF4000000000001),
    ("f32.copysign", (0x7FA00001, _F32(-1.0)), 0xFFA00001),
    ("f64.copysign", (0xFFF4000000000001, _F64(0.0)), 0x7FF4000000000001),
    ("f32.min", (_F32(0.0), _F32(-0.0)), _F32(-0.0)),
    ("f32.min", (_F32(-0.0), _F32(0.0)), _F32(-0.0)),
    ("f32.max", (_F32(-0.0), _F32(0.0)), _F32(0.0)),
    ("f64.max", (_F64(0.0), _F64(-0.0)), _F64(0.0)),
    ("f64.min", (_F64(-0.0), _F64(0.0)), _F64(-0.0)),
    ("f32.min", (_F32(1.0), 0x7FA00000), AnyNaN(False)),
    ("f32.max", (0xFFA00000, _F32(1.0)), AnyNaN(False)),
    ("f64.min", (0x7FF8000000000000, _F64(-math.inf)), AnyNaN(True)),
    ("f64.max", (_F64(-0.0), 0x7FF4000000000000), AnyNaN(False)),
    # nearest: ties go to even, both signs, around 2**23 / 2**52
    ("f32.nearest", (_F32(0.5),), _F32(0.0)), ("f32.nearest", (_F32(-0.5),), _F32(-0.0)),
    ("f32.nearest", (_F32(1.5),), _F32(2.0)), ("f32.nearest", (_F32(-2.5),), _F32(-2.0)),
    ("f32.nearest", (_F32(8388607.5),), _F32(8388608.0)),
    ("f32.nearest", (_F32(-4194304.5),), _F32(-4194304.0)),
    ("f64.nearest", (_F64(4503599627370495.5),), _F64(4503599627370496.0)),
    ("f64.nearest", (_F64(-2.5),), _F64(-2.0)),
    ("f64.nearest", (_F64(-0.49999999999999994),), _F64(-0.0)),
    ("f32.ceil", (_F32(-0.5),), _F32(-0.0)), ("f64.floor", (_F64(-0.5),), _F64(-1.0)),
    ("f64.trunc", (_F64(-0.99),), _F64(-0.0)), ("f32.sqrt", (_F32(-0.0),), _F32(-0.0)),
    ("f32.sqrt", (_F32(-1.0),), AnyNaN(True)),
    # trapping truncation: both sides of every bound
    ("i32.trunc_f32_s", (_F32(-2147483648.0),), 0x80000000),
    ("i32.trunc_f32_s", (_F32(-2147483904.0),), Trap(OVF)),
    ("i32.trunc_f32_s", (_F32(2147483520.0),), 2147483520),
    ("i32.trunc_f32_s", (_F32(2147483648.0),), Trap(OVF)),
    ("i32.trunc_f64_s", (_F64(-2147483648.9),), 0x80000000),
    ("i32.trunc_f64_s", (_F64(-2147483649.0),), Trap(OVF)),
    ("i32.trunc_f64_s", (_F64(2147483647.9),), 0x7FFFFFFF),
    ("i32.trunc_f64_u", (_F64(-0.99),), 0), ("i32.trunc_f64_u", (_F64(-1.0),), Trap(OVF)),
    ("i32.trunc_f64_u", (_F64(4294967295.9),), 0xFFFFFFFF),
    ("i32.trunc_f64_u", (_F64(4294967296.0),), Trap(OVF)),
    ("i32.trunc_f32_u", (_F32(-0.0),), 0), ("i32.trunc_f32_u", (_F32(4294967040.0),), 0xFFFFFF00),
    ("i64.trunc_f32_s", (_F32(-9223372036854775808.0),), 1 << 63),
    ("i64.trunc_f32_s", (_F32(-9223373136366403584.0),), Trap(OVF)),
    ("i64.trunc_f64_s", (_F64(-9223372036854777856.0),), Trap(OVF)),
    ("i64.trunc_f64_s", (_F64(9223372036854774784.0),), 9223372036854774784),
    ("i64.trunc_f64_u", (_F64(18446744073709549568.0),), 18446744073709549568),
    ("i64.trunc_f64_u", (_F64(18446744073709551616.0),), Trap(OVF)),
    ("i64.trunc_f32_u", (_F32(-0.99),), 0),
    ("i32.trunc_f32_s", (0x7FC00000,), Trap(INVAL)),
    ("i64.trunc_f64_u", (0xFFF4000000000000,), Trap(INVAL)),
    ("i32.trunc_f32_u", (_F32(math.inf),), Trap(OVF)),
    # saturating truncation
    ("i32.trunc_sat_f32_s", (0x7FC00000,), 0), ("i64.trunc_sat_f64_u", (0xFFF8000000000000,), 0),
    ("i32.trunc_sat_f32_s", (_F32(-math.inf),), 0x80000000),
    ("i32.trunc_sat_f64_s", (_F64(2147483648.0),), 0x7FFFFFFF),
    ("i32.trunc_sat_f64_u", (_F64(-1.0),), 0),
    ("i64.trunc_sat_f32_u", (_F32(math.inf),), mask("i64")),
    ("i64.trunc_sat_f64_s", (_F64(-1e300),), 1 << 63),
    # correctly rounded conversions
    ("f32.convert_i64_u", (mask("i64"),), _F32(2.0 ** 64)),
    ("f64.convert_i64_u", (mask("i64"),), _F64(2.0 ** 64)),
    ("f32.convert_i64_u", ((1 << 63) + (1 << 39) + 1,), _F32(2.0 ** 63 + 2.0 ** 40)),
    ("f32.convert_i64_u", ((1 << 63) + (1 << 39),), _F32(2.0 ** 63)),
    ("f64.convert_i64_u", ((1 << 63) + (1 << 10) + 1,), _F64(2.0 ** 63 + 2.0 ** 11)),
    ("f32.convert_i64_s", (0x20000000000001 << 8 | 1,), _F32(2.0 ** 61)),
    ("f32.convert_i32_s", (0x80000000,), _F32(-2147483648.0)),
    ("f32.convert_i32_u", (0xFFFFFFFF,), _F32(4294967296.0)),
    ("f32.demote_f64", (_F64(3.4028235677973366e38),), _F32(math.inf)),
    ("f32.demote_f64", (0x7FF4000000000000,), AnyNaN(False)),
    ("f64.promote_f32", (0x7FA00000,), AnyNaN(False)),
    ("f32.reinterpret_i32", (0x7FA00001,), 0x7FA00001),
    ("i64.reinterpret_f64", (0xFFF0000000000001,), 0xFFF0000000000001),
]

_CASE_ARGS: dict[str, list[tuple[int, ...]]] = {}
for _op, _args, _ in CASES:
    _CASE_ARGS.setdefault(_op, []).append(_args)

VECTORS = {op: _vectors(op, small=False) + _CASE_ARGS.get(op, []) for op in SPEC_OPS}
FOLD_VECTORS = {op: _vectors(op, small=True) + _CASE_ARGS.get(op, []) for op in SPEC_OPS}


# ---- building and JIT-compiling the test functions --------------------------------------

class _Cx:
    """The minimal lowering context: a trap runs `on_trap(code)`, which ends the block."""

    def __init__(self, module: ir.Module, builder: ir.IRBuilder,
                 on_trap: Callable[[TrapCode], None]):
        self.module, self.builder, self._on_trap = module, builder, on_trap

    def intrinsic(self, name, ret, args):
        existing = self.module.globals.get(name)
        return existing or ir.Function(self.module, ir.FunctionType(ret, list(args)), name)

    def trap_if(self, cond, code):
        b = self.builder
        trap, cont = b.append_basic_block("trap"), b.append_basic_block("cont")
        b.cbranch(cond, trap, cont)
        b.position_at_end(trap)
        self._on_trap(code)
        b.position_at_end(cont)


def _from_i64(b: ir.IRBuilder, v: ir.Value, t: str) -> ir.Value:
    as_int = v if WIDTH[t] == 64 else b.trunc(v, ir.IntType(WIDTH[t]))
    return b.bitcast(as_int, LLTYPE[t]) if t[0] == "f" else as_int


def _to_i64(b: ir.IRBuilder, v: ir.Value, t: str) -> ir.Value:
    as_int = b.bitcast(v, ir.IntType(WIDTH[t])) if t[0] == "f" else v
    return as_int if WIDTH[t] == 64 else b.zext(as_int, I64)


def _const(bits: int, t: str) -> ir.Constant:
    c = ir.Constant(ir.IntType(WIDTH[t]), bits)
    return c.bitcast(LLTYPE[t]) if t[0] == "f" else c  # a bitcast keeps every NaN bit


def _mangle(op: str) -> str:
    return op.replace(".", "_")


def _lower_checked(cx: _Cx, op: str, args: list[ir.Value]) -> ir.Value:
    result = lower_numeric(cx, op, args)
    assert result.type == LLTYPE[signature(op)[1]], op
    return result


def _define_runtime(mod: ir.Module, name: str, result: str,
                    emit: Callable[[_Cx, list[ir.Value]], ir.Value]) -> None:
    """i64 name(i64 a, i64 b, ptr trap) returning emit(cx, [a, b]) as bits; a trap sets *trap."""
    fn = ir.Function(mod, ir.FunctionType(I64, [I64, I64, PTR]), name)
    b = ir.IRBuilder(fn.append_basic_block("entry"))

    def on_trap(code):
        b.store(ir.Constant(I32, int(code)), fn.args[2])
        b.ret(ir.Constant(I64, 0))
    b.ret(_to_i64(b, emit(_Cx(mod, b, on_trap), list(fn.args[:2])), result))


def _operands(cx: _Cx, raw: list[ir.Value], params: tuple[str, ...]) -> list[ir.Value]:
    return [_from_i64(cx.builder, v, t) for v, t in zip(raw, params)]


def build_runtime_module() -> ir.Module:
    """Per operator: rt_<op>(a, b, trap) on operand bits."""
    mod = ir.Module("numeric_runtime")
    for op in sorted(SPEC_OPS):
        params, result = signature(op)
        _define_runtime(mod, f"rt_{_mangle(op)}", result,
                        lambda cx, raw, op=op, params=params:
                        _lower_checked(cx, op, _operands(cx, raw, params)))
    return mod


# Constants that LLVM may fold with (identities, absorbing values, NaNs, shift widths).
_CONSTANTS = {
    "i32": [0, 1, 2, 31, 32, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF],
    "i64": [0, 1, 2, 63, 64, 1 << 63, mask("i64")],
    "f32": _f("f32", 0.0, -0.0, 1.0, -1.0, 2.0, 0.5, math.inf, -math.inf)
    + [0x7FC00000, 0x7FA00000, 0xFFA00001],
    "f64": _f("f64", 0.0, -0.0, 1.0, -1.0, 2.0, 0.5, math.inf, -math.inf)
    + [0x7FF8000000000000, 0x7FF4000000000000, 0xFFF4000000000001],
}
BINARY_OPS = sorted(op for op in SPEC_OPS if len(signature(op)[0]) == 2)


def build_const_operand_module() -> ir.Module:
    """Per binary operator, constant and side: ck_<op>_<side>_<i>(x, _, trap) computing
    op(x, c) (side 0) or op(c, x) (side 1); also demote_promote(x) = demote(promote(x))."""
    mod = ir.Module("numeric_const_operand")
    for op in BINARY_OPS:
        params, result = signature(op)
        for i, c in enumerate(_CONSTANTS[params[0]]):
            for side in (0, 1):
                def emit(cx, raw, op=op, params=params, c=c, side=side):
                    x, k = _operands(cx, raw, params)[0], _const(c, params[0])
                    return _lower_checked(cx, op, [x, k] if side == 0 else [k, x])
                _define_runtime(mod, f"ck_{_mangle(op)}_{side}_{i}", result, emit)
    _define_runtime(mod, "demote_promote", "f32", lambda cx, raw: lower_numeric(
        cx, "f32.demote_f64", [lower_numeric(cx, "f64.promote_f32", _operands(cx, raw, ("f32",)))]))
    return mod


def build_folded_module() -> ir.Module:
    """Per operator: void fold_<op>(ptr out) storing {bits, trap code} per constant vector."""
    mod = ir.Module("numeric_folded")
    for op in sorted(SPEC_OPS):
        params, result = signature(op)
        fn = ir.Function(mod, ir.FunctionType(ir.VoidType(), [PTR]), f"fold_{_mangle(op)}")
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        for i, vec in enumerate(FOLD_VECTORS[op]):
            value_slot = b.gep(fn.args[0], [ir.Constant(I64, 2 * i)], source_etype=I64)
            trap_slot = b.gep(fn.args[0], [ir.Constant(I64, 2 * i + 1)], source_etype=I64)
            after = fn.append_basic_block(f"after{i}")

            def on_trap(code, b=b, slot=trap_slot, after=after):
                b.store(ir.Constant(I64, int(code)), slot)
                b.branch(after)
            args = [_const(v, t) for v, t in zip(vec, params)]
            value = _lower_checked(_Cx(mod, b, on_trap), op, args)
            b.store(_to_i64(b, value, result), value_slot)
            b.store(ir.Constant(I64, 0), trap_slot)
            b.branch(after)
            b.position_at_end(after)
        b.ret_void()
    return mod


_RUNTIME_SIG = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_void_p)
_FOLD_SIG = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _target_machine(cpu: str, features: str, opt: int) -> llvm.TargetMachine:
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=cpu, features=features, opt=opt)


def _optimise(mod: llvm.ModuleRef, tm: llvm.TargetMachine) -> None:
    pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=2))
    pb.getModulePassManager().run(mod, pb)


class Program:
    """One JIT-compiled build of every operator; `run(op)` gives (args, trap, bits) per vector."""

    def __init__(self, ir_module: ir.Module, tm: llvm.TargetMachine, optimise: bool, folded: bool):
        mod = llvm.parse_assembly(str(ir_module))
        mod.verify()
        if optimise:
            _optimise(mod, tm)
        self.folded = folded
        self.engine = llvm.create_mcjit_compiler(mod, tm)
        self.engine.finalize_object()

    def call_named(self, name: str, args: tuple[int, ...]) -> tuple[int, int]:
        """(trap code or 0, result bits) of one call of a runtime-operand function."""
        trap = ctypes.c_uint32(0)
        padded = tuple(args) + (0,) * (2 - len(args))
        bits = _RUNTIME_SIG(self.engine.get_function_address(name))(*padded, ctypes.addressof(trap))
        return trap.value, bits

    def call(self, op: str, args: tuple[int, ...]) -> tuple[int, int]:
        return self.call_named(f"rt_{_mangle(op)}", args)

    def run(self, op: str) -> list[tuple[tuple[int, ...], int, int]]:
        if not self.folded:
            return [(args, *self.call(op, args)) for args in VECTORS[op]]
        vectors = FOLD_VECTORS[op]
        out = (ctypes.c_uint64 * (2 * len(vectors)))()
        _FOLD_SIG(self.engine.get_function_address(f"fold_{_mangle(op)}"))(ctypes.addressof(out))
        return [(args, out[2 * i + 1], out[2 * i]) for i, args in enumerate(vectors)]


MODES = ("O0-generic", "O2-host", "folded")


@pytest.fixture(scope="session")
def runtime_ir() -> ir.Module:
    return build_runtime_module()


def _host_machine() -> llvm.TargetMachine:
    return _target_machine(llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten(), 2)


@pytest.fixture(scope="session", params=MODES)
def program(request, runtime_ir) -> Program:
    mode = request.param
    if mode == "O0-generic":
        return Program(runtime_ir, _target_machine("", "", 0), optimise=False, folded=False)
    if mode == "O2-host":
        return Program(runtime_ir, _host_machine(), optimise=True, folded=False)
    return Program(build_folded_module(), _host_machine(), optimise=True, folded=True)


@pytest.fixture(scope="session")
def const_operand_program() -> Program:
    """O2 with one constant operand per binary operator: where LLVM's algebraic folds apply."""
    return Program(build_const_operand_module(), _host_machine(), optimise=True, folded=False)


# ---- checking ----------------------------------------------------------------------------

def mismatch(expected: Expected, trap: int, bits: int, t: str) -> str | None:
    """Why (trap, bits) is not `expected`, or None when it is."""
    if isinstance(expected, Trap):
        return None if trap == expected.code else f"expected trap {expected.code.name}"
    if trap:
        return f"unexpected trap {TrapCode(trap).name}"
    if isinstance(expected, AnyNaN):
        if not is_nan(bits, t) or not bits & quiet_bit(t):
            return "expected a quiet NaN"
        if expected.canonical and not is_canonical_nan(bits, t):
            return "expected the canonical NaN"
        return None
    return None if bits == expected else f"expected {expected:#x}"


def _report(op: str, problems: list[str]) -> str:
    return f"{op}: {len(problems)} mismatches, e.g.\n  " + "\n  ".join(problems[:8])


# ---- tests -----------------------------------------------------------------------------

def test_every_spec_numeric_operator_is_lowered():
    assert NUMERIC_OPS == SPEC_OPS


def test_unknown_operator_is_a_compile_error():
    mod = ir.Module()
    fn = ir.Function(mod, ir.FunctionType(I32, [I32]), "f")
    cx = _Cx(mod, ir.IRBuilder(fn.append_basic_block()), lambda code: None)
    with pytest.raises(CompileError):
        lower_numeric(cx, "i32.const", [fn.args[0]])


@pytest.mark.parametrize("op", sorted(SPEC_OPS))
def test_operator_matches_reference(program: Program, op: str):
    result_type = signature(op)[1]
    problems = []
    for args, trap, bits in program.run(op):
        why = mismatch(REFERENCE[op](*args), trap, bits, result_type)
        if why:
            shown = tuple(hex(a) for a in args)
            problems.append(f"{op}{shown} -> trap={trap} bits={bits:#x}: {why}")
    assert not problems, _report(op, problems)


@pytest.mark.parametrize("op,args,expected", CASES, ids=[f"{c[0]}{i}" for i, c in enumerate(CASES)])
def test_edge_case(program: Program, op: str, args: tuple[int, ...], expected: Expected):
    assert REFERENCE[op](*args) == expected, "the reference disagrees with the case table"
    if program.folded:
        trap, bits = next((t, b) for a, t, b in program.run(op) if a == args)
    else:
        trap, bits = program.call(op, args)
    assert mismatch(expected, trap, bits, signature(op)[1]) is None, (trap, hex(bits))


@pytest.mark.parametrize("op", BINARY_OPS)
def test_operator_with_a_constant_operand(const_operand_program: Program, op: str):
    t = signature(op)[0][0]
    problems = []
    for i, c in enumerate(_CONSTANTS[t]):
        for side in (0, 1):
            for x in _EDGES[t]:
                args = (x, c) if side == 0 else (c, x)
                trap, bits = const_operand_program.call_named(f"ck_{_mangle(op)}_{side}_{i}", (x,))
                why = mismatch(REFERENCE[op](*args), trap, bits, signature(op)[1])
                if why:
                    problems.append(f"{op}{tuple(hex(a) for a in args)} -> {trap} {bits:#x}: {why}")
    assert not problems, _report(op, problems)


_QUIETING_CASES = [  # (op, lhs, rhs, canonicalize expected); None = the runtime operand
    ("f32.mul", None, 1.0, True), ("f32.mul", -1.0, None, True), ("f32.mul", None, 0.5, False),
    ("f32.sub", None, 0.0, True), ("f32.sub", None, -0.0, False), ("f32.sub", -0.0, None, True),
    ("f32.sub", 0.0, None, False), ("f32.add", None, 0.0, False), ("f32.add", None, -0.0, True),
    ("f32.div", None, -1.0, True), ("f32.div", 1.0, None, False), ("f32.add", None, None, False),
]


@pytest.mark.parametrize("as_bitcast", [True, False])
@pytest.mark.parametrize("op,lhs,rhs,expected", _QUIETING_CASES)
def test_canonicalize_only_where_llvm_may_fold_to_an_operand(op, lhs, rhs, expected, as_bitcast):
    """Constants come as bitcasts of raw bits from the translator; plain ones work too."""
    f32 = LLTYPE["f32"]
    mod = ir.Module()
    fn = ir.Function(mod, ir.FunctionType(f32, [f32]), "f")
    b = ir.IRBuilder(fn.append_basic_block())
    operand = lambda v: fn.args[0] if v is None else (  # noqa: E731
        _const(fbits(v, "f32"), "f32") if as_bitcast else ir.Constant(f32, v))
    b.ret(lower_numeric(_Cx(mod, b, lambda code: None), op, [operand(lhs), operand(rhs)]))
    assert ("llvm.canonicalize" in str(mod)) is expected


def test_no_fast_math_flags(runtime_ir):
    flags = re.compile(r"\b(fast|nnan|ninf|nsz|arcp|contract|afn|reassoc)\b")
    assert not flags.search(str(runtime_ir))


def _instructions(mod: ir.Module, name: str) -> list[list[ir.Instruction]]:
    return [list(block.instructions) for block in mod.get_global(name).blocks]


def test_signed_division_is_guarded(runtime_ir):
    """sdiv only runs after both checks; srem never sees -1 as its divisor."""
    for width in ("i32", "i64"):
        blocks = _instructions(runtime_ir, f"rt_{width}_div_s")
        conditional = [b[-1] for b in blocks if b[-1].opname == "br" and len(b[-1].operands) == 3]
        assert len(conditional) == 2
        assert [i.opname for i in blocks[-1]].count("sdiv") == 1
        assert all(i.opname != "sdiv" for b in blocks[:-1] for i in b)
        rem_blocks = _instructions(runtime_ir, f"rt_{width}_rem_s")
        srem = [i for b in rem_blocks for i in b if i.opname == "srem"]
        assert len(srem) == 1 and srem[0].operands[1].opname == "select"


def test_demote_of_promote_keeps_quieting(const_operand_program: Program):
    for snan in (0x7FA00000, 0xFFA00001, 0x7F800001):
        trap, bits = const_operand_program.call_named("demote_promote", (snan,))
        assert mismatch(AnyNaN(False), trap, bits, "f32") is None, hex(bits)
    assert const_operand_program.call_named("demote_promote", (0x3FC00000,)) == (0, 0x3FC00000)


def _called_symbols(asm: str) -> set[str]:
    calls = re.findall(r"^\s+(?:callq?|jmpq?|bl|b)\s+\*?([A-Za-z_][\w.]*)", asm, re.M)
    return {c.split("@")[0] for c in calls}


_SO_CODE = {"reloc": "pic", "codemodel": "small"}  # as for a shared object: calls name their target
_ROUNDING_LIBCALLS = {"ceil", "ceilf", "floor", "floorf", "trunc", "truncf",
                      "roundeven", "roundevenf"}


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86-64 code generation")
def test_x86_64_lowering_has_no_libcalls_but_rounding(runtime_ir):
    """Baseline x86-64 (SSE2) has no rounding instruction: only ceil/floor/trunc/nearest
    become libm calls. With SSE4.1 (x86-64-v2) nothing is called at all."""
    mod = llvm.parse_assembly(str(runtime_ir))
    target = llvm.Target.from_default_triple()
    baseline = target.create_target_machine(opt=2, **_SO_CODE).emit_assembly(mod)
    assert _called_symbols(baseline) <= _ROUNDING_LIBCALLS
    v2 = target.create_target_machine(cpu="x86-64-v2", opt=2, **_SO_CODE).emit_assembly(mod)
    assert _called_symbols(v2) == set()


def test_aarch64_lowering_has_no_libcalls(runtime_ir):
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    try:
        target = llvm.Target.from_triple("aarch64-unknown-linux-gnu")
    except RuntimeError:
        pytest.skip("LLVM built without AArch64")
    mod = llvm.parse_assembly(str(runtime_ir))
    mod.triple = "aarch64-unknown-linux-gnu"
    asm = target.create_target_machine(opt=2, **_SO_CODE).emit_assembly(mod)
    assert _called_symbols(asm) == set()
