"""Integer SIMD lanes: wrapping arithmetic, saturation bounds, shifts by any count,
avgr_u, popcnt, q15mulr_sat_s, comparisons, and the width-changing operators, checked
against a Python reference in every build variant (host, portable, baseline)."""
from __future__ import annotations

import itertools
import random

import pytest

from tests.unit.simd_support import VARIANTS, edge_values, instantiate, lanes, module, v128, wrap

SHAPES = {"i8x16": 8, "i16x8": 16, "i32x4": 32, "i64x2": 64}
_REL = ("eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u")


def _ops() -> tuple[list[str], list[str], list[str]]:
    binary, unary, shift = ["i16x8.q15mulr_sat_s", "i32x4.dot_i16x8_s"], ["i8x16.popcnt"], []
    for shape, bits in SHAPES.items():
        binary += [f"{shape}.add", f"{shape}.sub"]
        unary += [f"{shape}.neg", f"{shape}.abs"]
        shift += [f"{shape}.shl", f"{shape}.shr_s", f"{shape}.shr_u"]
        binary += [f"{shape}.{r}" for r in _REL if bits < 64 or r in ("eq", "ne") or r.endswith("_s")]
        if bits >= 16:
            binary.append(f"{shape}.mul")
        if bits <= 32:
            binary += [f"{shape}.{m}_{s}" for m in ("min", "max") for s in "su"]
        if bits <= 16:
            binary += [f"{shape}.{op}_sat_{s}" for op in ("add", "sub") for s in "su"]
            binary.append(f"{shape}.avgr_u")
    for narrow, wide in (("i8x16", "i16x8"), ("i16x8", "i32x4"), ("i32x4", "i64x2")):
        for s in "su":
            for part in ("low", "high"):
                unary.append(f"{wide}.extend_{part}_{narrow}_{s}")
                binary.append(f"{wide}.extmul_{part}_{narrow}_{s}")
            if wide != "i64x2":
                unary.append(f"{wide}.extadd_pairwise_{narrow}_{s}")
                binary.append(f"{narrow}.narrow_{wide}_{s}")
    return binary, unary, shift


@pytest.fixture(scope="module", params=VARIANTS)
def ex(request, tmp_path_factory):
    binary, unary, shift = _ops()
    inst = instantiate(module(binary, unary, shift), request.param, "guard",
                       str(tmp_path_factory.mktemp("cache")))
    return inst.exports


def _cases(lane: str, n_random: int = 6) -> list[tuple[list[int], list[int]]]:
    """Pairs of lane vectors: every pair of edge values, then random ones."""
    count = 128 // int(lane[1:])
    edges = edge_values(lane)
    pairs = list(itertools.product(edges, repeat=2))
    out = []
    for i in range(0, len(pairs), count):
        chunk = (pairs[i:i + count] * count)[:count]
        out.append(([a for a, _ in chunk], [b for _, b in chunk]))
    rng = random.Random(lane)
    bits = int(lane[1:])
    for _ in range(n_random):
        out.append(([wrap(rng.getrandbits(bits), lane) for _ in range(count)],
                    [wrap(rng.getrandbits(bits), lane) for _ in range(count)]))
    return out


def _check_binary(ex, op: str, lane: str, ref, out_lane: str | None = None) -> None:
    for a, b in _cases(lane):
        got = lanes(out_lane or lane, ex[op](v128(lane, a), v128(lane, b)))
        want = [ref(x, y) for x, y in zip(a, b)]
        assert got == [wrap(w, out_lane or lane) for w in want], (op, a, b)


@pytest.mark.parametrize("shape", SHAPES)
def test_wrapping_arithmetic(ex, shape):
    lane = f"i{SHAPES[shape]}"
    _check_binary(ex, f"{shape}.add", lane, lambda x, y: x + y)
    _check_binary(ex, f"{shape}.sub", lane, lambda x, y: x - y)
    if shape != "i8x16":
        _check_binary(ex, f"{shape}.mul", lane, lambda x, y: x * y)
    for a, _ in _cases(lane):
        assert lanes(lane, ex[f"{shape}.neg"](v128(lane, a))) == [wrap(-x, lane) for x in a]
        # abs of the most negative value is itself (wraps), never a trap or poison
        assert lanes(lane, ex[f"{shape}.abs"](v128(lane, a))) == [wrap(abs(x), lane) for x in a]


@pytest.mark.parametrize("shape", ["i8x16", "i16x8", "i32x4"])
def test_min_max_signed_and_unsigned(ex, shape):
    bits = SHAPES[shape]
    for sign in "su":
        lane = f"{'i' if sign == 's' else 'u'}{bits}"
        _check_binary(ex, f"{shape}.min_{sign}", lane, min)
        _check_binary(ex, f"{shape}.max_{sign}", lane, max)


@pytest.mark.parametrize("shape", ["i8x16", "i16x8"])
def test_saturating_add_sub_hit_both_bounds(ex, shape):
    bits = SHAPES[shape]
    for sign, lo, hi in (("s", -(1 << (bits - 1)), (1 << (bits - 1)) - 1), ("u", 0, (1 << bits) - 1)):
        lane = f"{'i' if sign == 's' else 'u'}{bits}"

        def clamp(v, lo=lo, hi=hi):
            return max(lo, min(hi, v))
        _check_binary(ex, f"{shape}.add_sat_{sign}", lane, lambda x, y: clamp(x + y))
        _check_binary(ex, f"{shape}.sub_sat_{sign}", lane, lambda x, y: clamp(x - y))
        top = ex[f"{shape}.add_sat_{sign}"](v128(lane, [hi]), v128(lane, [1]))
        assert lanes(lane, top) == [hi] * (128 // bits)
        bottom = ex[f"{shape}.sub_sat_{sign}"](v128(lane, [lo]), v128(lane, [1]))
        assert lanes(lane, bottom) == [lo] * (128 // bits)


@pytest.mark.parametrize("shape", ["i8x16", "i16x8"])
def test_avgr_u_rounds_up_without_overflow(ex, shape):
    lane = f"u{SHAPES[shape]}"
    _check_binary(ex, f"{shape}.avgr_u", lane, lambda x, y: (x + y + 1) >> 1)


def test_popcnt_of_every_byte(ex):
    for start in range(0, 256, 16):
        values = list(range(start, start + 16))
        assert lanes("u8", ex["i8x16.popcnt"](v128("u8", values))) == [bin(v).count("1") for v in values]


@pytest.mark.parametrize("shape", SHAPES)
def test_shift_counts_are_taken_modulo_the_lane_width(ex, shape):
    bits = SHAPES[shape]
    values = (edge_values(f"i{bits}") * 2)[:128 // bits]
    for count in (0, 1, bits - 1, bits, bits + 1, 2 * bits + 3, 33, 64, 100, 0x7FFFFFFF, -1):
        n = count % bits  # Python's % of -1 is bits - 1, which is what masking gives
        shl = lanes(f"i{bits}", ex[f"{shape}.shl"](v128(f"i{bits}", values), count))
        assert shl == [wrap(v << n, f"i{bits}") for v in values], count
        sar = lanes(f"i{bits}", ex[f"{shape}.shr_s"](v128(f"i{bits}", values), count))
        assert sar == [v >> n for v in values], count
        unsigned = [v % (1 << bits) for v in values]
        shr = lanes(f"u{bits}", ex[f"{shape}.shr_u"](v128(f"u{bits}", unsigned), count))
        assert shr == [v >> n for v in unsigned], count


@pytest.mark.parametrize("shape", SHAPES)
def test_comparisons_give_all_ones_or_zero(ex, shape):
    bits = SHAPES[shape]
    preds = {"eq": lambda x, y: x == y, "ne": lambda x, y: x != y, "lt": lambda x, y: x < y,
             "gt": lambda x, y: x > y, "le": lambda x, y: x <= y, "ge": lambda x, y: x >= y}
    for rel in _REL:
        name, _, sign = rel.partition("_")
        if bits == 64 and sign == "u":
            continue
        lane = f"{'u' if sign == 'u' else 'i'}{bits}"
        _check_binary(ex, f"{shape}.{rel}", lane,
                      lambda x, y, p=preds[name]: -1 if p(x, y) else 0, out_lane=f"i{bits}")


def _q15(x: int, y: int) -> int:
    return max(-32768, min(32767, (x * y + 0x4000) >> 15))


def test_q15mulr_sat_s_saturates_only_the_overflowing_product(ex):
    _check_binary(ex, "i16x8.q15mulr_sat_s", "i16", _q15)
    # -32768 * -32768 is the one product that overflows; rounding boundaries around it
    a = [-32768, -32768, -32768, 32767, 16384, -16384, 1, -1]
    b = [-32768, 32767, -32767, 32767, 16384, 16384, 16384, 16384]
    got = lanes("i16", ex["i16x8.q15mulr_sat_s"](v128("i16", a), v128("i16", b)))
    assert got == [_q15(x, y) for x, y in zip(a, b)]
    assert got[0] == 32767


def test_dot_wraps_only_in_the_double_minimum_case(ex):
    def dot(a, b):
        return [wrap(a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1], "i32") for i in range(4)]
    for a, b in _cases("i16"):
        assert lanes("i32", ex["i32x4.dot_i16x8_s"](v128("i16", a), v128("i16", b))) == dot(a, b)
    everything_min = v128("i16", [-32768])
    assert lanes("i32", ex["i32x4.dot_i16x8_s"](everything_min, everything_min)) == [-(1 << 31)] * 4


@pytest.mark.parametrize("narrow,wide", [("i8x16", "i16x8"), ("i16x8", "i32x4"), ("i32x4", "i64x2")])
def test_extend_and_extmul(ex, narrow, wide):
    nb = SHAPES[narrow]
    for sign in "su":
        lane = f"{'i' if sign == 's' else 'u'}{nb}"
        wide_lane = f"{'i' if sign == 's' else 'u'}{2 * nb}"
        for a, b in _cases(lane):
            half = len(a) // 2
            for part, sl in (("low", slice(0, half)), ("high", slice(half, None))):
                got = lanes(wide_lane, ex[f"{wide}.extend_{part}_{narrow}_{sign}"](v128(lane, a)))
                assert got == a[sl]
                got = lanes(wide_lane, ex[f"{wide}.extmul_{part}_{narrow}_{sign}"](v128(lane, a), v128(lane, b)))
                assert got == [wrap(x * y, wide_lane) for x, y in zip(a[sl], b[sl])]


@pytest.mark.parametrize("narrow,wide", [("i8x16", "i16x8"), ("i16x8", "i32x4")])
def test_extadd_pairwise(ex, narrow, wide):
    nb = SHAPES[narrow]
    for sign in "su":
        lane = f"{'i' if sign == 's' else 'u'}{nb}"
        for a, _ in _cases(lane):
            got = lanes(f"i{2 * nb}", ex[f"{wide}.extadd_pairwise_{narrow}_{sign}"](v128(lane, a)))
            assert got == [a[2 * i] + a[2 * i + 1] for i in range(len(a) // 2)]


@pytest.mark.parametrize("narrow,wide", [("i8x16", "i16x8"), ("i16x8", "i32x4")])
def test_narrow_clamps_signed_input_to_each_range(ex, narrow, wide):
    wb, nb = SHAPES[wide], SHAPES[narrow]
    for sign, lo, hi in (("s", -(1 << (nb - 1)), (1 << (nb - 1)) - 1), ("u", 0, (1 << nb) - 1)):
        out_lane = f"{'i' if sign == 's' else 'u'}{nb}"
        for a, b in _cases(f"i{wb}"):
            got = lanes(out_lane, ex[f"{narrow}.narrow_{wide}_{sign}"](v128(f"i{wb}", a), v128(f"i{wb}", b)))
            assert got == [max(lo, min(hi, v)) for v in a + b]
