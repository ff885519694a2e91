"""BOUNDS: trap MEMORY_OUT_OF_BOUNDS unless zext(addr) + offset + size <= LENGTH.

The sum is computed in i64 from three values below 2**32, so it cannot wrap. The check
runs before the access, so a trapping store writes nothing. BASE and LENGTH are loaded
from the VMMemory at each access (the base may move on grow; see base.py for why that
costs nothing when nothing can have changed). A dead load's check stays: it is a branch
to a call that does not return, which LLVM never deletes.
"""
from __future__ import annotations

from llvmlite import ir

from aot.abi import MemoryStrategy, TrapCode

from ..irutils import I64, byte_gep
from .base import MemoryAccess


class BoundsMemory(MemoryAccess):
    strategy = MemoryStrategy.BOUNDS

    def effective_address(self, cx, index: int, addr: ir.Value, offset: int, size: int) -> ir.Value:
        b = cx.builder
        start = self.index64(cx, addr, offset)
        end = b.add(start, ir.Constant(I64, size), flags=("nuw",))
        cx.trap_if(b.icmp_unsigned(">", end, self.length(cx, index)), TrapCode.MEMORY_OUT_OF_BOUNDS)
        return byte_gep(b, self.base(cx, index), start)
