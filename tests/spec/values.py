"""Encoding of spec-test values to raw bits, and matching of results against expectations.

The JSON produced by `wasm-tools json-from-wast` writes every value as a decimal string
of its bit pattern (`{"type": "f32", "value": "2143289344"}`), a NaN pattern
(`"nan:canonical"`, `"nan:arithmetic"`), or, for references, `"null"` / a number.
The runtime's `call_raw` speaks raw unsigned bits, so no float conversion ever happens
here and NaN payloads are compared exactly.
"""
from __future__ import annotations

import struct

# Bit width of each scalar type, and of each v128 lane type.
_WIDTH = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}

# (exponent-and-quiet-bit mask, value that mask must give) per float width.
_QUIET_NAN = {32: 0x7FC0_0000, 64: 0x7FF8_0000_0000_0000}
_SIGN = {32: 0x8000_0000, 64: 0x8000_0000_0000_0000}

NAN_PATTERNS = ("nan:canonical", "nan:arithmetic")


class UnsupportedValue(Exception):
    """A value the harness cannot express as bits (e.g. a non-null funcref argument)."""


def _mask(width: int) -> int:
    return (1 << width) - 1


def is_canonical_nan(bits: int, width: int) -> bool:
    """Exponent all ones and only the quiet bit set in the mantissa; either sign."""
    return bits & ~_SIGN[width] & _mask(width) == _QUIET_NAN[width]


def is_arithmetic_nan(bits: int, width: int) -> bool:
    """Exponent all ones and the quiet bit set; any other payload bits, either sign."""
    return bits & _QUIET_NAN[width] == _QUIET_NAN[width]


def _scalar_bits(text: str, width: int) -> int:
    # The converter writes unsigned decimals; masking also accepts a signed spelling.
    return int(text, 10) & _mask(width)


def _v128_lanes(value: dict) -> tuple[int, list[str]]:
    lane_width = _WIDTH[value["lane_type"]]
    lanes = list(value["value"])
    if lane_width * len(lanes) != 128:
        raise UnsupportedValue(f"v128 with {len(lanes)} lanes of {value['lane_type']}")
    return lane_width, lanes


def encode(value: dict) -> int:
    """Bits to pass to `call_raw` for one JSON argument.

    externref N is passed as N + 1 so that `ref.extern 0` is distinguishable from null.
    """
    t = value["type"]
    v = value.get("value")
    if t in ("i32", "i64", "f32", "f64"):
        return _scalar_bits(v, _WIDTH[t])
    if t in ("externref", "funcref"):
        if v == "null":
            return 0
        if t == "externref" and v is not None:
            return int(v) + 1
        raise UnsupportedValue(f"cannot pass a non-null {t} argument ({v!r})")
    if t == "v128":
        lane_width, lanes = _v128_lanes(value)
        bits = 0
        for i, lane in enumerate(lanes):  # lane 0 is the least significant (little-endian)
            bits |= _scalar_bits(lane, lane_width) << (i * lane_width)
        return bits
    raise UnsupportedValue(f"unknown value type {t!r}")


def _match_scalar(text: str, bits: int, width: int, is_float: bool) -> bool:
    if is_float and text == "nan:canonical":
        return is_canonical_nan(bits, width)
    if is_float and text == "nan:arithmetic":
        return is_arithmetic_nan(bits, width)
    return bits == _scalar_bits(text, width)


def matches(expected: dict, bits: int) -> bool:
    """True if the raw result `bits` satisfies one JSON expectation."""
    t = expected["type"]
    v = expected.get("value")
    if t in ("i32", "i64", "f32", "f64"):
        return _match_scalar(v, bits & _mask(_WIDTH[t]), _WIDTH[t], t[0] == "f") and bits >> _WIDTH[t] == 0
    if t in ("externref", "funcref"):
        if v == "null":
            return bits == 0
        if v is None:  # `(ref.func)` / `(ref.extern)` without a value: any non-null reference
            return bits != 0
        if t == "externref":
            return bits == int(v) + 1
        raise UnsupportedValue(f"cannot compare a funcref with {v!r}")
    if t == "v128":
        lane_width, lanes = _v128_lanes(expected)
        is_float = expected["lane_type"][0] == "f"
        return bits >> 128 == 0 and all(
            _match_scalar(lane, (bits >> (i * lane_width)) & _mask(lane_width), lane_width, is_float)
            for i, lane in enumerate(lanes)
        )
    raise UnsupportedValue(f"unknown expected type {t!r}")


def bits_from_python(valtype: str, value) -> int:
    """Bits of a Python value as a runtime returns it (e.g. `Global.value`).

    Integers may come back signed; floats as Python floats (f32 via a float32 pack, which
    keeps NaN payloads on every platform we target); references as ints or None; v128 as
    an int or 16 bytes.
    """
    if valtype in ("i32", "i64"):
        return int(value) & _mask(_WIDTH[valtype])
    if valtype == "f32":
        return struct.unpack("<I", struct.pack("<f", value))[0] if isinstance(value, float) else int(value)
    if valtype == "f64":
        return struct.unpack("<Q", struct.pack("<d", value))[0] if isinstance(value, float) else int(value)
    if valtype in ("externref", "funcref"):
        return 0 if value is None else int(value)
    if valtype == "v128":  # an unsigned int, or 16 bytes with lane 0 first
        if isinstance(value, (bytes, bytearray)):
            return int.from_bytes(value, "little")
        return int(value) & _mask(128)
    raise UnsupportedValue(f"cannot read a {valtype} value")


def describe(value: dict) -> str:
    """Short text of a JSON value for messages: `i32:4294967295`, `f32:nan:canonical`."""
    v = value.get("value")
    if isinstance(v, list):
        v = "[" + " ".join(v) + "]"
        return f"v128({value['lane_type']}):{v}"
    return f"{value['type']}:{'<non-null>' if v is None else v}"


def describe_bits(valtype: str, bits: int) -> str:
    """Text of a raw result for messages, with a float reading for f32/f64."""
    if valtype == "f32":
        return f"f32:{bits} ({struct.unpack('<f', struct.pack('<I', bits & 0xFFFFFFFF))[0]!r}, {bits:#010x})"
    if valtype == "f64":
        return f"f64:{bits} ({struct.unpack('<d', struct.pack('<Q', bits & _mask(64)))[0]!r}, {bits:#018x})"
    if valtype == "externref" and bits:
        return f"externref:{bits - 1}"
    if valtype == "v128":  # the bytes, lane 0 first, so any lane type can be read off
        return f"v128:{bits.to_bytes(16, 'little').hex(' ')}" if 0 <= bits < 1 << 128 else f"v128:{bits}"
    return f"{valtype}:{bits}"
