"""Bounds-checked access to the linear memory of the instance calling a WASI function.

Every pointer and length a guest passes is checked against the memory's current
size before it is used; a bad one ends the call with EFAULT (never a Python error
or a host crash). Data moves through zero-copy memoryview slices of the memory.

The view of the memory is kept between calls and taken again only when the memory's
size changed: a 'bounds' memory only moves when it grows, and then its size changes
too. No slice outlives the WASI call that made it (nothing here calls back into Wasm,
so the memory cannot grow during a call).
"""
from __future__ import annotations

import struct

from ._abi import IOVEC_SIZE, U32, U64, Errno
from ._errors import Fail, WasiError

IOV_MAX = 1024  # as the host's readv/writev: more iovecs in one call is EINVAL

_FAULT = int(Errno.FAULT)
_u32_pack = U32.pack_into
_u64_pack = U64.pack_into


class GuestMemory:
    """The memory view of the caller, cached until the memory changes size."""

    __slots__ = ("_mem", "_native", "_len", "_view")

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Drop the cached memory (it stays alive while cached)."""
        self._mem = self._native = None
        self._len = -1
        self._view = memoryview(b"")

    def view(self, caller) -> memoryview:
        mem = caller.memory
        # The hot path: same memory, same size. (The native VMMemory's length is read
        # directly: this runs on every call.)
        if mem is self._mem and self._native.length == self._len:
            return self._view
        if mem is None:
            raise WasiError(f"{caller.instance!r} has no memory: WASI functions need the "
                            "module to export its memory as 'memory'")
        self._native = mem._ptr
        self._view = mem.view()
        self._len = len(self._view)
        self._mem = mem
        return self._view


def span(view: memoryview, ptr: int, n: int) -> memoryview:
    """The `n` bytes at `ptr` (EFAULT when any is outside the memory)."""
    if ptr + n > len(view):
        raise Fail(_FAULT)
    return view[ptr:ptr + n]


def read_bytes(view: memoryview, ptr: int, n: int) -> bytes:
    if ptr + n > len(view):
        raise Fail(_FAULT)
    return bytes(view[ptr:ptr + n])


def put_u32(view: memoryview, ptr: int, value: int) -> None:
    if ptr + 4 > len(view):
        raise Fail(_FAULT)
    _u32_pack(view, ptr, value)


def put_u64(view: memoryview, ptr: int, value: int) -> None:
    if ptr + 8 > len(view):
        raise Fail(_FAULT)
    _u64_pack(view, ptr, value)


def put(layout: struct.Struct, view: memoryview, ptr: int, *values) -> None:
    if ptr + layout.size > len(view):
        raise Fail(_FAULT)
    layout.pack_into(view, ptr, *values)


def get(layout: struct.Struct, view: memoryview, ptr: int) -> tuple:
    if ptr + layout.size > len(view):
        raise Fail(_FAULT)
    return layout.unpack_from(view, ptr)


def iovecs(view: memoryview, iovs: int, count: int) -> list[memoryview]:
    """The buffers of an iovec array (`count` pairs of u32 pointer, u32 length)."""
    if count > IOV_MAX:
        raise Fail(int(Errno.INVAL))
    size = len(view)
    if iovs + IOVEC_SIZE * count > size:
        raise Fail(_FAULT)
    if count == 1:  # the common case (fwrite of one buffer, read)
        p, n = struct.unpack_from("<II", view, iovs)
        if p + n > size:
            raise Fail(_FAULT)
        return [view[p:p + n]]
    pairs = struct.unpack_from(f"<{2 * count}I", view, iovs)
    bufs = []
    for i in range(0, 2 * count, 2):
        p, n = pairs[i], pairs[i + 1]
        if p + n > size:
            raise Fail(_FAULT)
        bufs.append(view[p:p + n])
    return bufs
