"""The seam between lowering code and the ABI: vmctx loads, builtins, traps, metadata.

Operator handlers never compute a vmctx offset themselves; they ask a `FuncEnv`.

Alias information (why the metadata below is sound):
- `!invariant.load` marks loads of locations that never change while compiled code can
  run: the vmctx header and its builtins table, the VMMemory/VMTable/global pointers and
  type ids, the funcrefs of imported functions (filled by the runtime before any code of
  the instance runs), immutable globals, and the base of GUARD memories (never moves).
- TBAA puts linear-memory bytes, runtime fields (vmctx, VMMemory, VMTable, segments,
  tctx), global values and table elements in four disjoint type classes. Sound because
  those runtime objects are allocated by the runtime outside every linear memory, and
  every linear-memory access is confined to its memory (checked for BOUNDS, faulting
  inside the reservation for GUARD), so no linear-memory access can reach them. The
  gain: a store to linear memory does not force re-loading BASE/LENGTH. Calls are never
  tagged, so anything a call may change (memory.grow, a host function) is re-read.
"""
from __future__ import annotations

from typing import Sequence

from llvmlite import ir

from aot.abi import Builtin, TCtx, TrapCode, VMContextLayout, VMCtxHeader
from aot.model import FuncType, Module

from .irutils import I32, I64, PTR, VOID, byte_gep, call_ptr, i32, i64
from .target import TargetInfo

TRAP_FN_TYPE = ir.FunctionType(VOID, [I32, I32])


class Metadata:
    """The module's shared metadata nodes."""

    def __init__(self, m: ir.Module):
        self.invariant = m.add_metadata([])
        root = m.add_metadata(["aot-wasm tbaa"])

        def tag(name: str):
            scalar = m.add_metadata([name, root, i64(0)])
            return m.add_metadata([scalar, scalar, i64(0)])

        self.linear_memory = tag("linear memory")
        self.vm = tag("runtime field")
        self.global_value = tag("global value")
        self.table_elem = tag("table element")
        self.unlikely = m.add_metadata(["branch_weights", ir.Constant(I32, 1), ir.Constant(I32, 1 << 20)])
        self._m = m
        self._ranges: dict[tuple[int, int], object] = {}

    def range(self, lo: int, hi: int):
        """`!range [lo, hi)` for an i64 load."""
        node = self._ranges.get((lo, hi))
        if node is None:
            node = self._ranges[lo, hi] = self._m.add_metadata([i64(lo), i64(hi)])
        return node


class ModuleEnv:
    """Module-wide state of a translation: the IR module, layout, declared functions."""

    opt_level = 2  # the -O level LLVM will run (translate_module sets it)
    interrupt_checks = False

    def __init__(self, module: Module, ir_module: ir.Module, memory,
                 target: TargetInfo | None = None):
        self.wasm = module
        self.ir = ir_module
        self.target = target or TargetInfo.from_triple(ir_module.triple)
        self.layout = VMContextLayout.for_module(module)
        self.memory = memory  # the MemoryStrategy implementation (aot.translate.memory)
        self.md = Metadata(ir_module)
        self.func_types: list[FuncType] = [module.types[t] for t in module.all_func_types()]
        self.num_imported_funcs = module.num_imported_funcs
        self.num_imported_globals = module.num_imported_globals
        self.global_types = module.all_global_types()
        self.functions: list[ir.Function | None] = []  # by function index; None = imported
        self._intrinsics: dict[str, ir.Function] = {}

    def intrinsic(self, name: str, ret: ir.Type, args: Sequence[ir.Type], var_arg: bool = False) -> ir.Function:
        fn = self._intrinsics.get(name)
        if fn is None:
            fn = ir.Function(self.ir, ir.FunctionType(ret, list(args), var_arg=var_arg), name)
            self._intrinsics[name] = fn
        return fn

    def memory_limits(self, index: int):
        return self.wasm.all_memories()[index].limits


def load(builder: ir.IRBuilder, ty: ir.Type, ptr: ir.Value, tbaa, *, invariant=None,
         align: int | None = None) -> ir.Value:
    """A load with its TBAA tag and, when given, the `!invariant.load` node."""
    v = builder.load(ptr, typ=ty, align=align)
    v.set_metadata("tbaa", tbaa)
    if invariant is not None:
        v.set_metadata("invariant.load", invariant)
    return v


def store(builder: ir.IRBuilder, value: ir.Value, ptr: ir.Value, tbaa, align: int | None = None):
    s = builder.store(value, ptr, align=align)
    s.set_metadata("tbaa", tbaa)
    return s


def builtin_ptr(builder: ir.IRBuilder, md: Metadata, ctx: ir.Value, which: Builtin) -> ir.Value:
    """`ctx->builtins[which]`; `ctx` is a vmctx or a HostContext (same first field)."""
    table = load(builder, PTR, byte_gep(builder, ctx, VMCtxHeader.BUILTINS), md.vm,
                 invariant=md.invariant, align=8)
    return load(builder, PTR, byte_gep(builder, table, 8 * int(which)), md.vm,
                invariant=md.invariant, align=8)


def emit_trap_call(builder: ir.IRBuilder, md: Metadata, ctx: ir.Value, code: ir.Value,
                   func_index: int) -> None:
    """Call the TRAP builtin (does not return) and end the block with `unreachable`."""
    fn = builtin_ptr(builder, md, ctx, Builtin.TRAP)
    call_ptr(builder, TRAP_FN_TYPE, fn, [code, i32(func_index)], " noreturn nounwind")
    builder.unreachable()


class FuncEnv:
    """Per-function access to the vmctx, builtins and traps. Base of the lowering context.

    Offers what `aot.translate.ops.numeric` needs: `.builder`, `.module`, `.intrinsic`,
    `.trap_if`.

    Invariant vmctx fields (VMMemory*, VMTable*, global pointers, type ids, imported
    funcrefs, a guard memory's base) are loaded once, in the entry block, the first time
    a handler asks: the entry block dominates every use, and the values never change.
    """

    def __init__(self, env: ModuleEnv, func_index: int, fn: ir.Function):
        self.env = env
        self.md = env.md
        self.layout = env.layout
        self.module = env.ir
        self.func_index = func_index
        self.fn = fn
        self.vmctx, self.tctx = fn.args[0], fn.args[1]
        self.builder = ir.IRBuilder()
        self._trap_blocks: dict[TrapCode, ir.Block] = {}
        self._status_trap: tuple[ir.Block, ir.PhiInstr] | None = None
        self._entry: ir.IRBuilder | None = None
        self._hoisted: dict = {}

    def intrinsic(self, name: str, ret: ir.Type, args: Sequence[ir.Type], var_arg: bool = False) -> ir.Function:
        return self.env.intrinsic(name, ret, args, var_arg)

    def new_block(self) -> ir.Block:
        return self.fn.append_basic_block()

    def start_body(self) -> None:
        """End the entry block with a branch to a new body block; hoisted values go before it."""
        br = self.builder.branch(body := self.new_block())
        self._entry = ir.IRBuilder(self.builder.block)
        self._entry.position_before(br)
        self.builder.position_at_end(body)

    def hoisted(self, key, make):
        """The value `make(entry_builder)` computes, emitted once in the entry block."""
        v = self._hoisted.get(key)
        if v is None:
            v = self._hoisted[key] = make(self._entry)
        return v

    # ---- traps -------------------------------------------------------------------------
    def _trap_block(self, code: TrapCode) -> ir.Block:
        """One cold block per trap code and function: calls TRAP(code, func_index)."""
        blk = self._trap_blocks.get(code)
        if blk is None:
            blk = self._trap_blocks[code] = self.new_block()
            emit_trap_call(ir.IRBuilder(blk), self.md, self.vmctx, i32(int(code)), self.func_index)
        return blk

    def trap_if(self, cond: ir.Value, code: TrapCode) -> None:
        """Trap with `code` when the i1 `cond` holds; the builder continues on the false path."""
        cont = self.new_block()
        self.builder.cbranch(cond, self._trap_block(code), cont).set_metadata("prof", self.md.unlikely)
        self.builder.position_at_end(cont)

    def trap(self, code: TrapCode) -> None:
        """Trap unconditionally; the current block ends."""
        self.builder.branch(self._trap_block(code))

    def trap_on_status(self, status: ir.Value) -> None:
        """Trap with the TrapCode a builtin returned, when it is non-zero."""
        if self._status_trap is None:
            blk = self.new_block()
            phi = ir.IRBuilder(blk).phi(I32)
            emit_trap_call(ir.IRBuilder(blk), self.md, self.vmctx, phi, self.func_index)
            self._status_trap = (blk, phi)
        blk, phi = self._status_trap
        phi.add_incoming(status, self.builder.block)
        failed = self.builder.icmp_unsigned("!=", status, i32(0))
        cont = self.new_block()
        self.builder.cbranch(failed, blk, cont).set_metadata("prof", self.md.unlikely)
        self.builder.position_at_end(cont)

    # ---- vmctx and runtime objects ----------------------------------------------------
    def vm_addr(self, offset: int) -> ir.Value:
        """vmctx + offset (computed once per function)."""
        return self.hoisted(("addr", offset), lambda b: byte_gep(b, self.vmctx, offset))

    def vm_field(self, ty: ir.Type, offset: int) -> ir.Value:
        """An invariant vmctx field, loaded once per function in the entry block."""
        def make(b):
            return load(b, ty, byte_gep(b, self.vmctx, offset), self.md.vm,
                        invariant=self.md.invariant, align=4 if ty == I32 else 8)
        return self.hoisted(("field", offset), make)

    def load_field(self, ty: ir.Type, base: ir.Value, offset: int) -> ir.Value:
        """A runtime field at `base + offset` that may change (VMMemory, VMTable, funcref...)."""
        ptr = byte_gep(self.builder, base, offset)
        return load(self.builder, ty, ptr, self.md.vm, align=4 if ty == I32 else 8)

    def store_field(self, value: ir.Value, base: ir.Value, offset: int) -> None:
        store(self.builder, value, byte_gep(self.builder, base, offset), self.md.vm, align=8)

    def call_builtin(self, which: Builtin, ret: ir.Type, args: Sequence[ir.Value]) -> ir.Value:
        fnty = ir.FunctionType(ret, [a.type for a in args])
        fn = self.hoisted(("builtin", which), lambda b: builtin_ptr(b, self.md, self.vmctx, which))
        return call_ptr(self.builder, fnty, fn, args, " nounwind")

    def memory_ptr(self, index: int) -> ir.Value:
        """The VMMemory* of memory `index` (the pointer itself never changes)."""
        return self.vm_field(PTR, self.layout.memory(index))

    def table_ptr(self, index: int) -> ir.Value:
        return self.vm_field(PTR, self.layout.table(index))

    def funcref_addr(self, func_index: int) -> ir.Value:
        return self.vm_addr(self.layout.funcref(func_index))

    def type_id(self, type_index: int) -> ir.Value:
        return self.vm_field(I32, self.layout.type_id(type_index))

    def global_addr(self, index: int) -> ir.Value:
        """Where global `index`'s value lives: inline in the vmctx, or behind an import's pointer."""
        n = self.env.num_imported_globals
        if index >= n:
            return self.vm_addr(self.layout.defined_global(index - n))
        return self.vm_field(PTR, self.layout.global_ptr(index))

    def stack_limit(self) -> ir.Value:
        return self.load_field(I64, self.tctx, TCtx.STACK_LIMIT)


__all__ = ["Metadata", "ModuleEnv", "FuncEnv", "load", "store", "builtin_ptr",
           "emit_trap_call"]
