"""Converting between Python values, raw bit patterns and value slots.

Raw bits are unsigned ints of the type's width: i32/f32 -> 32 bits, i64/f64 -> 64,
funcref/externref -> pointer-sized (0 = null), v128 -> 128. Python values: ints
(i32/i64 results are signed), floats, `Func` or None for funcref, any object or None
for externref. A v128 goes in as an int (unsigned, or signed down to -2**127) or as 16
bytes (bytes/bytearray/memoryview, lane 0 first, i.e. little-endian), and always comes
out as an unsigned int: `v.to_bytes(16, "little")` gives the bytes back. A slot is 16
bytes, two little-endian u64 words, the value in the low bytes; buffers of slots are
handled as `uint64_t *`.
"""
from __future__ import annotations

import struct

from aot.model import ValType

MASK32 = (1 << 32) - 1
MASK64 = (1 << 64) - 1
MASK128 = (1 << 128) - 1

_WIDTH = {ValType.I32: 32, ValType.F32: 32, ValType.I64: 64, ValType.F64: 64,
          ValType.FUNCREF: 64, ValType.EXTERNREF: 64, ValType.V128: 128}

_pack_f, _unpack_f = struct.Struct("<f").pack, struct.Struct("<f").unpack
_pack_d, _unpack_d = struct.Struct("<d").pack, struct.Struct("<d").unpack
_pack_I, _unpack_I = struct.Struct("<I").pack, struct.Struct("<I").unpack
_pack_Q, _unpack_Q = struct.Struct("<Q").pack, struct.Struct("<Q").unpack


def mask(t: ValType, bits: int) -> int:
    """`bits` cut to the width of `t` (so negative ints become their two's complement)."""
    return bits & ((1 << _WIDTH[t]) - 1)


def f32_bits(x: float) -> int:
    try:
        return _unpack_I(_pack_f(x))[0]
    except OverflowError:  # finite but beyond the f32 range: rounds to infinity
        return 0x7F800000 if x > 0 else 0xFF800000


def f64_bits(x: float) -> int:
    return _unpack_Q(_pack_d(x))[0]


def _checked_int(t: ValType, lo: int, hi: int, width_mask: int):
    def enc(v) -> int:
        if not isinstance(v, int):
            raise TypeError(f"expected an int for {t.text}, got {type(v).__name__}")
        if not lo <= v <= hi:
            raise ValueError(f"{v} is out of range for {t.text}")
        return v & width_mask
    return enc


def _v128(v) -> int:
    if isinstance(v, (bytes, bytearray, memoryview)):
        data = bytes(v)
        if len(data) != 16:
            raise ValueError(f"a v128 needs 16 bytes, got {len(data)}")
        return int.from_bytes(data, "little")
    return _v128_int(v)


_v128_int = _checked_int(ValType.V128, -(1 << 127), MASK128, MASK128)


def _float(t: ValType, to_bits):
    def enc(v) -> int:
        if not isinstance(v, (int, float)):
            raise TypeError(f"expected a float for {t.text}, got {type(v).__name__}")
        return to_bits(float(v))
    return enc


_ENCODERS = {
    ValType.I32: _checked_int(ValType.I32, -(1 << 31), MASK32, MASK32),
    ValType.I64: _checked_int(ValType.I64, -(1 << 63), MASK64, MASK64),
    ValType.V128: _v128,
    ValType.F32: _float(ValType.F32, f32_bits),
    ValType.F64: _float(ValType.F64, f64_bits),
}

_DECODERS = {
    ValType.I32: lambda b: b - (1 << 32) if b & 0x80000000 else b,
    ValType.I64: lambda b: b - (1 << 64) if b >> 63 else b,
    ValType.F32: lambda b: _unpack_f(_pack_I(b))[0],
    ValType.F64: lambda b: _unpack_d(_pack_Q(b))[0],
    ValType.V128: lambda b: b,
}


def num_encoder(t: ValType):
    """A function: Python value of numeric or v128 type `t` -> its bits (checked)."""
    return _ENCODERS[t]


def num_decoder(t: ValType):
    """A function: bits of `t` (already cut to its width) -> Python value."""
    return _DECODERS[t]


def num_to_bits(t: ValType, v) -> int:
    return _ENCODERS[t](v)


def bits_to_num(t: ValType, bits: int):
    return _DECODERS[t](mask(t, bits))


def write_slot(words, index: int, t: ValType, bits: int) -> None:
    """Store raw bits into slot `index` of a `uint64_t *` slot buffer."""
    words[2 * index] = bits & MASK64
    words[2 * index + 1] = (bits >> 64) & MASK64 if t is ValType.V128 else 0


def read_slot(words, index: int, t: ValType) -> int:
    """The raw bits of type `t` in slot `index` of a `uint64_t *` slot buffer."""
    if t is ValType.V128:
        return words[2 * index] | (words[2 * index + 1] << 64)
    return words[2 * index] & ((1 << _WIDTH[t]) - 1)
