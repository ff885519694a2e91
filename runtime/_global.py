"""`Global`: a WebAssembly global variable (16 bytes of storage, value in the low bytes)."""
from __future__ import annotations

import weakref

from aot.model import GlobalType

from ._func import from_bits, to_bits
from ._links import link, native_finalizer
from ._native_loader import ffi, lib
from ._refs import release_externs
from ._values import read_slot, write_slot


class Global:
    """`Global(GlobalType, value)`; `.value` reads it, assigning it needs a mutable global."""

    def __init__(self, type: GlobalType, value):
        if not isinstance(type, GlobalType):
            raise TypeError("Global needs an aot.model.GlobalType")
        storage = lib.aot_alloc(16)
        if storage == ffi.NULL:
            raise MemoryError("could not allocate a global")
        native_finalizer(self, lib.aot_free, storage)
        self._init(type, ffi.cast("uint64_t *", storage))
        write_slot(self._slot, 0, type.valtype, to_bits(type.valtype, value, self))

    def _init(self, gt: GlobalType, slot) -> None:
        self._type = gt
        self._slot = slot
        self._links: set = set()
        self._externs: set = set()
        weakref.finalize(self, release_externs, self._externs)

    @classmethod
    def _at(cls, gt: GlobalType, slot, owner) -> "Global":
        """A global whose storage lives in `owner`'s vmctx."""
        g = cls.__new__(cls)
        g._init(gt, slot)
        link(g, owner)
        return g

    @property
    def type(self) -> GlobalType:
        return self._type

    @property
    def value(self):
        return from_bits(self._type.valtype, read_slot(self._slot, 0, self._type.valtype))

    @value.setter
    def value(self, v) -> None:
        if not self._type.mutable:
            raise AttributeError("cannot set an immutable global")
        write_slot(self._slot, 0, self._type.valtype, to_bits(self._type.valtype, v, self))

    def _address(self) -> int:
        return int(ffi.cast("uintptr_t", self._slot))

    def __repr__(self) -> str:
        mut = "mut " if self._type.mutable else ""
        return f"<Global {mut}{self._type.valtype.text} = {self.value!r}>"
