"""Loads, stores and memory.size. Addresses come from the memory strategy only.

Wasm alignment immediates are hints that may be wrong, so every access is `align 1`
(x86-64 and aarch64 do unaligned scalar accesses at full speed).
"""
from __future__ import annotations

from llvmlite import ir

from ..irutils import F32, F64, I8, I16, I32, I64


def _address(cx, memarg, size: int) -> ir.Value:
    addr = cx.stack.pop()
    return cx.env.memory.effective_address(cx, memarg.memory, addr, memarg.offset, size)


def _load(mem_ty: ir.Type, size: int, extend: str | None, result_ty: ir.Type):
    def handler(cx, ins) -> None:
        ptr = _address(cx, ins.imm, size)
        v = cx.env.memory.load(cx, mem_ty, ptr)  # the strategy keeps a faulting load alive
        if extend == "s":
            v = cx.builder.sext(v, result_ty)
        elif extend == "u":
            v = cx.builder.zext(v, result_ty)
        cx.stack.append(v)
    return handler


def _store(mem_ty: ir.Type, size: int):
    def handler(cx, ins) -> None:
        value = cx.stack.pop()
        ptr = _address(cx, ins.imm, size)
        if value.type != mem_ty:
            value = cx.builder.trunc(value, mem_ty)  # the narrow stores keep the low bytes
        cx.env.memory.store(cx, value, ptr)  # the strategy orders a faulting store
    return handler


def _memory_size(cx, ins) -> None:
    length = cx.env.memory.length(cx, ins.imm)
    pages = cx.builder.lshr(length, ir.Constant(I64, 16))  # 64 KiB pages
    cx.stack.append(cx.builder.trunc(pages, I32))


_NARROW = {8: I8, 16: I16, 32: I32}
_FULL = {"i32": I32, "i64": I64, "f32": F32, "f64": F64}
_SIZES = {"i32": 4, "i64": 8, "f32": 4, "f64": 8}

HANDLERS = {"memory.size": _memory_size}
for _t, _ty in _FULL.items():
    HANDLERS[f"{_t}.load"] = _load(_ty, _SIZES[_t], None, _ty)
    HANDLERS[f"{_t}.store"] = _store(_ty, _SIZES[_t])
for _t in ("i32", "i64"):
    for _bits, _nty in _NARROW.items():
        if _bits < _FULL[_t].width:
            HANDLERS[f"{_t}.load{_bits}_s"] = _load(_nty, _bits // 8, "s", _FULL[_t])
            HANDLERS[f"{_t}.load{_bits}_u"] = _load(_nty, _bits // 8, "u", _FULL[_t])
            HANDLERS[f"{_t}.store{_bits}"] = _store(_nty, _bits // 8)
