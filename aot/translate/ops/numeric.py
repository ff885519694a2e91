"""Lowering of every scalar WebAssembly 2.0 numeric operator to LLVM IR (the facade).

The operators live in three families: `int_ops` (i32/i64), `float_ops` (f32/f64) and
`conversion` (between types). Constants are not numeric operators here.
"""
from __future__ import annotations

from typing import Sequence

from llvmlite import ir

from aot.errors import CompileError

from . import conversion, float_ops, int_ops
from .numeric_base import Handler, NumericContext


def _merge(*tables: dict[str, Handler]) -> dict[str, Handler]:
    merged: dict[str, Handler] = {}
    for table in tables:
        clash = merged.keys() & table.keys()
        if clash:
            raise RuntimeError(f"numeric operators lowered twice: {sorted(clash)}")
        merged.update(table)
    return merged


_HANDLERS = _merge(int_ops.OPS, float_ops.OPS, conversion.OPS)

NUMERIC_OPS: frozenset[str] = frozenset(_HANDLERS)
"""Text-format name of every operator `lower_numeric` handles."""


def lower_numeric(cx: NumericContext, op: str, args: Sequence[ir.Value]) -> ir.Value:
    """Emit `op` applied to `args` (popped operands, first pushed first) at `cx.builder`.

    Returns the result (i32 0/1 for comparisons and eqz). Division, remainder and the
    trapping truncations branch through `cx.trap_if`; the builder is left at the
    continuation.
    """
    handler = _HANDLERS.get(op)
    if handler is None:
        raise CompileError(f"not a numeric operator: {op}")
    return handler(cx, args)


__all__ = ["NUMERIC_OPS", "lower_numeric", "NumericContext"]
