"""Canonical function-type ids, interned process-wide, and who can call each type.

A `VMFuncRef.type_id` is the canonical id of the function's signature; call_indirect
compares it with the id the caller's vmctx holds for the expected type. Ids start at 1
(0 never matches anything) and are never reused.
"""
from __future__ import annotations

import threading
import weakref

from aot.model import FuncType

_lock = threading.RLock()  # reentrant: a GC finalizer may need it while we hold it
_ids: dict[FuncType, int] = {}
_types: list[FuncType | None] = [None]
# type id -> [(weakref to a loaded Module, that module's type index)]: the modules whose
# trampolines and host adapters can call functions of that signature.
_providers: dict[int, list[tuple[weakref.ref, int]]] = {}


def type_id(ft: FuncType) -> int:
    """The canonical id of `ft` (the same for equal signatures in every module)."""
    with _lock:
        tid = _ids.get(ft)
        if tid is None:
            tid = len(_types)
            _ids[ft] = tid
            _types.append(ft)
        return tid


def functype(tid: int) -> FuncType | None:
    """The signature with canonical id `tid`, or None for an unknown id."""
    with _lock:
        return _types[tid] if 0 < tid < len(_types) else None


def register_module(module, types: list[FuncType]) -> None:
    """Record that `module` has a trampoline and a host adapter for each of `types`."""
    ref = weakref.ref(module)
    for index, ft in enumerate(types):
        tid = type_id(ft)
        with _lock:
            entries = [e for e in _providers.get(tid, []) if e[0]() is not None]
            entries.append((ref, index))
            _providers[tid] = entries


def provider(tid: int):
    """A live (module, type_index) able to call functions of type `tid`, or None."""
    with _lock:
        for ref, index in _providers.get(tid, []):
            module = ref()
            if module is not None:
                return module, index
    return None
