"""GUARD: no check. Every memory reserves GUARD_RESERVATION bytes of address space.

base + zext(addr) + offset is below base + 2**33 for any 32-bit address and offset, so
every access lands inside the reservation; pages past the current length are PROT_NONE
and the runtime's signal handler turns the fault into MEMORY_OUT_OF_BOUNDS.

What is guaranteed: every out-of-bounds access that LLVM keeps faults, so the call
traps. What is not:
- An access LLVM deletes cannot fault: a load whose value is unused. Memory ops emit a
  load whose result is dropped at once as volatile (`unused_loads_fault = False`); a
  load whose value only becomes dead later (stored to a local never read, converted
  and then dropped, discarded by a branch, or returned by a call whose result is
  dropped, once LLVM infers the callee only reads memory) may still be deleted and not
  trap, at -O0 too (instruction selection skips unused values). The call then returns,
  or goes on (host calls, stores) until something else traps.
- LLVM does not model faults: it may merge, reorder or delete (as overwritten later)
  stores to linear memory and globals, so after a trap, stores that precede the
  faulting access in program order may be missing.
- An unaligned store straddling the end of the accessible pages: x86-64 writes nothing;
  aarch64 may write the bytes before the boundary (architecturally allowed).
BOUNDS has none of these gaps.

Simple counted loops are versioned like BOUNDS's (versioning.py): when a test before the
loop proves its affine accesses in bounds, a copy with i64 addressing runs, which LLVM
can vectorise; no access of it can fault, so vectorising moves no trap.

The differential fuzzer (tests/fuzz) classifies the first two as a known gap, and
tests/fuzz/regressions/guard_* pins their shapes; docs/NOTES.md ("Fuzzing") records a
fix that was tried (llvm.fake.use) and why it was not kept.
"""
from __future__ import annotations

from llvmlite import ir

from aot.abi import MemoryStrategy

from ..environ import load
from ..irutils import PTR, byte_gep
from .base import MemoryAccess
from .versioning import LoopVersioning


class GuardMemory(LoopVersioning, MemoryAccess):
    strategy = MemoryStrategy.GUARD
    unused_loads_fault = False

    def __init__(self, version_loops: bool = True):
        self.versioning = version_loops

    def prepare_function(self, cx, code) -> None:
        self.plan_versions(cx, code)

    def base(self, cx, index: int) -> ir.Value:
        """Loaded once per function: a guard memory's base never moves."""
        def make(b):
            return load(b, PTR, cx.memory_ptr(index), cx.md.vm, align=8, invariant=cx.md.invariant)
        return cx.hoisted(("base", index), make)

    def effective_address(self, cx, index: int, addr: ir.Value, offset: int, size: int) -> ir.Value:
        # No `inbounds`: the address may be past the committed pages, which must fault,
        # not be poison that LLVM could reason away.
        fast = self.fast_index(cx, offset)  # in a fast loop copy: proven in bounds, no wrap
        return byte_gep(cx.builder, self.base(cx, index), fast if fast is not None else self.index64(cx, addr, offset))
