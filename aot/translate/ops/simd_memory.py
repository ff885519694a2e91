"""SIMD loads and stores: whole v128, extending, splatting, zero-filling and single-lane.

Addresses come from the memory strategy only, with the size the instruction accesses
(16 for v128.load, 8 for load8x8_s, the lane size for lane and splat loads), so both
strategies trap exactly when any accessed byte is out of bounds. As for scalar accesses
every access is `align 1` (Wasm alignment is only a hint); the strategy emits the loads
(guard keeps them alive even when their value is unused: the fault is the check).
"""
from __future__ import annotations

from functools import partial

from llvmlite import ir

from ..irutils import I32
from .simd_base import I8X16, I16X8, I32X4, I64X2, Shape, as_v128, as_vector, splat

_BY_BITS = {8: I8X16, 16: I16X8, 32: I32X4, 64: I64X2}


def _address(cx, memarg, size: int) -> ir.Value:
    addr = cx.stack.pop()
    return cx.env.memory.effective_address(cx, memarg.memory, addr, memarg.offset, size)


def _load(cx, ty: ir.Type, ptr: ir.Value) -> ir.Value:
    return cx.env.memory.load(cx, ty, ptr)  # the strategy keeps a faulting load alive


def _load_v128(cx, ins) -> None:
    ptr = _address(cx, ins.imm, 16)
    cx.stack.append(as_v128(cx, _load(cx, I8X16.vector, ptr)))


def _load_extend(shape: Shape, signed: bool, cx, ins) -> None:
    """load8x8_s and friends: 8 bytes of `shape.count // 2` narrow lanes, each widened."""
    narrow = ir.VectorType(shape.elem, shape.count // 2)
    ptr = _address(cx, ins.imm, 8)
    v = _load(cx, narrow, ptr)
    wide = ir.VectorType(ir.IntType(shape.bits * 2), shape.count // 2)
    cx.stack.append(as_v128(cx, (cx.builder.sext if signed else cx.builder.zext)(v, wide)))


def _load_splat(shape: Shape, cx, ins) -> None:
    ptr = _address(cx, ins.imm, shape.bits // 8)
    cx.stack.append(as_v128(cx, splat(cx, _load(cx, shape.elem, ptr), shape.count)))


def _load_zero(shape: Shape, cx, ins) -> None:
    """load32_zero/load64_zero: the value in lane 0, zeros above."""
    ptr = _address(cx, ins.imm, shape.bits // 8)
    v = cx.builder.insert_element(ir.Constant(shape.vector, None), _load(cx, shape.elem, ptr),
                                  ir.Constant(I32, 0))
    cx.stack.append(as_v128(cx, v))


def _load_lane(shape: Shape, cx, ins) -> None:
    memarg, lane = ins.imm
    v = as_vector(cx, cx.stack.pop(), shape.vector)
    ptr = _address(cx, memarg, shape.bits // 8)
    v = cx.builder.insert_element(v, _load(cx, shape.elem, ptr), ir.Constant(I32, lane))
    cx.stack.append(as_v128(cx, v))


def _store_v128(cx, ins) -> None:
    value = as_vector(cx, cx.stack.pop(), I8X16.vector)
    cx.env.memory.store(cx, value, _address(cx, ins.imm, 16))  # the strategy orders it


def _store_lane(shape: Shape, cx, ins) -> None:
    memarg, lane = ins.imm
    v = as_vector(cx, cx.stack.pop(), shape.vector)
    ptr = _address(cx, memarg, shape.bits // 8)
    scalar = cx.builder.extract_element(v, ir.Constant(I32, lane))
    cx.env.memory.store(cx, scalar, ptr)


def _table() -> dict:
    ops = {"v128.load": _load_v128, "v128.store": _store_v128,
           "v128.load32_zero": partial(_load_zero, I32X4),
           "v128.load64_zero": partial(_load_zero, I64X2)}
    for bits, shape in _BY_BITS.items():
        ops[f"v128.load{bits}_splat"] = partial(_load_splat, shape)
        ops[f"v128.load{bits}_lane"] = partial(_load_lane, shape)
        ops[f"v128.store{bits}_lane"] = partial(_store_lane, shape)
        if bits < 64:
            lanes = 64 // bits
            ops[f"v128.load{bits}x{lanes}_s"] = partial(_load_extend, shape, True)
            ops[f"v128.load{bits}x{lanes}_u"] = partial(_load_extend, shape, False)
    return ops


HANDLERS = _table()
"""Instruction handler of every SIMD load and store."""
