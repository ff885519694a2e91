"""GUARD: no check. Every memory reserves GUARD_RESERVATION bytes of address space.

base + zext(addr) + offset is below base + 2**33 for any 32-bit address and offset, so
every access lands inside the reservation; pages past the current length are PROT_NONE
and the runtime's signal handler turns the fault into MEMORY_OUT_OF_BOUNDS.

The fault is the check, so a load must not be deleted even when its value is unused
(LLVM deletes unused loads, at -O0 too: instruction selection skips them). `load` keeps
every load alive: at -O0 as `load volatile` (free there: nothing is optimised), at -O1+
by handing the value to an empty `asm sideeffect` that writes only inaccessible memory:
codegen must compute the value, nothing deletes the call (inlining keeps it; it kept
`llvm.fake.use`, tried first, only until the inliner stripped it), and loads and stores
around it optimise as usual. Loads of a fast loop copy (versioning.py) are proven in
bounds and stay plain, so those loops still vectorise.

What is not guaranteed:
- LLVM does not model faults: it may merge, reorder or delete (as overwritten later)
  stores to linear memory and globals, so after a trap, stores that precede the
  faulting access in program order may be missing. The call still traps.
- An unaligned store straddling the end of the accessible pages: x86-64 writes nothing;
  aarch64 may write the bytes before the boundary (architecturally allowed).
BOUNDS has none of these gaps.

Simple counted loops are versioned like BOUNDS's (versioning.py): when a test before the
loop proves its affine accesses in bounds, a copy with i64 addressing runs, which LLVM
can vectorise; no access of it can fault, so vectorising moves no trap.

The differential fuzzer (tests/fuzz) classifies the store gap as known, and
tests/fuzz/regressions/guard_* pins the shapes of both gaps (the dead loads now trap).
"""
from __future__ import annotations

from llvmlite import ir

from aot.abi import MemoryStrategy

from ..environ import load
from ..irutils import F32, F64, I64, PTR, VOID, byte_gep, keep_alive, volatile_load
from .base import MemoryAccess
from .versioning import LoopVersioning


class GuardMemory(LoopVersioning, MemoryAccess):
    strategy = MemoryStrategy.GUARD

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

    def load(self, cx, ty: ir.Type, ptr: ir.Value) -> ir.Value:
        if self.in_fast_copy(cx):
            return super().load(cx, ty, ptr)  # proven in bounds: may be deleted or moved
        if cx.env.opt_level == 0 or cx.peek_op() == "drop":
            v = volatile_load(cx.builder, ty, ptr, 1)
            v.set_metadata("tbaa", cx.md.linear_memory)
            return v
        v = super().load(cx, ty, ptr)
        _keep(cx, v)
        return v


def _keep(cx, v: ir.Value) -> None:
    """Make codegen compute `v` (and so perform the load behind it) even if nothing uses
    it: an empty `asm sideeffect` taking it in a register. Scalars and vectors up to 64
    bits go as integers ("r", every target has it); a 128-bit vector as <2 x i64>, a type
    the target's vector registers certainly take (an odd vector type there is a fatal
    LLVM error: "couldn't allocate input reg")."""
    b, t = cx.builder, v.type
    bits = _bits(t)
    if bits in (8, 16, 32, 64):
        keep_alive(b, v if isinstance(t, ir.IntType) else b.bitcast(v, ir.IntType(bits)), "r")
    elif bits == 128 and cx.env.target.is_x86_64:
        keep_alive(b, b.bitcast(v, V2I64), "x")
    elif bits == 128 and cx.env.target.is_aarch64:
        keep_alive(b, b.bitcast(v, V2I64), "w")
    else:  # no register class known for it: the weaker fake use (dropped when inlined)
        b.call(cx.intrinsic("llvm.fake.use", VOID, [], var_arg=True), [v])


V2I64 = ir.VectorType(I64, 2)


def _bits(t: ir.Type) -> int | None:
    if isinstance(t, ir.IntType):
        return t.width
    if t == F32:
        return 32
    if t == F64:
        return 64
    if isinstance(t, ir.VectorType) and isinstance(t.element, (ir.IntType, ir.FloatType, ir.DoubleType)):
        lane = t.element.width if isinstance(t.element, ir.IntType) else (32 if t.element == F32 else 64)
        return lane * t.count
    return None
