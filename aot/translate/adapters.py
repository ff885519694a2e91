"""Per-type entry trampolines and host adapters (exact contract: aot.abi docstring).

Slots are VALUE_SLOT_SIZE bytes, value in the low bytes, little-endian; both targets
are little-endian, so a plain load/store of the value's own width at the slot start
is that layout. References are 8-byte pointers.
"""
from __future__ import annotations

from llvmlite import ir

from aot.abi import (NO_FUNC_INDEX, VALUE_SLOT_SIZE, HostContext, TrapCode, sym_host_adapter,
                     sym_trampoline)
from aot.model import FuncType

from .environ import ModuleEnv, emit_trap_call, load
from .irutils import (I8, I32, PTR, VAL_TYPES, VOID, byte_gep, call_ptr, i32, native_fn_type, pack,
                      raw_store, unpack)

TRAMPOLINE_TYPE = ir.FunctionType(VOID, [PTR, PTR, PTR, PTR])
CALLBACK_TYPE = ir.FunctionType(I32, [PTR, PTR, PTR])
SLOT_ALIGN = 8  # the runtime's slot buffers are at least 8-byte aligned


def _load_slots(b: ir.IRBuilder, slots: ir.Value, types) -> list[ir.Value]:
    return [b.load(byte_gep(b, slots, i * VALUE_SLOT_SIZE), typ=VAL_TYPES[t], align=SLOT_ALIGN)
            for i, t in enumerate(types)]


def _store_slots(b: ir.IRBuilder, slots: ir.Value, values) -> None:
    for i, v in enumerate(values):
        raw_store(b, v, byte_gep(b, slots, i * VALUE_SLOT_SIZE), align=SLOT_ALIGN)


def define_trampoline(env: ModuleEnv, type_index: int, ft: FuncType, attrs) -> None:
    """void aot_tramp_T(ptr fn, ptr vmctx, ptr tctx, ptr slots): params in, results out."""
    fn = ir.Function(env.ir, TRAMPOLINE_TYPE, sym_trampoline(type_index))
    fn.attributes = attrs()
    callee, vmctx, tctx, slots = fn.args
    b = ir.IRBuilder(fn.append_basic_block())
    params = _load_slots(b, slots, ft.params)
    r = call_ptr(b, native_fn_type(ft), callee, [vmctx, tctx, *params])
    _store_slots(b, slots, unpack(b, r, ft.results))
    b.ret_void()


def define_host_adapter(env: ModuleEnv, type_index: int, ft: FuncType, attrs) -> None:
    """results aot_host_adapter_T(ptr host_ctx, ptr tctx, params...): calls the callback."""
    fnty = native_fn_type(ft)
    fn = ir.Function(env.ir, fnty, sym_host_adapter(type_index))
    fn.attributes = attrs()
    host_ctx, tctx, *params = fn.args
    b = ir.IRBuilder(fn.append_basic_block())
    n = max(len(ft.params), len(ft.results), 1)
    slots = b.alloca(ir.ArrayType(I8, n * VALUE_SLOT_SIZE))
    slots.align = 16
    _store_slots(b, slots, params)
    callback = load(b, PTR, byte_gep(b, host_ctx, HostContext.CALLBACK), env.md.vm, align=8)
    status = call_ptr(b, CALLBACK_TYPE, callback, [host_ctx, tctx, slots])
    failed, ok = fn.append_basic_block(), fn.append_basic_block()
    b.cbranch(b.icmp_unsigned("!=", status, i32(0)), failed, ok).set_metadata("prof", env.md.unlikely)
    emit_trap_call(ir.IRBuilder(failed), env.md, host_ctx, i32(int(TrapCode.HOST_EXCEPTION)),
                   NO_FUNC_INDEX)
    b.position_at_end(ok)
    results = _load_slots(b, slots, ft.results)
    if not results:
        b.ret_void()
    elif len(results) == 1:
        b.ret(results[0])
    else:
        b.ret(pack(b, results, fnty.return_type))
