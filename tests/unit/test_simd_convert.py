"""SIMD conversions: saturating truncation at every bound (NaN, infinities, the last
float inside and the first outside each range), int -> float rounding, promote/demote
(NaN quieting, also for demote(promote(x))), in every build variant."""
from __future__ import annotations

import math
import struct

import pytest

from tests.unit.simd_support import F32_SNAN, F64_SNAN, VARIANTS, instantiate, is_quiet_nan, lanes, module, v128

OPS = ["i32x4.trunc_sat_f32x4_s", "i32x4.trunc_sat_f32x4_u", "i32x4.trunc_sat_f64x2_s_zero",
       "i32x4.trunc_sat_f64x2_u_zero", "f32x4.convert_i32x4_s", "f32x4.convert_i32x4_u",
       "f64x2.convert_low_i32x4_s", "f64x2.convert_low_i32x4_u", "f32x4.demote_f64x2_zero",
       "f64x2.promote_low_f32x4"]
EXTRA = """
  (func (export "demote_promote") (param v128) (result v128)
    (f32x4.demote_f64x2_zero (f64x2.promote_low_f32x4 (local.get 0))))
"""

F32_BELOW_2_31 = 2147483520.0  # the largest f32 below 2**31
F32_BELOW_2_32 = 4294967040.0


@pytest.fixture(scope="module", params=VARIANTS)
def ex(request, tmp_path_factory):
    return instantiate(module(unary=OPS, extra=EXTRA), request.param, "guard",
                       str(tmp_path_factory.mktemp("cache"))).exports


def _sat(x: float, lo: int, hi: int) -> int:
    if math.isnan(x):
        return 0
    if math.isinf(x):
        return hi if x > 0 else lo
    return max(lo, min(hi, math.trunc(x)))


F32_CASES = [math.nan, -math.nan, math.inf, -math.inf, 0.0, -0.0, 0.9, -0.9, 1.0, -1.0, 3.7, -3.7,
             F32_BELOW_2_31, 2.0 ** 31, -(2.0 ** 31), -2147483904.0, F32_BELOW_2_32, 2.0 ** 32,
             1e30, -1e30, 16777217.0, 123456.5]


@pytest.mark.parametrize("sign,lo,hi", [("s", -(1 << 31), (1 << 31) - 1), ("u", 0, (1 << 32) - 1)])
def test_trunc_sat_f32x4(ex, sign, lo, hi):
    out = "i32" if sign == "s" else "u32"
    cases = F32_CASES + [struct.unpack("<f", struct.pack("<I", F32_SNAN))[0]]
    for i in range(0, len(cases), 4):
        chunk = [_f32(x) for x in (cases[i:i + 4] + [0.0] * 4)[:4]]
        got = lanes(out, ex[f"i32x4.trunc_sat_f32x4_{sign}"](v128("f32", chunk)))
        assert got == [_sat(x, lo, hi) for x in chunk], chunk


@pytest.mark.parametrize("sign,lo,hi", [("s", -(1 << 31), (1 << 31) - 1), ("u", 0, (1 << 32) - 1)])
def test_trunc_sat_f64x2_zero_fills_the_high_lanes(ex, sign, lo, hi):
    out = "i32" if sign == "s" else "u32"
    cases = F32_CASES + [2147483647.9, 2147483648.0, -2147483648.9, -2147483649.0, 4294967295.9,
                         4294967296.0, -0.99999, math.ulp(0.0)]
    for i in range(0, len(cases), 2):
        chunk = (cases[i:i + 2] + [0.0])[:2]
        got = lanes(out, ex[f"i32x4.trunc_sat_f64x2_{sign}_zero"](v128("f64", chunk)))
        assert got == [_sat(x, lo, hi) for x in chunk] + [0, 0], chunk
    snan = v128("u64", [F64_SNAN, F64_SNAN | (1 << 63)])
    assert lanes(out, ex[f"i32x4.trunc_sat_f64x2_{sign}_zero"](snan)) == [0, 0, 0, 0]


def _f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def test_convert_rounds_to_nearest_even(ex):
    ints = [0, 1, -1, (1 << 31) - 1, -(1 << 31), 16777217, -16777219, 0x7FFFFFC0]
    for i in range(0, len(ints), 4):
        chunk = ints[i:i + 4]
        assert lanes("f32", ex["f32x4.convert_i32x4_s"](v128("i32", chunk))) == [_f32(float(v)) for v in chunk]
        unsigned = [v % (1 << 32) for v in chunk]
        assert lanes("f32", ex["f32x4.convert_i32x4_u"](v128("u32", unsigned))) == [_f32(float(v)) for v in unsigned]
    got = lanes("f64", ex["f64x2.convert_low_i32x4_s"](v128("i32", [-5, (1 << 31) - 1, 7, 7])))
    assert got == [-5.0, float((1 << 31) - 1)]
    got = lanes("f64", ex["f64x2.convert_low_i32x4_u"](v128("u32", [0xFFFFFFFF, 0x80000000, 7, 7])))
    assert got == [4294967295.0, 2147483648.0]


def test_promote_and_demote(ex):
    got = lanes("f64", ex["f64x2.promote_low_f32x4"](v128("f32", [1.5, -0.1, 9.0, 9.0])))
    assert got == [1.5, _f32(-0.1)]
    got = lanes("f32", ex["f32x4.demote_f64x2_zero"](v128("f64", [0.1, 1e300])))
    assert got == [_f32(0.1), math.inf, 0.0, 0.0]
    quiet = lanes("u64", ex["f64x2.promote_low_f32x4"](v128("u32", [F32_SNAN, F32_SNAN | 1 << 31, 0, 0])))
    assert all(is_quiet_nan(b, 64) for b in quiet)
    quiet = lanes("u32", ex["f32x4.demote_f64x2_zero"](v128("u64", [F64_SNAN, F64_SNAN | 1 << 63])))
    assert all(is_quiet_nan(b, 32) for b in quiet[:2]) and quiet[2:] == [0, 0]


def test_demote_of_promote_still_quiets(ex):
    """LLVM may fold fptrunc(fpext(x)) to x; a signalling NaN must come out quiet anyway."""
    got = lanes("u32", ex["demote_promote"](v128("u32", [F32_SNAN, F32_SNAN | 1 << 31, 0, 0])))
    assert all(is_quiet_nan(b, 32) for b in got[:2]) and got[2:] == [0, 0]
    got = lanes("f32", ex["demote_promote"](v128("f32", [1.25, -3.5, 7.0, 7.0])))
    assert got == [1.25, -3.5, 0.0, 0.0]
