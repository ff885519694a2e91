"""v128.const, i8x16.shuffle, i8x16.swizzle (indices >= 16 give 0), splat,
extract_lane (signed/unsigned), replace_lane, in every build variant."""
from __future__ import annotations

import random

import pytest

from tests.unit.simd_support import VARIANTS, instantiate, lanes, v128

SHUFFLE = [0, 17, 2, 19, 31, 16, 15, 0, 7, 7, 30, 29, 1, 18, 3, 20]

MODULE = f"""
(module
  (func (export "const") (result v128) (v128.const i32x4 0x03020100 0x07060504 -1 0x80000000))
  (func (export "shuffle") (param v128 v128) (result v128)
    (i8x16.shuffle {' '.join(map(str, SHUFFLE))} (local.get 0) (local.get 1)))
  (func (export "swizzle") (param v128 v128) (result v128) (i8x16.swizzle (local.get 0) (local.get 1)))
  (func (export "swizzle_const") (param v128) (result v128)
    (i8x16.swizzle (local.get 0) (v128.const i8x16 15 16 17 0x7f 0x80 0xff 0 1 2 3 4 5 6 7 8 9)))
  (func (export "splat8") (param i32) (result v128) (i8x16.splat (local.get 0)))
  (func (export "splat16") (param i32) (result v128) (i16x8.splat (local.get 0)))
  (func (export "splat32") (param i32) (result v128) (i32x4.splat (local.get 0)))
  (func (export "splat64") (param i64) (result v128) (i64x2.splat (local.get 0)))
  (func (export "splatf32") (param f32) (result v128) (f32x4.splat (local.get 0)))
  (func (export "splatf64") (param f64) (result v128) (f64x2.splat (local.get 0)))
  (func (export "extract8s") (param v128) (result i32) (i8x16.extract_lane_s 15 (local.get 0)))
  (func (export "extract8u") (param v128) (result i32) (i8x16.extract_lane_u 15 (local.get 0)))
  (func (export "extract16s") (param v128) (result i32) (i16x8.extract_lane_s 3 (local.get 0)))
  (func (export "extract16u") (param v128) (result i32) (i16x8.extract_lane_u 3 (local.get 0)))
  (func (export "extract32") (param v128) (result i32) (i32x4.extract_lane 2 (local.get 0)))
  (func (export "extract64") (param v128) (result i64) (i64x2.extract_lane 1 (local.get 0)))
  (func (export "extractf32") (param v128) (result f32) (f32x4.extract_lane 3 (local.get 0)))
  (func (export "extractf64") (param v128) (result f64) (f64x2.extract_lane 0 (local.get 0)))
  (func (export "replace8") (param v128 i32) (result v128) (i8x16.replace_lane 0 (local.get 0) (local.get 1)))
  (func (export "replace16") (param v128 i32) (result v128) (i16x8.replace_lane 7 (local.get 0) (local.get 1)))
  (func (export "replace64") (param v128 i64) (result v128) (i64x2.replace_lane 1 (local.get 0) (local.get 1)))
  (func (export "replacef32") (param v128 f32) (result v128) (f32x4.replace_lane 1 (local.get 0) (local.get 1))))
"""


@pytest.fixture(scope="module", params=VARIANTS)
def ex(request, tmp_path_factory):
    return instantiate(MODULE, request.param, "guard", str(tmp_path_factory.mktemp("cache"))).exports


def test_const_lane_order(ex):
    assert lanes("u8", ex["const"]())[:8] == list(range(8))
    assert lanes("i32", ex["const"]())[2:] == [-1, -(1 << 31)]


def test_shuffle_picks_from_both_operands(ex):
    a, b = bytes(range(16)), bytes(range(100, 116))
    assert lanes("u8", ex["shuffle"](a, b)) == [(a + b)[i] for i in SHUFFLE]


def _swizzle(table: bytes, idx: bytes) -> list[int]:
    return [table[i] if i < 16 else 0 for i in idx]


def test_swizzle_out_of_range_indices_give_zero(ex):
    table = bytes(range(200, 216))
    # 16 and every index with only high bits set must not wrap around to a low lane
    idx = bytes([0, 15, 16, 17, 31, 32, 0x70, 0x7F, 0x80, 0x8F, 0xF0, 0xFF, 5, 0x10, 0x20, 0x40])
    assert lanes("u8", ex["swizzle"](table, idx)) == _swizzle(table, idx)
    assert lanes("u8", ex["swizzle_const"](table)) == _swizzle(
        table, bytes([15, 16, 17, 0x7F, 0x80, 0xFF, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
    rng = random.Random(3)
    for _ in range(20):
        idx = bytes(rng.choice([rng.randrange(16), rng.randrange(256)]) for _ in range(16))
        assert lanes("u8", ex["swizzle"](table, idx)) == _swizzle(table, idx)


def test_splats_take_the_low_bits_of_their_scalar(ex):
    assert lanes("u8", ex["splat8"](0x1FF)) == [0xFF] * 16
    assert lanes("i16", ex["splat16"](-1)) == [-1] * 8
    assert lanes("i16", ex["splat16"](0x12345)) == [0x2345] * 8
    assert lanes("i32", ex["splat32"](-7)) == [-7] * 4
    assert lanes("i64", ex["splat64"](-(1 << 63))) == [-(1 << 63)] * 2
    assert lanes("f32", ex["splatf32"](1.5)) == [1.5] * 4
    assert lanes("f64", ex["splatf64"](-0.25)) == [-0.25] * 2


def test_extract_lane_sign_and_zero_extends(ex):
    v = v128("u8", [0] * 15 + [0x80])
    assert ex["extract8s"](v) == -128 and ex["extract8u"](v) == 128
    v = v128("u16", [0, 0, 0, 0xFFFE, 0, 0, 0, 0])
    assert ex["extract16s"](v) == -2 and ex["extract16u"](v) == 0xFFFE
    assert ex["extract32"](v128("i32", [1, 2, -3, 4])) == -3
    assert ex["extract64"](v128("i64", [1, -(1 << 40)])) == -(1 << 40)
    assert ex["extractf32"](v128("f32", [0, 0, 0, 2.5])) == 2.5
    assert ex["extractf64"](v128("f64", [-8.0, 1.0])) == -8.0


def test_replace_lane_changes_only_its_lane(ex):
    base = bytes(range(16))
    assert lanes("u8", ex["replace8"](base, 0x1AB)) == [0xAB] + list(range(1, 16))
    assert lanes("i16", ex["replace16"](base, -1))[7] == -1
    assert lanes("u8", ex["replace16"](base, -1))[:14] == list(range(14))
    assert lanes("i64", ex["replace64"](base, -5)) == [lanes("i64", base)[0], -5]
    got = lanes("f32", ex["replacef32"](v128("f32", [1, 2, 3, 4]), 9.0))
    assert got == [1.0, 9.0, 3.0, 4.0]
