"""GUARD: no check. Every memory reserves GUARD_RESERVATION bytes of address space.

base + zext(addr) + offset is below base + 2**33 for any 32-bit address and offset, so
every access lands inside the reservation; pages past the current length are PROT_NONE
and the runtime's signal handler turns the fault into MEMORY_OUT_OF_BOUNDS.

The fault is the check, so a load must not be deleted even when its value is unused
(LLVM deletes unused loads, at -O0 too: instruction selection skips them). `load` keeps
every load alive: at -O0 as `load volatile` (free there: nothing is optimised), at -O1+
by handing the value to an empty `asm sideeffect` (irutils.KeepAlive): codegen must
compute the value, and nothing deletes the call (inlining keeps it; it kept
`llvm.fake.use`, tried first, only until the inliner stripped it).

A trap must also see exactly the stores that precede the faulting access in program
order. LLVM, not knowing an access can fault, would otherwise delete a store that a
later one overwrites, keep a loop's stores in registers until the loop ends, merge
neighbouring stores or move a store past the access (all found by the differential
fuzzer). So at -O1+ every access that may fault stands between barriers: the
keep-alive after a load, an empty asm (irutils.Barrier) after a store, and one before
the access unless a barrier already follows every store and call before it in its
block (block boundaries do not count: LLVM merges blocks and inlines). All are
`asm sideeffect unwind` calls, which LLVM must treat as calls that may throw: no store
before one is deleted, deferred or merged past it. A Barrier moreover reads all memory
and writes the linear memory its pointer operand points into (every memory, when there
are several), so no access of it moves above the barrier either (being "may throw" did not stop loop unswitching from
copying a load above one: fuzzing, guard -O3). The keep-alive writes only inaccessible
memory, so loads that no store separates still combine and move. They are scheduling
boundaries in codegen. Functions are not `nounwind` under this strategy (module.py),
or the inliner would mark the barriers it inlines nounwind. -O0 reorders nothing.
Cost on the 15 benchmark programs: within noise overall (A/B, min of 3×5 runs: 0.99×
the build without barriers; hashtable 1.12×, tokenize 1.09×, lu 0.85×).

What is not guaranteed:
- An unaligned store straddling the end of the accessible pages: x86-64 writes nothing;
  aarch64 may write the bytes before the boundary (architecturally allowed).
BOUNDS has none of these gaps.

Simple counted loops are versioned like BOUNDS's (versioning.py): when a test before the
loop proves its affine accesses in bounds, a copy with i64 addressing runs, which LLVM
can vectorise; no access of it can fault, so vectorising moves no trap.

tests/unit/test_guard_loads.py and test_guard_store_order.py pin both properties, and
tests/fuzz/regressions/guard_* the modules the fuzzer found.
"""
from __future__ import annotations

from llvmlite import ir

from aot.abi import MemoryStrategy

from ..environ import load
from ..irutils import F32, F64, I64, PTR, VOID, barrier, byte_gep, is_barrier, keep_alive, volatile_load
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

    @property
    def traps_by_fault(self) -> bool:
        return True

    def load(self, cx, ty: ir.Type, ptr: ir.Value) -> ir.Value:
        if self.in_fast_copy(cx):
            return super().load(cx, ty, ptr)  # proven in bounds: may be deleted or moved
        if cx.env.opt_level == 0:
            return _volatile_load(cx, ty, ptr)
        pinned = self._pinned(cx, ptr)
        _fence_before(cx, pinned)
        if cx.peek_op() == "drop":
            v = _volatile_load(cx, ty, ptr)
            barrier(cx.builder, pinned)
            return v
        v = super().load(cx, ty, ptr)
        _keep(cx, v)  # also the barrier after it
        return v

    def store(self, cx, value: ir.Value, ptr: ir.Value) -> None:
        if self.in_fast_copy(cx) or cx.env.opt_level == 0:
            super().store(cx, value, ptr)  # -O0 moves nothing; a fast copy cannot fault
            return
        pinned = self._pinned(cx, ptr)
        _fence_before(cx, pinned)
        super().store(cx, value, ptr)
        barrier(cx.builder, pinned)

    def _pinned(self, cx, ptr: ir.Value) -> list[ir.Value]:
        """What a barrier pins: the memory `ptr` is in, and with several memories every
        one (a keep-alive ends the translator's look-back whatever memory it was for)."""
        n = len(cx.env.wasm.all_memories())
        return [ptr] + ([self.base(cx, i) for i in range(n)] if n > 1 else [])


def _volatile_load(cx, ty: ir.Type, ptr: ir.Value) -> ir.Value:
    v = volatile_load(cx.builder, ty, ptr, 1)
    v.set_metadata("tbaa", cx.md.linear_memory)
    return v


def _fence_before(cx, ptrs: list[ir.Value]) -> None:
    """A barrier before a faulting access unless one already separates it from every
    store and call before it: then the trap sees exactly the effects that precede the
    access in program order. Stores to locals (allocas) are invisible after a trap and
    need none. At the start of a block the barrier is always needed: LLVM merges blocks
    (and inlines callees), putting a predecessor's stores next to the access."""
    for instr in reversed(cx.builder.block.instructions):
        if is_barrier(instr):
            return
        if _has_effect(instr):
            break
    barrier(cx.builder, ptrs)


def _has_effect(instr: ir.Instruction) -> bool:
    if isinstance(instr, ir.StoreInstr):
        return not isinstance(instr.operands[1], ir.AllocaInstr)
    if isinstance(instr, ir.CallInstr) and isinstance(instr.callee, ir.Function):
        name = instr.callee.name
        return not name.startswith("llvm.") or name.startswith(("llvm.mem", "llvm.masked"))
    return instr.opname == "call"  # builtins, host and indirect calls


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
