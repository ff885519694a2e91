"""Operators implemented by runtime builtins: grow, fill, copy, init; and the segment drops.

Builtins that return a status (fill/copy/init) trap with it when it is non-zero.
"""
from __future__ import annotations

from llvmlite import ir

from aot.abi import Builtin, VMDataSegment, VMElemSegment

from ..irutils import I32, I64


def _pop3(cx) -> list:
    args = cx.stack[-3:]
    del cx.stack[-3:]
    return args


def _memory_grow(cx, ins) -> None:
    delta = cx.stack.pop()
    cx.stack.append(cx.call_builtin(Builtin.MEMORY_GROW, I32, [cx.memory_ptr(ins.imm), delta]))


def _memory_fill(cx, ins) -> None:
    args = _pop3(cx)  # dst, value, n
    cx.trap_on_status(cx.call_builtin(Builtin.MEMORY_FILL, I32, [cx.memory_ptr(ins.imm), *args]))


def _memory_copy(cx, ins) -> None:
    dst, src = ins.imm
    args = _pop3(cx)  # d, s, n
    mems = [cx.memory_ptr(dst), cx.memory_ptr(src)]
    cx.trap_on_status(cx.call_builtin(Builtin.MEMORY_COPY, I32, [*mems, *args]))


def _memory_init(cx, ins) -> None:
    data, mem = ins.imm
    args = _pop3(cx)  # d, s, n
    seg = cx.vm_addr(cx.layout.data_segment(data))
    cx.trap_on_status(cx.call_builtin(Builtin.MEMORY_INIT, I32, [cx.memory_ptr(mem), seg, *args]))


def _data_drop(cx, ins) -> None:
    cx.store_field(ir.Constant(I64, 0), cx.vm_addr(cx.layout.data_segment(ins.imm)), VMDataSegment.LENGTH)


def _table_grow(cx, ins) -> None:
    delta = cx.stack.pop()
    init = cx.builder.ptrtoint(cx.stack.pop(), I64)
    cx.stack.append(cx.call_builtin(Builtin.TABLE_GROW, I32, [cx.table_ptr(ins.imm), init, delta]))


def _table_fill(cx, ins) -> None:
    i, ref, n = _pop3(cx)
    ref = cx.builder.ptrtoint(ref, I64)
    cx.trap_on_status(cx.call_builtin(Builtin.TABLE_FILL, I32, [cx.table_ptr(ins.imm), i, ref, n]))


def _table_copy(cx, ins) -> None:
    dst, src = ins.imm
    args = _pop3(cx)  # d, s, n
    tables = [cx.table_ptr(dst), cx.table_ptr(src)]
    cx.trap_on_status(cx.call_builtin(Builtin.TABLE_COPY, I32, [*tables, *args]))


def _table_init(cx, ins) -> None:
    elem, table = ins.imm
    args = _pop3(cx)  # d, s, n
    seg = cx.vm_addr(cx.layout.elem_segment(elem))
    cx.trap_on_status(cx.call_builtin(Builtin.TABLE_INIT, I32, [cx.table_ptr(table), seg, *args]))


def _elem_drop(cx, ins) -> None:
    cx.store_field(ir.Constant(I64, 0), cx.vm_addr(cx.layout.elem_segment(ins.imm)), VMElemSegment.LENGTH)


HANDLERS = {
    "memory.grow": _memory_grow, "memory.fill": _memory_fill, "memory.copy": _memory_copy,
    "memory.init": _memory_init, "data.drop": _data_drop,
    "table.grow": _table_grow, "table.fill": _table_fill, "table.copy": _table_copy,
    "table.init": _table_init, "elem.drop": _elem_drop,
}
