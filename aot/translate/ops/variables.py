"""Locals, globals, constants and the parametric operators (drop, select)."""
from __future__ import annotations

from llvmlite import ir

from ..environ import load, store
from ..irutils import F32, F64, I32, I64, llvm_type


def _local_get(cx, ins) -> None:
    cx.stack.append(cx.builder.load(cx.locals[ins.imm], typ=cx.local_types[ins.imm]))


def _local_set(cx, ins) -> None:
    cx.builder.store(cx.stack.pop(), cx.locals[ins.imm])


def _local_tee(cx, ins) -> None:
    cx.builder.store(cx.stack[-1], cx.locals[ins.imm])


def _global_get(cx, ins) -> None:
    gt = cx.env.global_types[ins.imm]
    ty = llvm_type(gt.valtype)
    if gt.mutable:
        v = load(cx.builder, ty, cx.global_addr(ins.imm), cx.md.global_value, align=8)
    else:  # set once before any code of the instance runs: load it once per function
        v = cx.hoisted(("global", ins.imm), lambda b: load(
            b, ty, cx.global_addr(ins.imm), cx.md.global_value, invariant=cx.md.invariant, align=8))
    cx.stack.append(v)


def _global_set(cx, ins) -> None:
    store(cx.builder, cx.stack.pop(), cx.global_addr(ins.imm), cx.md.global_value, align=8)


def _drop(cx, ins) -> None:
    cx.stack.pop()


def _select(cx, ins) -> None:
    cond = cx.stack.pop()
    b = cx.stack.pop()
    a = cx.stack.pop()
    c = cx.builder.icmp_unsigned("!=", cond, ir.Constant(I32, 0))
    cx.stack.append(cx.builder.select(c, a, b))


def _int_const(ty):
    def handler(cx, ins) -> None:
        cx.stack.append(ir.Constant(ty, ins.imm))
    return handler


def _float_const(bits_ty, ty):
    """From raw bits through a bitcast: NaN payloads (signalling ones too) survive."""
    def handler(cx, ins) -> None:
        cx.stack.append(ir.Constant(bits_ty, ins.imm).bitcast(ty))
    return handler


HANDLERS = {
    "local.get": _local_get, "local.set": _local_set, "local.tee": _local_tee,
    "global.get": _global_get, "global.set": _global_set,
    "drop": _drop, "select": _select,
    "i32.const": _int_const(I32), "i64.const": _int_const(I64),
    "f32.const": _float_const(I32, F32), "f64.const": _float_const(I64, F64),
}
