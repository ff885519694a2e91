"""What the numeric lowering families share: the context they need and tiny IR helpers.

A handler lowers one Wasm numeric operator: `handler(cx, args) -> ir.Value`, where `args`
are the popped operands in stack order. Handlers read widths from their operands' types,
so one handler serves every width of an operator shape.
"""
from __future__ import annotations

from typing import Callable, Protocol, Sequence

from llvmlite import ir

from aot.abi import TrapCode

I1 = ir.IntType(1)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
F32 = ir.FloatType()
F64 = ir.DoubleType()

VALUE_TYPES: dict[str, ir.Type] = {"i32": I32, "i64": I64, "f32": F32, "f64": F64}
"""LLVM type of each Wasm numeric type, by its text-format name."""


class NumericContext(Protocol):
    """The part of the translator's lowering context that numeric handlers use."""

    builder: ir.IRBuilder
    module: ir.Module

    def intrinsic(self, name: str, ret: ir.Type, args: Sequence[ir.Type]) -> ir.Function:
        """Declare (once) and return an LLVM intrinsic or function."""
        ...

    def trap_if(self, cond: ir.Value, code: TrapCode) -> None:
        """Trap with `code` when the i1 `cond` holds; the builder continues on the false path."""
        ...


Handler = Callable[[NumericContext, Sequence[ir.Value]], ir.Value]


def call_intrinsic(cx: NumericContext, base: str, ret: ir.Type, args: Sequence[ir.Value],
                   overloads: Sequence[ir.Type] | None = None) -> ir.Value:
    """Call `llvm.<base>.<overloads...>`; the overloaded types default to the return type."""
    suffix = ".".join(t.intrinsic_name for t in (overloads or (ret,)))
    fn = cx.intrinsic(f"llvm.{base}.{suffix}", ret, [a.type for a in args])
    return cx.builder.call(fn, list(args))


def to_i32(cx: NumericContext, flag: ir.Value) -> ir.Value:
    """Wasm booleans are i32 0/1."""
    return cx.builder.zext(flag, I32)


def const(ty: ir.Type, value: int | float) -> ir.Constant:
    return ir.Constant(ty, value)
