"""Function bodies: the operand/control stack algorithm of the spec's validation appendix."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from ..errors import ValidationError
from ..model import BlockType, FuncType, GlobalType, Instr, TableType, ValType
from .instructions import dispatch_tables

if TYPE_CHECKING:
    from .module import ModuleValidator


class _Frame:
    """A control frame: its block kind, types, operand-stack height, and reachability."""

    __slots__ = ("kind", "start", "end", "labels", "height", "unreachable")

    def __init__(self, kind: str, start: tuple, end: tuple, height: int):
        self.kind = kind
        self.start = start
        self.end = end
        self.labels = start if kind == "loop" else end  # what a branch to this label carries
        self.height = height
        self.unreachable = False


class BodyValidator:
    """The operand/control stack algorithm; one instance is reused for all bodies of a module."""

    def __init__(self, mv: ModuleValidator):
        self.mv = mv
        self.types = mv.types
        self.tables = mv.tables
        self.num_mems = len(mv.mems)
        self.globals = mv.globals
        self.refs = mv.refs
        self.elem_types = [seg.elem_type for seg in mv.m.elems]
        self.num_datas = len(mv.m.datas)
        self.has_data_count = mv.m.data_count is not None
        all_types = mv.m.all_func_types()
        self.func_types = [self.types[ti] for ti in all_types]
        self.plain, self.handlers = dispatch_tables(mv.features.simd)
        self.func_index = 0
        self.locals: tuple = ()
        self.vals: list[Optional[ValType]] = []
        self.ctrls: list[_Frame] = []
        self.last_offset = 0

    def err(self, message: str, offset: Optional[int]) -> ValidationError:
        return ValidationError(message, offset, self.func_index)

    def check(self, func_index: int, ft: FuncType, local_types: tuple, body: Sequence[Instr],
              body_offset: int) -> None:
        """Validate one function body against its type."""
        self.func_index = func_index
        for t in local_types:
            self.mv.check_valtype(t, body_offset, func_index)
        self.locals = ft.params + tuple(local_types)
        self.vals = vals = []
        self.ctrls = ctrls = [_Frame("func", (), ft.results, 0)]
        if not body or body[-1].op != "end":
            raise self.err("function body must end with `end`", body_offset)
        self.last_offset = body[-1].offset
        plain = self.plain
        handlers = self.handlers
        for op, imm, off in body:
            sig = plain.get(op)
            if sig is not None:
                params, results = sig
                # Fast path: the operands are on the stack with exactly the right types.
                n = len(params)
                if n:
                    k = len(vals) - ctrls[-1].height
                    if n == 1 and k >= 1 and vals[-1] is params[0]:
                        vals.pop()
                    elif n == 2 and k >= 2 and vals[-1] is params[1] and vals[-2] is params[0]:
                        del vals[-2:]
                    else:
                        self.pop_vals(params, off)
                if results:
                    vals.extend(results)
                continue
            h = handlers.get(op)
            if h is None:
                raise self.err(f"unknown or disabled instruction {op!r}", off)
            h(self, imm, off)
        if ctrls:
            raise self.err("function body must end with `end`", self.last_offset)

    # ---- the stack primitives of the spec's appendix ----------------------------------
    def pop(self, expect: Optional[ValType], off: int) -> Optional[ValType]:
        """Pop one operand, which must match `expect` (None: anything); None = unknown."""
        vals = self.vals
        frame = self.ctrls[-1]
        if len(vals) == frame.height:
            if frame.unreachable:
                return None
            want = "a value" if expect is None else expect.text
            raise self.err(f"type mismatch: expected {want} but the stack is empty", off)
        actual = vals.pop()
        if actual is not expect and actual is not None and expect is not None:
            raise self.err(f"type mismatch: expected {expect.text}, found {actual.text}", off)
        return actual

    def pop_vals(self, types: Sequence[ValType], off: int) -> None:
        for t in reversed(types):
            self.pop(t, off)

    def pop_vals_actual(self, types: Sequence[ValType], off: int) -> list:
        """Pop `types` and return what was popped, in stack order (unknowns kept)."""
        out = [self.pop(t, off) for t in reversed(types)]
        out.reverse()
        return out

    def push_ctrl(self, kind: str, start: tuple, end: tuple) -> None:
        self.ctrls.append(_Frame(kind, start, end, len(self.vals)))
        self.vals.extend(start)

    def pop_ctrl(self, off: int) -> _Frame:
        frame = self.ctrls[-1]
        self.pop_vals(frame.end, off)
        extra = len(self.vals) - frame.height
        if extra:
            raise self.err(f"type mismatch: {extra} extra value(s) at the end of the block", off)
        self.ctrls.pop()
        return frame

    def set_unreachable(self) -> None:
        frame = self.ctrls[-1]
        del self.vals[frame.height:]
        frame.unreachable = True

    def label(self, depth: int, off: int) -> _Frame:
        if not 0 <= depth < len(self.ctrls):
            raise self.err(f"unknown label {depth}", off)
        return self.ctrls[-1 - depth]

    def block_type(self, bt: BlockType, off: int) -> tuple[tuple, tuple]:
        if bt is None:
            return (), ()
        if isinstance(bt, ValType):
            self.mv.check_valtype(bt, off, self.func_index)
            return (), (bt,)
        if not 0 <= bt < len(self.types):
            raise self.err(f"unknown type {bt}", off)
        ft = self.types[bt]
        return ft.params, ft.results

    # ---- index checks -------------------------------------------------------------------
    def table(self, index: int, off: int) -> TableType:
        if not 0 <= index < len(self.tables):
            raise self.err(f"unknown table {index}", off)
        return self.tables[index]

    def memory(self, index: int, off: int) -> None:
        if not 0 <= index < self.num_mems:
            raise self.err(f"unknown memory {index}", off)

    def data(self, index: int, off: int) -> None:
        if not self.has_data_count:
            # Strictly a binary-format rule; kept here so hand-built modules can't slip by.
            raise self.err("data count section required", off)
        if not 0 <= index < self.num_datas:
            raise self.err(f"unknown data segment {index}", off)

    def elem(self, index: int, off: int) -> ValType:
        if not 0 <= index < len(self.elem_types):
            raise self.err(f"unknown elem segment {index}", off)
        return self.elem_types[index]

    def local(self, index: int, off: int) -> ValType:
        if not 0 <= index < len(self.locals):
            raise self.err(f"unknown local {index}", off)
        return self.locals[index]

    def global_(self, index: int, off: int) -> GlobalType:
        if not 0 <= index < len(self.globals):
            raise self.err(f"unknown global {index}", off)
        return self.globals[index]

    def func(self, index: int, off: int) -> FuncType:
        if not 0 <= index < len(self.func_types):
            raise self.err(f"unknown function {index}", off)
        return self.func_types[index]

