"""Float SIMD lanes: IEEE arithmetic, NaN lanes (quieting, also where LLVM could fold a
constant operand away), min/max ordering of zeros and NaN, pmin/pmax as plain selects,
rounding, comparisons with NaN, and sign-bit-only abs/neg, in every build variant."""
from __future__ import annotations

import math
import random
import struct

import pytest

from tests.unit.simd_support import (F32_SNAN, F64_SNAN, VARIANTS, f32_bits, f64_bits, instantiate,
                                     is_canonical_nan, is_quiet_nan, lanes, module, v128)

SHAPES = {"f32x4": ("f32", "u32", 32), "f64x2": ("f64", "u64", 64)}
BINARY = ("add", "sub", "mul", "div", "min", "max", "pmin", "pmax", "eq", "ne", "lt", "gt", "le", "ge")
UNARY = ("sqrt", "abs", "neg", "ceil", "floor", "trunc", "nearest")

# LLVM folds x*1, x/1, x+(-0), x-0 to x: with a constant operand these must still quiet.
FOLDABLE = "".join(
    f'  (func (export "{s}.{name}") (param v128) (result v128) ({s}.{op} (local.get 0) {k}))\n'
    for s in SHAPES
    for name, op, k in [
        ("mul_one", "mul", f"(v128.const {s} 1 1 1 1)" if s == "f32x4" else f"(v128.const {s} 1 1)"),
        ("div_one", "div", f"(v128.const {s} 1 1 1 1)" if s == "f32x4" else f"(v128.const {s} 1 1)"),
        ("add_negzero", "add", f"({s}.splat ({s[:3]}.const -0))"),
        ("sub_zero", "sub", f"({s}.splat ({s[:3]}.const 0))"),
        ("mul_negone", "mul", f"({s}.splat ({s[:3]}.const -1))"),
        ("max_negzero", "max", f"({s}.splat ({s[:3]}.const -0))"),
    ])


@pytest.fixture(scope="module", params=VARIANTS)
def ex(request, tmp_path_factory):
    text = module([f"{s}.{op}" for s in SHAPES for op in BINARY],
                  [f"{s}.{op}" for s in SHAPES for op in UNARY], extra=FOLDABLE)
    return instantiate(text, request.param, "guard", str(tmp_path_factory.mktemp("cache"))).exports


def _round(x: float, shape: str) -> float:
    """`x` rounded to the lane type (f64 values are already exact)."""
    if shape != "f32x4":
        return x
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:  # rounds to infinity
        return math.copysign(math.inf, x)


def _bits(x: float, shape: str) -> int:
    return f32_bits(x) if shape == "f32x4" else f64_bits(x)


def _values(shape: str) -> list[float]:
    rng = random.Random(shape)
    special = [0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 3.0e38, 1e-45, math.inf, -math.inf]
    return [_round(v, shape) for v in special + [rng.uniform(-1e6, 1e6) for _ in range(12)]]


@pytest.mark.parametrize("shape", SHAPES)
def test_arithmetic_is_correctly_rounded(ex, shape):
    lane, _, _ = SHAPES[shape]
    n = 4 if shape == "f32x4" else 2
    vals = _values(shape)
    ops = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y}
    for i in range(0, len(vals) - n + 1, n):
        a, b = vals[i:i + n], vals[::-1][i:i + n]
        for op, f in ops.items():
            got = lanes(lane, ex[f"{shape}.{op}"](v128(lane, a), v128(lane, b)))
            want = [_round(f(x, y), shape) for x, y in zip(a, b)]
            assert [_bits(g, shape) for g in got if not math.isnan(g)] == \
                   [_bits(w, shape) for w in want if not math.isnan(w)], op
        got = lanes(lane, ex[f"{shape}.div"](v128(lane, a), v128(lane, [3.0])))
        assert got == [_round(x / 3.0, shape) for x in a]
        got = lanes(lane, ex[f"{shape}.sqrt"](v128(lane, [abs(x) for x in a])))
        assert got == [_round(math.sqrt(abs(x)), shape) for x in a]


@pytest.mark.parametrize("shape", SHAPES)
def test_nan_results_are_quiet_even_with_foldable_constants(ex, shape):
    _, ulane, width = SHAPES[shape]
    snan = F32_SNAN if width == 32 else F64_SNAN
    payload_snan = snan | (1 << (width - 1)) | 5
    arg = v128(ulane, [snan, payload_snan] * (64 // width) if width == 32 else [snan, payload_snan])
    for name in ("mul_one", "div_one", "add_negzero", "sub_zero", "mul_negone", "max_negzero"):
        got = lanes(ulane, ex[f"{shape}.{name}"](arg))
        assert all(is_quiet_nan(b, width) for b in got), (name, [hex(b) for b in got])
    for op in ("add", "sub", "mul", "div", "sqrt"):
        args = (arg, arg) if op != "sqrt" else (arg,)
        assert all(is_quiet_nan(b, width) for b in lanes(ulane, ex[f"{shape}.{op}"](*args))), op


@pytest.mark.parametrize("shape", SHAPES)
def test_min_max_order_zeros_and_propagate_nan(ex, shape):
    lane, ulane, width = SHAPES[shape]
    n = 128 // width
    pos, neg = v128(lane, [0.0]), v128(lane, [-0.0])
    for a, b in ((pos, neg), (neg, pos)):
        assert lanes(ulane, ex[f"{shape}.min"](a, b)) == [_bits(-0.0, shape)] * n
        assert lanes(ulane, ex[f"{shape}.max"](a, b)) == [_bits(0.0, shape)] * n
    canonical = v128(lane, [math.nan])
    snan = v128(ulane, [F32_SNAN if width == 32 else F64_SNAN])
    one = v128(lane, [1.0])
    for op in ("min", "max"):
        for a, b in ((canonical, one), (one, canonical), (canonical, canonical)):
            assert all(is_canonical_nan(x, width) for x in lanes(ulane, ex[f"{shape}.{op}"](a, b)))
        for a, b in ((snan, one), (one, snan), (snan, canonical)):
            assert all(is_quiet_nan(x, width) for x in lanes(ulane, ex[f"{shape}.{op}"](a, b)))
    mixed_a = v128(lane, [1.0, math.nan, -3.0, 4.0][:n])
    mixed_b = v128(lane, [2.0, 0.0, math.nan, -4.0][:n])
    got = lanes(lane, ex[f"{shape}.min"](mixed_a, mixed_b))
    want = [1.0, math.nan, math.nan, -4.0][:n]
    assert [math.isnan(g) for g in got] == [math.isnan(w) for w in want]
    assert [g for g in got if not math.isnan(g)] == [w for w in want if not math.isnan(w)]


@pytest.mark.parametrize("shape", SHAPES)
def test_pmin_pmax_are_selects_keeping_the_first_operand(ex, shape):
    lane, ulane, width = SHAPES[shape]
    n = 128 // width
    nan_bits = (F32_SNAN if width == 32 else F64_SNAN) | 3
    nan, one = v128(ulane, [nan_bits]), v128(lane, [1.0])
    for op in ("pmin", "pmax"):
        # b < a (pmin) / a < b (pmax) is false with a NaN: the result is `a`, bit for bit
        assert lanes(ulane, ex[f"{shape}.{op}"](nan, one)) == [nan_bits] * n
        assert lanes(lane, ex[f"{shape}.{op}"](one, nan)) == [1.0] * n
        assert lanes(ulane, ex[f"{shape}.{op}"](v128(lane, [-0.0]), v128(lane, [0.0]))) == [_bits(-0.0, shape)] * n
        assert lanes(ulane, ex[f"{shape}.{op}"](v128(lane, [0.0]), v128(lane, [-0.0]))) == [_bits(0.0, shape)] * n
    assert lanes(lane, ex[f"{shape}.pmin"](v128(lane, [2.0]), one)) == [1.0] * n
    assert lanes(lane, ex[f"{shape}.pmax"](v128(lane, [2.0]), one)) == [2.0] * n


@pytest.mark.parametrize("shape", SHAPES)
def test_rounding(ex, shape):
    lane, ulane, width = SHAPES[shape]
    xs = [0.5, 1.5, 2.5, -0.5, -1.5, 2.7, -2.7, 1e30, -math.inf, -0.0, 0.49999997, 4503599627370497.0]
    want = {"nearest": lambda x: round(x) if abs(x) < 1e300 else x, "ceil": math.ceil,
            "floor": math.floor, "trunc": math.trunc}
    n = 128 // width
    for i in range(0, len(xs), n):
        chunk = [_round(x, shape) for x in xs[i:i + n]]
        for op, f in want.items():
            got = lanes(lane, ex[f"{shape}.{op}"](v128(lane, chunk)))
            expect = [_round(float(f(x)) if math.isfinite(x) else x, shape) for x in chunk]
            # the sign of a zero result is the sign of the input (ceil(-0.5) = -0)
            expect = [math.copysign(e, x) if e == 0 else e for e, x in zip(expect, chunk)]
            assert [_bits(g, shape) for g in got] == [_bits(e, shape) for e in expect], (op, chunk)
    snan = v128(ulane, [F32_SNAN if width == 32 else F64_SNAN])
    for op in want:
        assert all(is_quiet_nan(b, width) for b in lanes(ulane, ex[f"{shape}.{op}"](snan)))


@pytest.mark.parametrize("shape", SHAPES)
def test_comparisons_with_nan_are_false_except_ne(ex, shape):
    lane, _, width = SHAPES[shape]
    n = 128 // width
    nan, one = v128(lane, [math.nan]), v128(lane, [1.0])
    ilane = f"i{width}"
    for a, b in ((nan, one), (one, nan), (nan, nan)):
        for op in ("eq", "lt", "gt", "le", "ge"):
            assert lanes(ilane, ex[f"{shape}.{op}"](a, b)) == [0] * n
        assert lanes(ilane, ex[f"{shape}.ne"](a, b)) == [-1] * n
    two = v128(lane, [2.0])
    expect = {"eq": 0, "ne": -1, "lt": -1, "gt": 0, "le": -1, "ge": 0}
    for op, v in expect.items():
        assert lanes(ilane, ex[f"{shape}.{op}"](one, two)) == [v] * n
    assert lanes(ilane, ex[f"{shape}.eq"](v128(lane, [0.0]), v128(lane, [-0.0]))) == [-1] * n


@pytest.mark.parametrize("shape", SHAPES)
def test_abs_neg_only_touch_the_sign_bit(ex, shape):
    _, ulane, width = SHAPES[shape]
    sign = 1 << (width - 1)
    snan = (F32_SNAN if width == 32 else F64_SNAN) | 1
    values = [snan, snan | sign] * (64 // width) if width == 32 else [snan, snan | sign]
    got = lanes(ulane, ex[f"{shape}.abs"](v128(ulane, values)))
    assert got == [v & ~sign for v in values]
    got = lanes(ulane, ex[f"{shape}.neg"](v128(ulane, values)))
    assert got == [v ^ sign for v in values]
