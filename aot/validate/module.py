"""Module-level validation: everything outside function bodies."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from ..errors import ValidationError
from ..model import (ConstExpr, ElemSegment, ExternKind, FuncType, GlobalType, Instr, Limits,
                     MemoryType, Module, SegmentMode, TableType, ValType)
from .body import BodyValidator

if TYPE_CHECKING:
    from . import Features

I32, I64, F32, F64, V128 = ValType.I32, ValType.I64, ValType.F32, ValType.F64, ValType.V128
FUNCREF = ValType.FUNCREF

MAX_PAGES = 65536  # 4 GiB of 64 KiB pages: the 32-bit memory limit


class ModuleValidator:
    """Checks everything outside function bodies, then hands each body to `BodyValidator`."""

    def __init__(self, module: Module, features: Features):
        self.m = module
        self.features = features
        self.types = module.types
        self.tables: list[TableType] = module.all_tables()
        self.mems: list[MemoryType] = module.all_memories()
        self.globals: list[GlobalType] = module.all_global_types()
        self.num_imported_globals = module.num_imported_globals
        self.num_funcs = module.num_imported_funcs + len(module.funcs)
        # C.refs: functions referenced outside function bodies may be used by ref.func.
        self.refs: set[int] = set()

    def err(self, message: str, offset: Optional[int] = None) -> ValidationError:
        return ValidationError(message, offset, None)

    def run(self) -> None:
        m = self.m
        for ft in m.types:
            for t in ft.params + ft.results:
                self.check_valtype(t)
        for imp in m.imports:
            self.check_import(imp.kind, imp.desc)
        if len(m.funcs) != len(m.codes):
            raise self.err("function and code section have inconsistent lengths")
        for ti in m.funcs:
            self.check_type_index(ti)
        for tt in m.tables:
            self.check_table_type(tt)
        for mt in m.memories:
            self.check_memory_type(mt)
        if len(self.mems) > 1 and not self.features.multi_memory:
            raise self.err("multiple memories")
        self.collect_refs()
        for g in m.globals:
            self.check_valtype(g.type.valtype)
            self.const_expr(g.init, g.type.valtype)
        for seg in m.elems:
            self.check_elem(seg)
        for seg in m.datas:
            if seg.mode is SegmentMode.ACTIVE:
                self.check_mem_index(seg.memory, _first_offset(seg.offset))
                self.const_expr(seg.offset or (), I32)
        self.check_start()
        self.check_exports()
        body = BodyValidator(self)
        base = m.num_imported_funcs
        for i, code in enumerate(m.codes):
            body.check(base + i, self.types[m.funcs[i]], code.locals, code.body, code.offset)

    # ---- types and limits ---------------------------------------------------------------
    def check_valtype(self, t: ValType, offset: Optional[int] = None,
                      func_index: Optional[int] = None) -> None:
        if t is V128 and not self.features.simd:
            raise ValidationError("SIMD support is not enabled (v128 type)", offset, func_index)

    def check_type_index(self, ti: int) -> FuncType:
        if not 0 <= ti < len(self.types):
            raise self.err(f"unknown type {ti}")
        return self.types[ti]

    def check_limits(self, lim: Limits, bound: int, bound_msg: str) -> None:
        if lim.min > bound or (lim.max is not None and lim.max > bound):
            raise self.err(bound_msg)
        if lim.max is not None and lim.min > lim.max:
            raise self.err("size minimum must not be greater than maximum")

    def check_table_type(self, tt: TableType) -> None:
        if not tt.elem.is_ref:
            raise self.err("type mismatch: table element type must be a reference type")
        self.check_limits(tt.limits, 0xFFFF_FFFF, "table size must be at most 2^32-1")

    def check_memory_type(self, mt: MemoryType) -> None:
        self.check_limits(mt.limits, MAX_PAGES, "memory size must be at most 65536 pages (4GiB)")

    def check_import(self, kind: ExternKind, desc: object) -> None:
        if kind is ExternKind.FUNC:
            self.check_type_index(desc)
        elif kind is ExternKind.TABLE:
            self.check_table_type(desc)
        elif kind is ExternKind.MEMORY:
            self.check_memory_type(desc)
        else:
            self.check_valtype(desc.valtype)

    # ---- constant expressions -----------------------------------------------------------
    def collect_refs(self) -> None:
        """Gather C.refs: every ref.func in a constant expression and every exported function."""
        m = self.m
        exprs: list[ConstExpr] = [g.init for g in m.globals]
        for seg in m.elems:
            exprs.extend(seg.items)
            if seg.offset is not None:
                exprs.append(seg.offset)
        exprs.extend(seg.offset for seg in m.datas if seg.offset is not None)
        for expr in exprs:
            for ins in expr:
                if ins.op == "ref.func" and isinstance(ins.imm, int):
                    self.refs.add(ins.imm)
        self.refs.update(e.index for e in m.exports if e.kind is ExternKind.FUNC)

    def const_expr(self, expr: ConstExpr, expected: ValType) -> None:
        """A constant expression producing exactly one `expected` value."""
        stack: list[ValType] = []
        for op, imm, off in expr:
            if op in _CONST_TYPES:
                t = _CONST_TYPES[op]
                if t is V128:
                    self.check_valtype(t, off)
                stack.append(t)
            elif op == "ref.null":
                stack.append(imm)
            elif op == "ref.func":
                if not 0 <= imm < self.num_funcs:
                    raise self.err(f"unknown function {imm}", off)
                stack.append(FUNCREF)
            elif op == "global.get":
                # In 2.0 a constant expression may only read imported globals.
                if not 0 <= imm < self.num_imported_globals:
                    raise self.err(f"unknown global {imm}", off)
                gt = self.globals[imm]
                if gt.mutable:
                    raise self.err("constant expression required: global.get of a mutable global", off)
                stack.append(gt.valtype)
            else:
                raise self.err(f"constant expression required: {op} is not constant", off)
        if stack != [expected]:
            found = " ".join(t.text for t in stack) or "nothing"
            raise self.err(f"type mismatch: constant expression must produce {expected.text}, "
                           f"found [{found}]", _first_offset(expr))

    # ---- segments, start, exports -------------------------------------------------------
    def check_elem(self, seg: ElemSegment) -> None:
        if not seg.elem_type.is_ref:
            raise self.err("type mismatch: element segment type must be a reference type")
        for item in seg.items:
            self.const_expr(item, seg.elem_type)
        if seg.mode is SegmentMode.ACTIVE:
            off = _first_offset(seg.offset)
            if not 0 <= seg.table < len(self.tables):
                raise self.err(f"unknown table {seg.table}", off)
            if self.tables[seg.table].elem is not seg.elem_type:
                raise self.err(f"type mismatch: element segment of {seg.elem_type.text} for a table "
                               f"of {self.tables[seg.table].elem.text}", off)
            self.const_expr(seg.offset or (), I32)

    def check_mem_index(self, index: int, offset: Optional[int]) -> None:
        if not 0 <= index < len(self.mems):
            raise self.err(f"unknown memory {index}", offset)

    def check_start(self) -> None:
        start = self.m.start
        if start is None:
            return
        if not 0 <= start < self.num_funcs:
            raise self.err(f"unknown function {start}")
        ft = self.m.func_type(start)
        if ft.params or ft.results:
            raise self.err(f"start function must have type [] -> [], not {ft}")

    def check_exports(self) -> None:
        spaces = {ExternKind.FUNC: ("function", self.num_funcs),
                  ExternKind.TABLE: ("table", len(self.tables)),
                  ExternKind.MEMORY: ("memory", len(self.mems)),
                  ExternKind.GLOBAL: ("global", len(self.globals))}
        names: set[str] = set()
        for e in self.m.exports:
            what, count = spaces[e.kind]
            if not 0 <= e.index < count:
                raise self.err(f"unknown {what} {e.index}")
            if e.name in names:
                raise self.err(f"duplicate export name {e.name!r}")
            names.add(e.name)


_CONST_TYPES = {"i32.const": I32, "i64.const": I64, "f32.const": F32, "f64.const": F64,
                "v128.const": V128}


def _first_offset(expr: Optional[Sequence[Instr]]) -> Optional[int]:
    return expr[0].offset if expr else None


