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

from ..environ import load, store
from ..irutils import I64, PTR, byte_gep

MAX_MEMORY_BYTES = 1 << 32  # a 32-bit memory has at most 65536 pages


class MemoryAccess:
    """How linear-memory addresses are formed and checked, and how loads are emitted.
    One subclass per strategy."""

    strategy: MemoryStrategy

    @staticmethod
    def vmmemory(cx, index: int) -> ir.Value:
        """The VMMemory* of memory `index`, marked dereferenceable: then LLVM may hoist
        BASE and LENGTH loads out of a loop from any block of it (not only from blocks
        that run on every iteration), when nothing in the loop may change them."""
        ptr = cx.memory_ptr(index)
        if isinstance(ptr, ir.Instruction) and "dereferenceable" not in ptr.metadata:
            ptr.set_metadata("dereferenceable", cx.module.add_metadata([ir.Constant(I64, VMMemory.SIZE)]))
            ptr.set_metadata("align", cx.module.add_metadata([ir.Constant(I64, 8)]))
            ptr.set_metadata("noundef", cx.module.add_metadata([]))
        return ptr

    def length(self, cx, index: int) -> ir.Value:
        """Current size in bytes (i64), re-read from the VMMemory."""
        addr = cx.hoisted(("length", index),
                          lambda b: byte_gep(b, self.vmmemory(cx, index), VMMemory.LENGTH))
        v = load(cx.builder, I64, addr, cx.md.vm, align=8)
        # The runtime never lets a memory shrink below its minimum or exceed 4 GiB;
        # the range lets LLVM drop checks of constant addresses below the minimum.
        lo = cx.env.memory_limits(index).min * WASM_PAGE_SIZE
        v.set_metadata("range", cx.md.range(min(lo, MAX_MEMORY_BYTES), MAX_MEMORY_BYTES + 1))
        return v

    def base(self, cx, index: int) -> ir.Value:
        """Current base address, re-read from the VMMemory."""
        return load(cx.builder, PTR, self.vmmemory(cx, index), cx.md.vm, align=8)

    def prepare_function(self, cx, code) -> None:
        """Called once before `code` (an aot.model.Function) is translated by `cx`."""

    def version_loop(self, cx, pos: int) -> int:
        """Called at each reachable `loop` (position `pos` of the body). A strategy that
        translates the loop itself (through `cx.handlers`) returns the position after its
        `end`, where translation resumes; 0 lets the loop be translated as usual."""
        return 0

    def effective_address(self, cx, index: int, addr: ir.Value, offset: int, size: int) -> ir.Value:
        """Pointer to the `size` bytes at `addr + offset` of memory `index`; traps if out of bounds."""
        raise NotImplementedError

    def load(self, cx, ty: ir.Type, ptr: ir.Value) -> ir.Value:
        """The load of a `ty` at `ptr` (from effective_address) for the current access.
        A strategy whose bounds are enforced by the fault itself keeps the load alive here."""
        return load(cx.builder, ty, ptr, cx.md.linear_memory, align=1)

    def store(self, cx, value: ir.Value, ptr: ir.Value) -> None:
        """The store of `value` at `ptr` (from effective_address) for the current access.
        A strategy whose bounds are enforced by the fault itself orders it here."""
        store(cx.builder, value, ptr, cx.md.linear_memory, align=1)

    @property
    def traps_by_fault(self) -> bool:
        """Whether an access may trap by faulting (not by a branch LLVM can see): then
        the module's functions may not be declared `nounwind` (see GuardMemory)."""
        return False

    @staticmethod
    def index64(cx, addr: ir.Value, offset: int) -> ir.Value:
        """zext(addr) + offset in i64: cannot wrap (both are below 2**32)."""
        if offset >= MAX_MEMORY_BYTES:
            raise CompileError(f"memory offset {offset} does not fit 32 bits (memory64 is not supported)")
        ea = cx.builder.zext(addr, I64)
        return cx.builder.add(ea, ir.Constant(I64, offset), flags=("nuw",)) if offset else ea
