"""A minimal Wasm binary writer for the embedding benchmarks' data-heavy module.

Only what `data_module` needs: types, functions, one memory, exports, code and active
data segments. C can't easily produce a module with a 1 MiB data segment (it would need
a generated 5 MB initializer), so we write this one module directly.
"""
from __future__ import annotations

I32 = 0x7F
_FUNC, _MEMORY = 0x00, 0x02


def uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        done = (n == 0 and not b & 0x40) or (n == -1 and b & 0x40)
        out.append(b | (0 if done else 0x80))
        if done:
            return bytes(out)


def _vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def _name(s: str) -> bytes:
    raw = s.encode()
    return uleb(len(raw)) + raw


def _section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + uleb(len(payload)) + payload


def data_module(size: int = 1 << 20, seed: int = 1) -> bytes:
    """A module whose memory is initialised by one active data segment of `size` bytes.

    Exports `memory` and `probe(i32 addr) -> i32` (the byte at addr), so a runner can
    check that instantiation really copied the data.
    """
    pages = size // 65536 + 1
    payload = bytearray(size)
    x = seed
    for i in range(size):  # a cheap LCG: incompressible enough, same bytes every build
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        payload[i] = x >> 23
    probe_type = bytes([0x60]) + _vec([bytes([I32])]) + _vec([bytes([I32])])
    # probe: local.get 0; i32.load8_u align=0 offset=0; end
    body = _vec([]) + bytes([0x20, 0x00, 0x2D, 0x00, 0x00, 0x0B])
    segment = bytes([0x00, 0x41]) + sleb(0) + bytes([0x0B]) + uleb(size) + bytes(payload)
    return b"".join([
        b"\0asm", (1).to_bytes(4, "little"),
        _section(1, _vec([probe_type])),
        _section(3, _vec([uleb(0)])),
        _section(5, _vec([bytes([0x00]) + uleb(pages)])),
        _section(7, _vec([_name("memory") + bytes([_MEMORY]) + uleb(0),
                          _name("probe") + bytes([_FUNC]) + uleb(0)])),
        _section(10, _vec([uleb(len(body)) + body])),
        _section(11, _vec([segment])),
    ])


def data_module_byte(addr: int, seed: int = 1) -> int:
    """The byte `data_module(seed=seed)` puts at `addr`, to check a probe."""
    x = seed
    for _ in range(addr + 1):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x >> 23
