"""LLVM types of Wasm values and small IR-building helpers that llvmlite lacks.

LLVM 22 has opaque pointers only. llvmlite's IR layer still gives allocas and functions
typed-pointer types (printed `i32*`, which LLVM reads as `ptr`) and checks pointee
types on stores and calls; everything here uses `PTR`, passes element and function
types explicitly, and works around those checks where they get in the way.
"""
from __future__ import annotations

from typing import Sequence

from llvmlite import ir

from aot.model import FuncType, ValType

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I16 = ir.IntType(16)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
I128 = ir.IntType(128)
F32 = ir.FloatType()
F64 = ir.DoubleType()
PTR = ir.PointerType()
VOID = ir.VoidType()

VAL_TYPES: dict[ValType, ir.Type] = {
    ValType.I32: I32, ValType.I64: I64, ValType.F32: F32, ValType.F64: F64,
    ValType.V128: I128,  # the ABI passes v128 as i128
    ValType.FUNCREF: PTR, ValType.EXTERNREF: PTR,
}

NULL = ir.Constant(PTR, None)


def llvm_type(vt: ValType) -> ir.Type:
    return VAL_TYPES[vt]


# In a struct of several results, floats travel as their bits: x86-64 returns the first
# two floating-point fields in XMM0/XMM1 and the next in x87's ST0, and loading a
# signalling NaN there quiets it (fuzzing, seed 20261128 module 90,285: a returned
# f64.const sNaN came back quiet). Integers go in general registers, or in memory when
# too many, and keep every bit.
_RESULT_FIELD = {F32: I32, F64: I64}


def result_type(results: Sequence[ValType]) -> ir.Type:
    """void, the value's type, or a literal struct for several results (floats as
    same-sized integers: see above)."""
    if not results:
        return VOID
    if len(results) == 1:
        return VAL_TYPES[results[0]]
    return ir.LiteralStructType([_field(VAL_TYPES[t]) for t in results])


def _field(ty: ir.Type) -> ir.Type:
    return _RESULT_FIELD.get(ty, ty)


def native_fn_type(ft: FuncType) -> ir.FunctionType:
    """`results fn(ptr vmctx, ptr tctx, params...)` (see aot.abi)."""
    return ir.FunctionType(result_type(ft.results), [PTR, PTR] + [VAL_TYPES[t] for t in ft.params])


def zero(ty: ir.Type) -> ir.Constant:
    return ir.Constant(ty, None)


def i32(n: int) -> ir.Constant:
    return ir.Constant(I32, n)


def i64(n: int) -> ir.Constant:
    return ir.Constant(I64, n)


def byte_gep(builder: ir.IRBuilder, base: ir.Value, offset) -> ir.Value:
    """`base + offset` bytes; `offset` an int or an i64 value. Offset 0 returns `base`."""
    if isinstance(offset, int):
        if offset == 0:
            return base
        offset = i64(offset)
    return builder.gep(base, [offset], source_etype=I8)


def pack(builder: ir.IRBuilder, values: Sequence[ir.Value], ty: ir.Type) -> ir.Value:
    """Build a literal struct of `ty` (a result_type) from `values` (multi-value returns)."""
    agg = ir.Constant(ty, ir.Undefined)
    for i, v in enumerate(values):
        field = ty.elements[i]
        agg = builder.insert_value(agg, v if v.type == field else builder.bitcast(v, field), i)
    return agg


def unpack(builder: ir.IRBuilder, value: ir.Value, results: Sequence[ValType]) -> list[ir.Value]:
    """The results of a call whose Wasm result types are `results`, in order."""
    if not results:
        return []
    if len(results) == 1:
        return [value]
    out = []
    for i, t in enumerate(results):
        v = builder.extract_value(value, i)
        out.append(v if v.type == VAL_TYPES[t] else builder.bitcast(v, VAL_TYPES[t]))
    return out


def raw_store(builder: ir.IRBuilder, value: ir.Value, ptr: ir.Value, align: int | None = None):
    """A store that skips llvmlite's typed-pointer check (e.g. an i32 into a byte buffer)."""
    st = ir.StoreInstr(builder.block, value, ptr)
    st.align = align
    builder._insert(st)
    return st


class VolatileLoad(ir.LoadInstr):
    """`load volatile`: LLVM may not delete it even when the value is unused."""

    def descr(self, buf):
        [ptr] = self.operands
        align = f", align {self.align}" if self.align is not None else ""
        md = self._stringify_metadata(leading_comma=True)
        buf.append(f"load volatile {self.type}, ptr {ptr.get_reference()}{align}{md}\n")


def volatile_load(builder: ir.IRBuilder, ty: ir.Type, ptr: ir.Value, align: int) -> ir.Value:
    instr = VolatileLoad(builder.block, ptr, typ=ty)
    instr.align = align
    builder._insert(instr)
    return instr


# Neither barrier below is `nounwind`: LLVM then treats it as a call that may throw, and
# keeps every store before it in program order from being deleted (as overwritten later),
# sunk past it, promoted out of a loop across it or merged with a store after it: exactly
# what a trap there must see. In codegen it is a scheduling boundary, so machine
# scheduling cannot reorder accesses across it either.
_KEEP_ALIVE_ATTRS = "memory(inaccessiblemem: readwrite) willreturn"
# A Barrier also reads all memory (no store before it may be deferred past it) and
# writes the memory its pointer operand points into: a load after it depends on it, so
# no pass can move that load above it. "May throw" alone did not stop that: loop
# unswitching copied an invariant-looking load above a barrier into the preheader
# (fuzzing, seed 20261128 module 91,611, guard -O3), so the fault came before stores.
_BARRIER_ATTRS = "memory(read, argmem: readwrite, inaccessiblemem: readwrite) willreturn"


class KeepAlive(ir.Instruction):
    """`call void asm sideeffect ""` taking a value: codegen must compute the value (so a
    load feeding it happens), and it is a barrier to stores (above); loads around it
    optimise as usual. Unlike `llvm.fake.use`, it survives inlining."""

    def __init__(self, parent, value: ir.Value, constraint: str):
        super().__init__(parent, VOID, "call", [value])
        self.constraint = constraint

    def descr(self, buf):
        [v] = self.operands
        buf.append(f'call void asm sideeffect unwind "", "{self.constraint}"({v.type} {v.get_reference()}) '
                   f"{_KEEP_ALIVE_ATTRS}\n")


def keep_alive(builder: ir.IRBuilder, value: ir.Value, constraint: str) -> None:
    builder._insert(KeepAlive(builder.block, value, constraint))


class Barrier(ir.Instruction):
    """An empty `call void asm sideeffect ""` that may throw, reads all memory and writes
    the memories its pointers point into: effects in program order before it stay before
    it, and accesses of those memories after it stay after it (see above). No machine
    instruction."""

    def __init__(self, parent, ptrs: Sequence[ir.Value]):
        super().__init__(parent, VOID, "call", list(ptrs))

    def descr(self, buf):
        constraints = ",".join("r" for _ in self.operands)
        args = ", ".join(f"ptr {p.get_reference()}" for p in self.operands)
        buf.append(f'call void asm sideeffect unwind "", "{constraints}"({args}) {_BARRIER_ATTRS}\n')


def barrier(builder: ir.IRBuilder, ptrs: Sequence[ir.Value]) -> None:
    """A Barrier for accesses of the memories `ptrs` point into."""
    builder._insert(Barrier(builder.block, ptrs))


def is_barrier(instr: ir.Instruction) -> bool:
    """Whether `instr` is one of the barriers above."""
    return isinstance(instr, (KeepAlive, Barrier))


class IndirectCall(ir.Instruction):
    """A call through a pointer value with an explicit function type.

    llvmlite's `call` needs a typed pointer to find the callee's type; with opaque
    pointers the type has to be given.
    """

    def __init__(self, parent, fnty: ir.FunctionType, callee: ir.Value, args, attrs: str = ""):
        super().__init__(parent, fnty.return_type, "call", [callee, *args])
        self.fnty = fnty
        self.attrs = attrs

    def descr(self, buf):
        callee, *args = self.operands
        a = ", ".join(f"{x.type} {x.get_reference()}" for x in args)
        md = self._stringify_metadata(leading_comma=True)
        buf.append(f"call {self.fnty.return_type} {callee.get_reference()}({a}){self.attrs}{md}\n")


def call_ptr(builder: ir.IRBuilder, fnty: ir.FunctionType, callee: ir.Value,
             args: Sequence[ir.Value], attrs: str = "") -> ir.Value:
    """Call the function at `callee` (a ptr) of type `fnty`; `attrs` e.g. ' noreturn'."""
    for a, t in zip(args, fnty.args):
        if a.type != t:
            raise TypeError(f"indirect call argument type {a.type} != {t}")
    instr = IndirectCall(builder.block, fnty, callee, list(args), attrs)
    builder._insert(instr)
    return instr


class FnAttributes(ir.values.FunctionAttributes):
    """Function attributes including string attributes such as "probe-stack"."""

    _known = ir.values.FunctionAttributes._known | {
        '"probe-stack"="inline-asm"', '"disable-tail-calls"="true"'}


class FnPtr(ir.Value):
    """A function used as a `ptr` value (llvmlite would print a typed function pointer)."""

    type = PTR

    def __init__(self, fn: ir.Function):
        self.fn = fn

    def get_reference(self) -> str:
        return self.fn.get_reference()

    def __str__(self) -> str:
        return f"ptr {self.get_reference()}"
