"""What every memory strategy provides: the address of an access, and the memory's size.

Strategies re-load BASE and LENGTH from the VMMemory at every access instead of caching
them in Python-side state. LLVM then merges the repeated loads where that is valid:
calls (memory.grow, other Wasm or host functions) clobber them, stores to linear memory
do not (TBAA, see aot.translate.environ). So nothing here can go stale across a call.
"""
from __future__ import annotations

from llvmlite import ir

from aot.abi import WASM_PAGE_SIZE, MemoryStrategy, VMMemory
from aot.errors import CompileError

from ..environ import load
from ..irutils import I64, PTR, byte_gep

MAX_MEMORY_BYTES = 1 << 32  # a 32-bit memory has at most 65536 pages


class MemoryAccess:
    """How linear-memory addresses are formed and checked. One subclass per strategy."""

    strategy: MemoryStrategy
    unused_loads_fault = True
    """False when a load whose value is unused may be deleted by LLVM and so not trap;
    memory ops then emit such loads as volatile."""

    def length(self, cx, index: int) -> ir.Value:
        """Current size in bytes (i64), re-read from the VMMemory."""
        addr = cx.hoisted(("length", index),
                          lambda b: byte_gep(b, cx.memory_ptr(index), VMMemory.LENGTH))
        v = load(cx.builder, I64, addr, cx.md.vm, align=8)
        # The runtime never lets a memory shrink below its minimum or exceed 4 GiB;
        # the range lets LLVM drop checks of constant addresses below the minimum.
        lo = cx.env.memory_limits(index).min * WASM_PAGE_SIZE
        v.set_metadata("range", cx.md.range(min(lo, MAX_MEMORY_BYTES), MAX_MEMORY_BYTES + 1))
        return v

    def base(self, cx, index: int) -> ir.Value:
        """Current base address, re-read from the VMMemory."""
        return load(cx.builder, PTR, cx.memory_ptr(index), cx.md.vm, align=8)

    def effective_address(self, cx, index: int, addr: ir.Value, offset: int, size: int) -> ir.Value:
        """Pointer to the `size` bytes at `addr + offset` of memory `index`; traps if out of bounds."""
        raise NotImplementedError

    @staticmethod
    def index64(cx, addr: ir.Value, offset: int) -> ir.Value:
        """zext(addr) + offset in i64: cannot wrap (both are below 2**32)."""
        if offset >= MAX_MEMORY_BYTES:
            raise CompileError(f"memory offset {offset} does not fit 32 bits (memory64 is not supported)")
        ea = cx.builder.zext(addr, I64)
        return cx.builder.add(ea, ir.Constant(I64, offset), flags=("nuw",)) if offset else ea
