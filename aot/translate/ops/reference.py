"""ref.null, ref.is_null, ref.func. References are pointers; null is 0."""
from __future__ import annotations

from ..irutils import I32, NULL


def _ref_null(cx, ins) -> None:
    cx.stack.append(NULL)


def _ref_is_null(cx, ins) -> None:
    ref = cx.stack.pop()
    cx.stack.append(cx.builder.zext(cx.builder.icmp_unsigned("==", ref, NULL), I32))


def _ref_func(cx, ins) -> None:
    cx.stack.append(cx.funcref_addr(ins.imm))  # the instance's VMFuncRef of that function


HANDLERS = {"ref.null": _ref_null, "ref.is_null": _ref_is_null, "ref.func": _ref_func}
