"""Seeded arguments for exported functions, as exact bit patterns.

Values mix the edges where engines tend to differ (zero, signs, extremes, powers of
two, NaNs with payloads, subnormals, addresses near a memory's end) with random bits.
Reference arguments are always null: neither engine can name the other's references.
"""
from __future__ import annotations

import random

_I32_EDGES = (0, 1, 2, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0xFFFFFFFE, 0x10000, 0xFFFF,
              0xFFF0, 0x1_0000 - 4, 0x2_0000 - 8, 31, 32, 63, 64, 0x8000_0001)
_I64_EDGES = (0, 1, 2, (1 << 64) - 1, 1 << 63, (1 << 63) - 1, 0xFFFFFFFF, 1 << 32, 63, 64,
              0x8000_0000, (1 << 64) - 0x10000, 0xFFFF_FFFF_0000_0000)
_F32_EDGES = (0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000,
              0x7FC00000, 0xFFC00000, 0x7FA00001, 0x7F800001, 0x00000001, 0x007FFFFF,
              0x7F7FFFFF, 0x4F000000, 0xCF000000, 0x4F800000, 0x5F000000, 0xDF000000,
              0x3F000000, 0x3FC00000, 0x40490FDB)
_F64_EDGES = (0, 1 << 63, 0x3FF0000000000000, 0xBFF0000000000000, 0x7FF0000000000000,
              0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000, 0x7FF4000000000001,
              0x7FF0000000000001, 1, 0x000FFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF, 0x41E0000000000000,
              0xC1E0000000000000, 0x41F0000000000000, 0x43E0000000000000, 0xC3E0000000000000,
              0x3FE0000000000000, 0x400921FB54442D18, 0x41DFFFFFFFC00000)

_EDGES = {"i32": _I32_EDGES, "i64": _I64_EDGES, "f32": _F32_EDGES, "f64": _F64_EDGES}
_WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}


def arg_bits(rng: random.Random, t: str) -> int:
    """One argument of type `t` ("i32", "i64", "f32", "f64", "funcref", "externref")."""
    if t in ("funcref", "externref"):
        return 0
    if t == "v128":  # lanes of edge values (as i32, f32 or f64 lanes) or random bits
        kind = rng.choice(("i32", "f32", "i64", "f64", None))
        if kind is None:
            return rng.getrandbits(128)
        n = 4 if kind in ("i32", "f32") else 2
        lanes = [arg_bits(rng, kind) for _ in range(n)]
        return sum(v << (i * (128 // n)) for i, v in enumerate(lanes))
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(_EDGES[t])
    if roll < 0.65 and t in ("i32", "i64"):
        return rng.randrange(0, 1 << 17)  # in or near a small memory
    if roll < 0.75 and t in ("i32", "i64"):
        return rng.randrange(0, 64)  # small counts, shifts, table indices
    return rng.getrandbits(_WIDTH[t])


def call_args(seed: int, export_index: int, call_index: int, params: list[str]) -> list[int]:
    """The arguments of call number `call_index` to the `export_index`-th export."""
    rng = random.Random(f"args:{seed}:{export_index}:{call_index}")
    return [arg_bits(rng, t) for t in params]
