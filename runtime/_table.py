"""`Table`: a WebAssembly table of funcref or externref values (native part: VMTable)."""
from __future__ import annotations

import os
import weakref

from aot.model import Limits, TableType, ValType

from ._errors import GrowError, ResourceError
from ._func import from_bits, to_bits
from ._links import native_finalizer
from ._native_loader import ffi, lib
from ._refs import release_externs

MAX_ELEMENTS = 0xFFFFFFFF


class Table:
    """`Table(elem, min, max=None, init=None)`: `elem` is ValType.FUNCREF or EXTERNREF;
    `init` (a Func, any object for externref, or None) fills the initial elements."""

    def __init__(self, elem: ValType, min: int, max: int | None = None, init=None):
        if elem not in (ValType.FUNCREF, ValType.EXTERNREF):
            raise ValueError(f"a table holds funcref or externref, not {elem!r}")
        if not isinstance(min, int) or min < 0 or (max is not None and (not isinstance(max, int) or max < min)):
            raise ValueError(f"table limits invalid: min {min!r}, max {max!r}")
        if max is not None and max > MAX_ELEMENTS:
            raise ValueError(f"table limits invalid: max {max} is over 2^32-1")
        self._elem = elem
        self._max = max
        self._links: set = set()
        self._externs: set = set()
        weakref.finalize(self, release_externs, self._externs)
        bits = to_bits(elem, init, self)
        err = ffi.new("int *")
        ptr = lib.aot_table_new(elem.code, min, MAX_ELEMENTS if max is None else max, bits, err)
        if ptr == ffi.NULL:
            if err[0] == lib.AOT_ERR_LIMITS:
                raise ResourceError(f"table of {min} elements is larger than the runtime allows "
                                    f"({lib.AOT_TABLE_MAX_ELEMENTS})")
            raise ResourceError(f"could not allocate a table of {min} elements: "
                                f"{os.strerror(ffi.errno)}")
        self._ptr = ptr
        native_finalizer(self, lib.aot_table_free, ptr)

    @property
    def elem(self) -> ValType:
        return self._elem

    @property
    def max(self) -> int | None:
        return self._max

    @property
    def size(self) -> int:
        return self._ptr.length

    @property
    def type(self) -> TableType:
        """The table's type as import matching sees it: current size, declared max."""
        return TableType(self._elem, Limits(self.size, self._max))

    def _index(self, i: int) -> int:
        if not isinstance(i, int) or not 0 <= i < self._ptr.length:
            raise IndexError(f"table index {i!r} out of range (size {self._ptr.length})")
        return i

    def get(self, i: int):
        """Element `i`: a Func or None (funcref), the stored object or None (externref)."""
        return from_bits(self._elem, self._ptr.elements[self._index(i)])

    def set(self, i: int, value) -> None:
        self._ptr.elements[self._index(i)] = to_bits(self._elem, value, self)

    def grow(self, delta: int, init=None) -> int:
        """Grow by `delta` elements set to `init`; returns the old size (GrowError if not)."""
        if not isinstance(delta, int) or delta < 0:
            raise ValueError(f"grow by a non-negative number of elements, not {delta!r}")
        bits = to_bits(self._elem, init, self)
        old = lib.aot_table_grow(self._ptr, bits, delta) if delta <= MAX_ELEMENTS else -1
        if old < 0:
            raise GrowError(f"table cannot grow from {self.size} by {delta} elements "
                            f"(maximum {self._max if self._max is not None else lib.AOT_TABLE_MAX_ELEMENTS})")
        return old

    def set_limit(self, elements: int) -> None:
        """Cap the size `grow` (from Python or Wasm) may reach, below the declared maximum;
        a grow past it fails (-1 in Wasm, GrowError here). Never shrinks the table."""
        if not isinstance(elements, int) or elements < 0:
            raise ValueError(f"a table limit is a number of elements, not {elements!r}")
        declared = MAX_ELEMENTS if self._max is None else self._max
        self._ptr.max_elems = min(declared, elements)

    def __repr__(self) -> str:
        return f"<Table {self._elem.text} size {self.size}, max {self._max}>"
