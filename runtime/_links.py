"""The lifetime rule: objects that can reach each other's native state keep each other alive.

Compiled code holds raw pointers: a table may hold funcrefs into another instance's
vmctx, an instance reads the memories, tables and globals it imported, a global may
hold a funcref. None of that is visible to Python's garbage collector, so the runtime
mirrors every such edge with a *bidirectional* strong reference between the two
Python objects (`link`):

- an instance and every object it imports (Func, Memory, Table, Global);
- an instance and every object it defines and hands out (its Memory, Table, Global
  objects; its exported Funcs reference it);
- a Table or Global and any Func stored into it from Python;
- an instance and any Func passed to one of its functions as an argument.

So a linked group lives as long as any member is reachable, and dies as a whole;
each member frees its native state with a `weakref.finalize` that does not refer to
the member itself. Externref values (arbitrary Python objects) are held by the
objects that received them (`runtime._refs.hold_extern`) under the same rule.
"""
from __future__ import annotations

import weakref


def link(a: object, b: object) -> None:
    """Keep `a` and `b` alive as long as either is reachable."""
    if a is None or b is None or a is b:
        return
    a._links.add(b)  # type: ignore[attr-defined]
    b._links.add(a)  # type: ignore[attr-defined]


def native_finalizer(obj: object, fn, *args) -> None:
    """Run `fn(*args)` to free native state when `obj` dies, but not at interpreter exit:
    a daemon thread may still be running Wasm code that uses it then, and the process is
    about to release everything anyway."""
    weakref.finalize(obj, fn, *args).atexit = False
