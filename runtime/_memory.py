"""`Memory`: a WebAssembly linear memory (its native part is a VMMemory)."""
from __future__ import annotations

import os

from aot.abi import WASM_PAGE_SIZE, MemoryStrategy
from aot.model import Limits, MemoryType

from ._errors import GrowError, ResourceError
from ._exclusive import Exclusive
from ._links import native_finalizer
from ._native_loader import ffi, lib

MAX_PAGES = 65536

_STRATEGY_CODE = {MemoryStrategy.GUARD: lib.AOT_STRATEGY_GUARD,
                  MemoryStrategy.BOUNDS: lib.AOT_STRATEGY_BOUNDS}


def _strategy(s) -> MemoryStrategy:
    try:
        return MemoryStrategy(s.value if isinstance(s, MemoryStrategy) else s)
    except ValueError:
        raise ValueError(f"unknown memory strategy {s!r}: use 'guard' or 'bounds'") from None


def _creation_error(code: int, strategy: MemoryStrategy, min_pages: int) -> Exception:
    errno = ffi.errno
    if code == lib.AOT_ERR_LIMITS:
        return ValueError(f"memory limits invalid: min {min_pages} pages must be <= max and <= {MAX_PAGES}")
    if code == lib.AOT_ERR_REGISTRY_FULL:
        return ResourceError(
            f"too many guard memories at once (the runtime tracks {lib.AOT_MAX_GUARD_MEMORIES}); "
            "free unused instances or compile with memory='bounds'")
    if code == lib.AOT_ERR_ADDRESS_SPACE:
        if strategy is MemoryStrategy.GUARD:
            return ResourceError(
                "could not reserve 8 GiB of address space for a guard memory (the address space "
                "or its limit, e.g. `ulimit -v`, is exhausted); free unused instances or compile "
                "the module with memory='bounds', which reserves only what it uses")
        return ResourceError(f"out of memory allocating {min_pages} pages of linear memory")
    return ResourceError(f"creating a memory failed: {os.strerror(errno)}")


class Memory:
    """A linear memory of 64 KiB pages.

    `Memory(min, max=None, *, strategy="guard")` creates one for importing; a module
    can only import a memory of the strategy it was compiled for. `view()` is a
    zero-copy memoryview: for a 'bounds' memory it becomes invalid (dangling) when
    the memory grows, because the base may move; take a new view after any grow.
    """

    def __init__(self, min: int, max: int | None = None, *, strategy: str | MemoryStrategy = "guard"):
        self._strategy = _strategy(strategy)
        if not isinstance(min, int) or min < 0 or (max is not None and (not isinstance(max, int) or max < min)):
            raise ValueError(f"memory limits invalid: min {min!r}, max {max!r}")
        if min > MAX_PAGES or (max is not None and max > MAX_PAGES):
            raise ValueError(f"memory limits invalid: at most {MAX_PAGES} pages (4 GiB)")
        err = ffi.new("int *")
        ptr = lib.aot_memory_new(_STRATEGY_CODE[self._strategy], min,
                                 MAX_PAGES if max is None else max, err)
        if ptr == ffi.NULL:
            raise _creation_error(err[0], self._strategy, min)
        self._ptr = ptr
        self._max = max
        # bounds memories have one user thread at a time (runtime._exclusive)
        self._exclusive = (Exclusive(f"a bounds memory of {min} pages") if
                           self._strategy is MemoryStrategy.BOUNDS else None)
        self._links: set = set()
        self._externs: set = set()
        native_finalizer(self, lib.aot_memory_free, ptr)

    @property
    def strategy(self) -> MemoryStrategy:
        return self._strategy

    @property
    def size(self) -> int:
        """Current size in pages."""
        return self._ptr.length // WASM_PAGE_SIZE

    @property
    def data_len(self) -> int:
        """Current size in bytes."""
        return self._ptr.length

    @property
    def max(self) -> int | None:
        return self._max

    @property
    def type(self) -> MemoryType:
        """The memory's type as import matching sees it: current size, declared max."""
        return MemoryType(Limits(self.size, self._max))

    def grow(self, delta: int) -> int:
        """Grow by `delta` pages; returns the old size. Raises GrowError past the maximum."""
        if not isinstance(delta, int) or delta < 0:
            raise ValueError(f"grow by a non-negative number of pages, not {delta!r}")
        x = self._exclusive
        if x is not None:
            x.enter()
        try:
            old = lib.aot_memory_grow(self._ptr, delta) if delta <= MAX_PAGES else -1
        finally:
            if x is not None:
                x.exit()
        if old < 0:
            limit = MAX_PAGES if self._max is None else self._max
            raise GrowError(f"memory cannot grow from {self.size} by {delta} pages "
                            f"(maximum {limit} pages, or out of memory)")
        return old

    def set_limit(self, pages: int) -> None:
        """Cap how far this memory may grow (memory.grow then returns -1 past it)."""
        lib.aot_memory_set_limit(self._ptr, pages)

    def _check(self, offset: int, n: int) -> None:
        if offset < 0 or n < 0 or offset + n > self._ptr.length:
            raise IndexError(f"memory access [{offset}, {offset + n}) is outside the memory "
                             f"of {self._ptr.length} bytes")

    def read(self, offset: int, n: int) -> bytes:
        """Copy `n` bytes starting at `offset`."""
        self._check(offset, n)
        x = self._exclusive
        if x is None:
            return ffi.buffer(self._ptr.base + offset, n)[:] if n else b""
        x.enter()
        try:
            self._check(offset, n)
            return ffi.buffer(self._ptr.base + offset, n)[:] if n else b""
        finally:
            x.exit()

    def write(self, offset: int, data) -> None:
        """Copy `data` (bytes-like) into the memory at `offset`."""
        data = memoryview(data).cast("B")
        self._check(offset, len(data))
        x = self._exclusive
        if x is not None:
            x.enter()
        try:
            if len(data):
                ffi.memmove(self._ptr.base + offset, data, len(data))
        finally:
            if x is not None:
                x.exit()

    def view(self) -> memoryview:
        """A zero-copy view of the current contents (see the class note about grow)."""
        return memoryview(ffi.buffer(self._ptr.base, self._ptr.length))

    def __repr__(self) -> str:
        return f"<Memory {self.size} pages, max {self._max}, {self._strategy.value}>"
