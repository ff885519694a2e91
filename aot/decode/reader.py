"""Bounded reading of the WebAssembly binary format: LEB128 integers, bytes, names.

Two layers:
- plain functions `read_u32(data, pos, end) -> (value, new_pos)` etc., used by the
  tight instruction loop (which inlines the one-byte fast path and calls these for the rest);
- `Reader`, a cursor over `data[pos:end]` for section-level structures.

Every failure raises `DecodeError` with the byte offset; nothing here lets an
IndexError, UnicodeDecodeError or struct.error escape. Messages follow the spec
test suite's wording where it has one ("unexpected end", "integer too large", ...).
"""
from __future__ import annotations

from ..errors import DecodeError

UNEXPECTED_END = "unexpected end of section or function"
TOO_LONG = "integer representation too long"
TOO_LARGE = "integer too large"


def read_u32(data: bytes, p: int, end: int) -> tuple[int, int]:
    """Unsigned LEB128, at most 5 bytes; the 5th may only use its low 4 bits."""
    result = 0
    shift = 0
    start = p
    while True:
        if p >= end:
            raise DecodeError(UNEXPECTED_END, p)
        b = data[p]
        p += 1
        if shift == 28:
            if b & 0x80:
                raise DecodeError(TOO_LONG, start)
            if b & 0x70:
                raise DecodeError(TOO_LARGE, start)
            return result | (b << 28), p
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, p
        shift += 7


def read_u64(data: bytes, p: int, end: int) -> tuple[int, int]:
    """Unsigned LEB128, at most 10 bytes; the 10th may only use its lowest bit."""
    result = 0
    shift = 0
    start = p
    while True:
        if p >= end:
            raise DecodeError(UNEXPECTED_END, p)
        b = data[p]
        p += 1
        if shift == 63:
            if b & 0x80:
                raise DecodeError(TOO_LONG, start)
            if b & 0x7E:
                raise DecodeError(TOO_LARGE, start)
            return result | (b << 63), p
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, p
        shift += 7


def _read_signed(data: bytes, p: int, end: int, bits: int) -> tuple[int, int]:
    """Signed LEB128 of `bits` bits (32, 33 or 64).

    The last permitted byte carries `bits - 7*(n-1)` value bits; its remaining
    payload bits must all equal the sign bit (they are sign extension), otherwise the
    value does not fit: "integer too large".
    """
    max_bytes = (bits + 6) // 7
    last_shift = 7 * (max_bytes - 1)
    used = bits - last_shift  # value bits in the last byte, sign bit included
    # mask of the payload bits from the sign bit up: all-zero or all-one is allowed
    ext_mask = (0x7F >> (used - 1)) << (used - 1)
    result = 0
    shift = 0
    start = p
    while True:
        if p >= end:
            raise DecodeError(UNEXPECTED_END, p)
        b = data[p]
        p += 1
        if shift == last_shift:
            if b & 0x80:
                raise DecodeError(TOO_LONG, start)
            ext = b & ext_mask
            if ext != 0 and ext != ext_mask:
                raise DecodeError(TOO_LARGE, start)
            result |= (b & 0x7F) << shift
            shift += 7
            break
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            break
    if b & 0x40:
        result -= 1 << shift
    return result, p


def read_s32(data: bytes, p: int, end: int) -> tuple[int, int]:
    """Signed 32-bit LEB128 (at most 5 bytes)."""
    return _read_signed(data, p, end, 32)


def read_s33(data: bytes, p: int, end: int) -> tuple[int, int]:
    """Signed 33-bit LEB128 (block types' type index form)."""
    return _read_signed(data, p, end, 33)


def read_s64(data: bytes, p: int, end: int) -> tuple[int, int]:
    """Signed 64-bit LEB128 (at most 10 bytes)."""
    return _read_signed(data, p, end, 64)


def decode_name(raw: bytes, offset: int) -> str:
    """Strict UTF-8 (no surrogates, no overlong forms), as names require."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DecodeError("malformed UTF-8 encoding", offset) from None


class Reader:
    """A cursor over `data[pos:end]` that never reads outside that window."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def error(self, message: str, offset: int | None = None) -> DecodeError:
        """A DecodeError at `offset` (default: the current position)."""
        return DecodeError(message, self.pos if offset is None else offset)

    def at_end(self) -> bool:
        return self.pos >= self.end

    def remaining(self) -> int:
        return self.end - self.pos

    def byte(self) -> int:
        p = self.pos
        if p >= self.end:
            raise DecodeError(UNEXPECTED_END, p)
        self.pos = p + 1
        return self.data[p]

    def peek(self) -> int:
        if self.pos >= self.end:
            raise DecodeError(UNEXPECTED_END, self.pos)
        return self.data[self.pos]

    def bytes(self, n: int) -> bytes:
        p = self.pos
        if n > self.end - p:
            raise DecodeError(UNEXPECTED_END, p)
        self.pos = p + n
        return self.data[p:p + n]

    def u32(self) -> int:
        p = self.pos
        if p < self.end:
            b = self.data[p]
            if b < 0x80:
                self.pos = p + 1
                return b
        v, self.pos = read_u32(self.data, p, self.end)
        return v

    def u64(self) -> int:
        v, self.pos = read_u64(self.data, self.pos, self.end)
        return v

    def s32(self) -> int:
        v, self.pos = read_s32(self.data, self.pos, self.end)
        return v

    def s64(self) -> int:
        v, self.pos = read_s64(self.data, self.pos, self.end)
        return v

    def count(self, min_item_size: int = 1) -> int:
        """A vector length, refused when the remaining bytes cannot hold that many items.

        Checked before anything is allocated, so a count of 2**32-1 costs nothing.
        """
        start = self.pos
        n = self.u32()
        if n * min_item_size > self.end - self.pos:
            raise DecodeError(UNEXPECTED_END, start)
        return n

    def name(self) -> str:
        n = self.u32()
        start = self.pos
        if n > self.end - start:
            # the spec suite calls this "length out of bounds" or "unexpected end";
            # both mean the same here
            raise DecodeError("length out of bounds", start)
        return decode_name(self.bytes(n), start)

    def sub(self, size: int) -> "Reader":
        """A reader over the next `size` bytes; this reader skips past them."""
        p = self.pos
        if size > self.end - p:
            raise DecodeError("length out of bounds", p)
        self.pos = p + size
        return Reader(self.data, p, p + size)
