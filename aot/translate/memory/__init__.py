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


def memory_access(strategy: MemoryStrategy | str) -> MemoryAccess:
    """The implementation of `strategy`."""
    try:
        return STRATEGIES[MemoryStrategy(strategy)]()
    except (KeyError, ValueError):
        raise CompileError(f"unknown memory strategy {strategy!r}") from None


__all__ = ["MemoryAccess", "GuardMemory", "BoundsMemory", "STRATEGIES", "memory_access"]
