"""A diagnostic build: every linear-memory access and global store emitted `volatile`.

LLVM does not know that a guard access may fault: left alone it deletes an
out-of-bounds load whose value is dead, and moves or deletes stores around an access
that faults. The guard strategy keeps loads alive and fences faulting accesses with
barriers (aot/translate/memory/guard.py); volatile accesses are exactly the ones LLVM
must keep, in order. So a guard-only mismatch that disappears when the same module is
compiled this way points at a missing barrier; one that persists is some other bug.
`diff.check_module` adds which of the two it is to a guard finding.

Global stores are included because LLVM may equally sink or delete a `global.set`
across a faulting load. This patches the translator's memory (scalar and SIMD) and
variable operators for the duration of a `with` block, in the current (worker) process only, and such builds must use a cache directory of their
own: the compile cache key does not know about the patch.
"""
from __future__ import annotations

import contextlib
import threading

from llvmlite import ir

from aot.translate.irutils import volatile_load

_lock = threading.Lock()


class _VolatileStore(ir.StoreInstr):
    """`store volatile`."""

    def descr(self, buf):
        val, ptr = self.operands
        align = f", align {self.align}" if self.align is not None else ""
        md = self._stringify_metadata(leading_comma=True)
        buf.append(f"store volatile {val.type} {val.get_reference()}, ptr {ptr.get_reference()}"
                   f"{align}{md}\n")


def _load(builder, ty, ptr, tbaa, *, invariant=None, align=None):
    v = volatile_load(builder, ty, ptr, align if align is not None else 1)
    v.set_metadata("tbaa", tbaa)
    return v


def _store(builder, value, ptr, tbaa, align=None):
    s = _VolatileStore(builder.block, value, ptr)
    s.align = align
    builder._insert(s)
    s.set_metadata("tbaa", tbaa)
    return s


def _strategy_load(self, cx, ty, ptr):
    """MemoryAccess.load (every strategy's linear-memory load), volatile."""
    return _load(cx.builder, ty, ptr, cx.md.linear_memory, align=1)


def _strategy_store(self, cx, value, ptr):
    """MemoryAccess.store (every strategy's linear-memory store), volatile."""
    _store(cx.builder, value, ptr, cx.md.linear_memory, align=1)


# (translator module, {attribute or Class.method: what replaces it}); the memory ops get
# their loads and stores from the strategy's `load` and `store`
_PATCHES = (
    ("aot.translate.ops.variables", {"store": _store}),  # global.set
    ("aot.translate.memory.base", {"MemoryAccess.load": _strategy_load,
                                   "MemoryAccess.store": _strategy_store}),
    ("aot.translate.memory.guard", {"GuardMemory.load": _strategy_load,
                                    "GuardMemory.store": _strategy_store}),
)


@contextlib.contextmanager
def volatile_memory_accesses():
    """Within the block, compiles emit linear-memory loads and stores (scalar and SIMD),
    and global stores, as volatile."""
    import importlib

    with _lock:
        saved = []
        try:
            for name, repl in _PATCHES:
                module = importlib.import_module(name)
                for path, fn in repl.items():
                    *owner_path, attr = path.split(".")
                    owner = module
                    for part in owner_path:
                        owner = getattr(owner, part)
                    saved.append((owner, attr, owner.__dict__[attr] if isinstance(owner, type)
                                  else getattr(owner, attr)))
                    setattr(owner, attr, fn)
            yield
        finally:
            for owner, attr, old in reversed(saved):
                setattr(owner, attr, old)
