"""table.get, table.set, table.size, and the bounds-checked element address they share."""
from __future__ import annotations

from llvmlite import ir

from aot.abi import TrapCode, VMTable

from ..environ import load, store
from ..irutils import I32, I64, PTR


def element_addr(cx, table: ir.Value, index: ir.Value, code: TrapCode) -> ir.Value:
    """Address of element `index` (i32) of VMTable* `table`; traps with `code` past the end.

    ELEMENTS and LENGTH are re-read at every access: a table may grow and move.
    """
    b = cx.builder
    i = b.zext(index, I64)
    length = cx.load_field(I64, table, VMTable.LENGTH)
    cx.trap_if(b.icmp_unsigned(">=", i, length), code)
    elements = cx.load_field(PTR, table, VMTable.ELEMENTS)
    return b.gep(elements, [i], source_etype=PTR)


def _table_get(cx, ins) -> None:
    addr = element_addr(cx, cx.table_ptr(ins.imm), cx.stack.pop(), TrapCode.TABLE_OUT_OF_BOUNDS)
    cx.stack.append(load(cx.builder, PTR, addr, cx.md.table_elem, align=8))


def _table_set(cx, ins) -> None:
    ref = cx.stack.pop()
    addr = element_addr(cx, cx.table_ptr(ins.imm), cx.stack.pop(), TrapCode.TABLE_OUT_OF_BOUNDS)
    store(cx.builder, ref, addr, cx.md.table_elem, align=8)


def _table_size(cx, ins) -> None:
    length = cx.load_field(I64, cx.table_ptr(ins.imm), VMTable.LENGTH)
    cx.stack.append(cx.builder.trunc(length, I32))


HANDLERS = {"table.get": _table_get, "table.set": _table_set, "table.size": _table_size}
