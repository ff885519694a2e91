"""A minimal PNG writer (8-bit RGB, no filtering): zlib and struct, nothing else."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode(width: int, height: int, rgb: bytes, level: int = 6) -> bytes:
    """The PNG file of a `width` x `height` image given as rows of RGB bytes, top first."""
    row = 3 * width
    if len(rgb) != row * height:
        raise ValueError(f"expected {row * height} bytes of RGB, got {len(rgb)}")
    view = memoryview(rgb)
    raw = b"".join(b"\x00" + view[y * row:(y + 1) * row] for y in range(height))  # filter 0
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, level)) + _chunk(b"IEND", b""))


def write(path: str | Path, width: int, height: int, rgb: bytes) -> Path:
    path = Path(path)
    path.write_bytes(encode(width, height, rgb))
    return path


def decode(data: bytes) -> tuple[int, int, bytes]:
    """Read back what `encode` writes (8-bit RGB, filter 0 rows only): (width, height, rgb)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, width = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, _ = struct.unpack(">IIBBBBB", body)
            if (depth, ctype) != (8, 2):
                raise ValueError("only 8-bit RGB is supported")
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    raw, row = zlib.decompress(b"".join(idat)), 3 * width
    if any(raw[y * (row + 1)] for y in range(height)):
        raise ValueError("only unfiltered rows are supported")
    return width, height, b"".join(raw[y * (row + 1) + 1:(y + 1) * (row + 1)] for y in range(height))
