"""call and call_indirect.

Defined functions are called directly with the caller's vmctx and tctx. Imported
functions and table entries go through a VMFuncRef: its NATIVE_FN with its VMCTX.
"""
from __future__ import annotations

from aot.abi import TrapCode, VMFuncRef

from ..environ import load
from ..irutils import I32, NULL, PTR, call_ptr, native_fn_type, unpack
from .table import element_addr


def _pop_args(cx, n: int) -> list:
    if not n:
        return []
    args = cx.stack[-n:]
    del cx.stack[-n:]
    return args


def _call_native(cx, ft, native, callee_vmctx, args) -> None:
    r = call_ptr(cx.builder, native_fn_type(ft), native, [callee_vmctx, cx.tctx, *args])
    cx.stack.extend(unpack(cx.builder, r, ft.results))


def _call(cx, ins) -> None:
    ft = cx.env.func_types[ins.imm]
    args = _pop_args(cx, len(ft.params))
    fn = cx.env.functions[ins.imm]
    if fn is None:  # imported: its funcref is filled before the instance runs
        ref = cx.layout.funcref(ins.imm)
        native, callee_vmctx = (cx.vm_field(PTR, ref + f) for f in (VMFuncRef.NATIVE_FN, VMFuncRef.VMCTX))
        _call_native(cx, ft, native, callee_vmctx, args)
        return
    r = cx.builder.call(fn, [cx.vmctx, cx.tctx, *args])
    cx.stack.extend(unpack(cx.builder, r, ft.results))


def checked_funcref(cx, table_index: int, index, type_index: int):
    """The VMFuncRef* at `index` of the table, after the three call_indirect checks."""
    b = cx.builder
    addr = element_addr(cx, cx.table_ptr(table_index), index, TrapCode.UNDEFINED_ELEMENT)
    ref = load(b, PTR, addr, cx.md.table_elem, align=8)
    cx.trap_if(b.icmp_unsigned("==", ref, NULL), TrapCode.UNINITIALIZED_ELEMENT)
    actual = cx.load_field(I32, ref, VMFuncRef.TYPE_ID)
    expected = cx.type_id(type_index)
    cx.trap_if(b.icmp_unsigned("!=", actual, expected), TrapCode.INDIRECT_CALL_TYPE_MISMATCH)
    return ref


def _call_indirect(cx, ins) -> None:
    type_index, table_index = ins.imm
    ft = cx.env.wasm.types[type_index]
    index = cx.stack.pop()
    args = _pop_args(cx, len(ft.params))
    ref = checked_funcref(cx, table_index, index, type_index)
    native, callee_vmctx = (cx.load_field(PTR, ref, f) for f in (VMFuncRef.NATIVE_FN, VMFuncRef.VMCTX))
    _call_native(cx, ft, native, callee_vmctx, args)


HANDLERS = {"call": _call, "call_indirect": _call_indirect}
