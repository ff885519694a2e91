"""Reference values: which Python object a funcref pointer or externref handle stands for.

funcref: a pointer to a VMFuncRef. Instances register the address of every funcref slot
in their vmctx (and host functions the VMFuncRef they own), so a pointer read back from
Wasm (a result, a table element, a global) maps to the right `Func`.

externref: any Python object; Wasm sees an opaque non-zero handle (the object's id).
While some holder (an instance, table or global that received it) still exists, the
object is kept alive, so its id cannot be reused for another object. `None` is null.
"""
from __future__ import annotations

import threading
import weakref

_lock = threading.RLock()  # reentrant: a GC finalizer may need it while we hold it

# funcref address -> (weakref to owner, func index or None for a host function's own ref)
_funcrefs: dict[int, tuple[weakref.ref, int | None]] = {}


def register_funcrefs(owner: object, entries: list[tuple[int, int | None]]) -> None:
    """Map each (address, func_index) to `owner` (an Instance, or a Func for index None)."""
    ref = weakref.ref(owner)
    with _lock:
        for addr, index in entries:
            _funcrefs[addr] = (ref, index)


def unregister_funcrefs(addresses: list[int]) -> None:
    """Forget addresses whose owner is gone (called from the owner's finalizer)."""
    with _lock:
        for addr in addresses:
            entry = _funcrefs.get(addr)
            # A newer owner may already have the same address (memory reuse): keep its entry.
            if entry is not None and entry[0]() is None:
                del _funcrefs[addr]


def funcref_owner(addr: int):
    """(owner, func_index) for a registered funcref address, or None."""
    with _lock:
        entry = _funcrefs.get(addr)
    if entry is None:
        return None
    owner = entry[0]()
    return None if owner is None else (owner, entry[1])


# externref handle -> [object, number of holders]
_externs: dict[int, list] = {}


def hold_extern(obj: object, held: set[int]) -> int:
    """The handle of `obj` (0 for None), kept alive by the holder whose set is `held`."""
    if obj is None:
        return 0
    handle = id(obj)
    with _lock:
        if handle in held:
            return handle
        entry = _externs.get(handle)
        if entry is None:
            _externs[handle] = [obj, 1]
        else:
            entry[1] += 1
        held.add(handle)
    return handle


def release_externs(held: set[int]) -> None:
    """Drop a holder's references (its finalizer calls this)."""
    with _lock:
        for handle in held:
            entry = _externs.get(handle)
            if entry is not None:
                entry[1] -= 1
                if entry[1] <= 0:
                    del _externs[handle]
        held.clear()


def extern_object(handle: int):
    """The object for a handle; None for null. A handle the runtime never gave out (e.g.
    one passed with `Func.call_raw`) comes back as the raw int."""
    if handle == 0:
        return None
    with _lock:
        entry = _externs.get(handle)
    return handle if entry is None else entry[0]
