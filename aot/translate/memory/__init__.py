"""Memory strategies: the only place that decides how a linear-memory address is checked."""
from __future__ import annotations

from aot.abi import MemoryStrategy
from aot.errors import CompileError

from .base import MemoryAccess
from .bounds import BoundsMemory
from .guard import GuardMemory

STRATEGIES: dict[MemoryStrategy, type[MemoryAccess]] = {
    MemoryStrategy.GUARD: GuardMemory,
    MemoryStrategy.BOUNDS: BoundsMemory,
}


def memory_access(strategy: MemoryStrategy | str, *, batch_checks: bool = True) -> MemoryAccess:
    """The implementation of `strategy`. `batch_checks`: let BOUNDS check accesses that
    share an address once per group (see batching.py), and let both strategies version
    simple counted loops (versioning.py); False gives the plain lowering."""
    try:
        cls = STRATEGIES[MemoryStrategy(strategy)]
    except (KeyError, ValueError):
        raise CompileError(f"unknown memory strategy {strategy!r}") from None
    return cls(batch_checks=batch_checks) if cls is BoundsMemory else cls(version_loops=batch_checks)


__all__ = ["MemoryAccess", "GuardMemory", "BoundsMemory", "STRATEGIES", "memory_access"]
