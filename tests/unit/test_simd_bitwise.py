"""Bitwise v128 operators, bitselect, and the boolean reductions any_true / all_true /
bitmask, per lane shape, in every build variant."""
from __future__ import annotations

import random

import pytest

from tests.unit.simd_support import VARIANTS, instantiate, module, v128

SHAPES = {"i8x16": 8, "i16x8": 16, "i32x4": 32, "i64x2": 64}
EXTRA = """
  (func (export "v128.bitselect") (param v128 v128 v128) (result v128)
    (v128.bitselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "v128.any_true") (param v128) (result i32) (v128.any_true (local.get 0)))
""" + "".join(
    f'  (func (export "{s}.{op}") (param v128) (result i32) ({s}.{op} (local.get 0)))\n'
    for s in SHAPES for op in ("all_true", "bitmask"))


@pytest.fixture(scope="module", params=VARIANTS)
def ex(request, tmp_path_factory):
    text = module(["v128.and", "v128.or", "v128.xor", "v128.andnot"], ["v128.not"], extra=EXTRA)
    return instantiate(text, request.param, "guard", str(tmp_path_factory.mktemp("cache"))).exports


M = (1 << 128) - 1


def _values() -> list[int]:
    rng = random.Random(5)
    return [0, M, 1, 1 << 127, 0x0F0F << 60] + [rng.getrandbits(128) for _ in range(8)]


def test_bitwise_operators(ex):
    for a in _values():
        assert ex["v128.not"](a) == ~a & M
        for b in _values()[:6]:
            assert ex["v128.and"](a, b) == a & b
            assert ex["v128.or"](a, b) == a | b
            assert ex["v128.xor"](a, b) == a ^ b
            assert ex["v128.andnot"](a, b) == a & ~b & M
            mask = (a * 0x9E3779B97F4A7C15) & M
            assert ex["v128.bitselect"](a, b, mask) == (a & mask) | (b & ~mask & M)


def test_any_true_sees_any_single_bit(ex):
    assert ex["v128.any_true"](0) == 0
    for bit in (0, 7, 63, 64, 100, 127):
        assert ex["v128.any_true"](1 << bit) == 1


@pytest.mark.parametrize("shape", SHAPES)
def test_all_true_needs_every_lane_non_zero(ex, shape):
    bits = SHAPES[shape]
    n = 128 // bits
    assert ex[f"{shape}.all_true"](v128(f"u{bits}", [1])) == 1
    assert ex[f"{shape}.all_true"](v128(f"u{bits}", [1 << (bits - 1)])) == 1
    for zero_lane in range(n):
        values = [1 << (i % bits) for i in range(n)]
        values[zero_lane] = 0
        assert ex[f"{shape}.all_true"](v128(f"u{bits}", values)) == 0


@pytest.mark.parametrize("shape", SHAPES)
def test_bitmask_collects_sign_bits_in_lane_order(ex, shape):
    bits = SHAPES[shape]
    n = 128 // bits
    rng = random.Random(shape)
    for _ in range(10):
        signs = [rng.random() < 0.5 for _ in range(n)]
        values = [(1 << (bits - 1)) | rng.getrandbits(bits - 1) if s else rng.getrandbits(bits - 1)
                  for s in signs]
        want = sum(1 << i for i, s in enumerate(signs) if s)
        assert ex[f"{shape}.bitmask"](v128(f"u{bits}", values)) == want
    assert ex[f"{shape}.bitmask"](v128(f"u{bits}", [(1 << bits) - 1])) == (1 << n) - 1
