"""The rule of each instruction: handlers, and the per-feature dispatch tables."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

from ..model import ValType
from ..opcodes import OPCODES, PREFIX_FD, Imm

if TYPE_CHECKING:
    from .body import BodyValidator

I32, FUNCREF = ValType.I32, ValType.FUNCREF

Handler = Callable[["BodyValidator", Any, int], None]


# ---- handlers: control ------------------------------------------------------------------

def _unreachable(v: BodyValidator, imm: Any, off: int) -> None:
    v.set_unreachable()


def _block(v: BodyValidator, imm: Any, off: int) -> None:
    params, results = v.block_type(imm, off)
    v.pop_vals(params, off)
    v.push_ctrl("block", params, results)


def _loop(v: BodyValidator, imm: Any, off: int) -> None:
    params, results = v.block_type(imm, off)
    v.pop_vals(params, off)
    v.push_ctrl("loop", params, results)


def _if(v: BodyValidator, imm: Any, off: int) -> None:
    params, results = v.block_type(imm, off)
    v.pop(I32, off)
    v.pop_vals(params, off)
    v.push_ctrl("if", params, results)


def _else(v: BodyValidator, imm: Any, off: int) -> None:
    if v.ctrls[-1].kind != "if":
        raise v.err("else without a matching if", off)
    frame = v.pop_ctrl(off)
    v.push_ctrl("else", frame.start, frame.end)


def _end(v: BodyValidator, imm: Any, off: int) -> None:
    frame = v.pop_ctrl(off)
    if frame.kind == "if" and frame.start != frame.end:
        # A missing else passes the params through, so they must equal the results.
        raise v.err("type mismatch: if without else must have matching params and results", off)
    if frame.kind == "func" and off != v.last_offset:
        raise v.err("operators remaining after the end of the function", off)
    v.vals.extend(frame.end)


def _br(v: BodyValidator, imm: Any, off: int) -> None:
    frame = v.label(imm, off)
    v.pop_vals(frame.labels, off)
    v.set_unreachable()


def _br_if(v: BodyValidator, imm: Any, off: int) -> None:
    labels = v.label(imm, off).labels
    v.pop(I32, off)
    v.pop_vals(labels, off)
    v.vals.extend(labels)


def _br_table(v: BodyValidator, imm: Any, off: int) -> None:
    depths, default = imm
    default_labels = v.label(default, off).labels
    v.pop(I32, off)
    arity = len(default_labels)
    for depth in depths:
        labels = v.label(depth, off).labels
        if len(labels) != arity:
            raise v.err(f"type mismatch: br_table target {depth} has arity {len(labels)}, "
                        f"the default has {arity}", off)
        # Each target is checked on its own: pushing back what was popped keeps unknown
        # operands unknown, so two targets with different types both accept them.
        v.vals.extend(v.pop_vals_actual(labels, off))
    v.pop_vals(default_labels, off)
    v.set_unreachable()


def _return(v: BodyValidator, imm: Any, off: int) -> None:
    v.pop_vals(v.ctrls[0].end, off)
    v.set_unreachable()


def _call(v: BodyValidator, imm: Any, off: int) -> None:
    ft = v.func(imm, off)
    v.pop_vals(ft.params, off)
    v.vals.extend(ft.results)


def _call_indirect(v: BodyValidator, imm: Any, off: int) -> None:
    ti, table = imm
    if v.table(table, off).elem is not FUNCREF:
        raise v.err(f"type mismatch: call_indirect through table {table} which is not funcref", off)
    if not 0 <= ti < len(v.types):
        raise v.err(f"unknown type {ti}", off)
    ft = v.types[ti]
    v.pop(I32, off)
    v.pop_vals(ft.params, off)
    v.vals.extend(ft.results)


# ---- handlers: parametric, variables ------------------------------------------------------

def _drop(v: BodyValidator, imm: Any, off: int) -> None:
    v.pop(None, off)


def _select(v: BodyValidator, imm: Any, off: int) -> None:
    if imm is not None:
        if len(imm) != 1:
            raise v.err("invalid result arity: typed select takes exactly one type", off)
        t = imm[0]
        v.mv.check_valtype(t, off, v.func_index)
        v.pop(I32, off)
        v.pop(t, off)
        v.pop(t, off)
        v.vals.append(t)
        return
    v.pop(I32, off)
    t1 = v.pop(None, off)
    t2 = v.pop(None, off)
    # Untyped select is for numeric and vector operands only (the unknown type qualifies).
    if (t1 is not None and t1.is_ref) or (t2 is not None and t2.is_ref):
        raise v.err("type mismatch: select without a type needs numeric or vector operands", off)
    if t1 is not t2 and t1 is not None and t2 is not None:
        raise v.err(f"type mismatch: select operands {t2.text} and {t1.text}", off)
    v.vals.append(t2 if t1 is None else t1)


def _local_get(v: BodyValidator, imm: Any, off: int) -> None:
    v.vals.append(v.local(imm, off))


def _local_set(v: BodyValidator, imm: Any, off: int) -> None:
    v.pop(v.local(imm, off), off)


def _local_tee(v: BodyValidator, imm: Any, off: int) -> None:
    t = v.local(imm, off)
    v.pop(t, off)
    v.vals.append(t)


def _global_get(v: BodyValidator, imm: Any, off: int) -> None:
    v.vals.append(v.global_(imm, off).valtype)


def _global_set(v: BodyValidator, imm: Any, off: int) -> None:
    gt = v.global_(imm, off)
    if not gt.mutable:
        raise v.err(f"global is immutable: cannot global.set global {imm}", off)
    v.pop(gt.valtype, off)


# ---- handlers: references and tables ------------------------------------------------------

def _ref_null(v: BodyValidator, imm: Any, off: int) -> None:
    if not isinstance(imm, ValType) or not imm.is_ref:
        raise v.err(f"type mismatch: ref.null of a non-reference type {imm!r}", off)
    v.vals.append(imm)


def _ref_is_null(v: BodyValidator, imm: Any, off: int) -> None:
    t = v.pop(None, off)
    if t is not None and not t.is_ref:
        raise v.err(f"type mismatch: ref.is_null expects a reference, found {t.text}", off)
    v.vals.append(I32)


def _ref_func(v: BodyValidator, imm: Any, off: int) -> None:
    v.func(imm, off)
    if imm not in v.refs:
        raise v.err(f"undeclared function reference {imm}: it must appear in an element "
                    "segment, an export or a global initialiser", off)
    v.vals.append(FUNCREF)


def _table_get(v: BodyValidator, imm: Any, off: int) -> None:
    t = v.table(imm, off).elem
    v.pop(I32, off)
    v.vals.append(t)


def _table_set(v: BodyValidator, imm: Any, off: int) -> None:
    t = v.table(imm, off).elem
    v.pop(t, off)
    v.pop(I32, off)


def _table_size(v: BodyValidator, imm: Any, off: int) -> None:
    v.table(imm, off)
    v.vals.append(I32)


def _table_grow(v: BodyValidator, imm: Any, off: int) -> None:
    t = v.table(imm, off).elem
    v.pop(I32, off)
    v.pop(t, off)
    v.vals.append(I32)


def _table_fill(v: BodyValidator, imm: Any, off: int) -> None:
    t = v.table(imm, off).elem
    v.pop(I32, off)
    v.pop(t, off)
    v.pop(I32, off)


def _table_copy(v: BodyValidator, imm: Any, off: int) -> None:
    dst, src = imm
    dt, st = v.table(dst, off).elem, v.table(src, off).elem
    if dt is not st:
        raise v.err(f"type mismatch: table.copy from {st.text} table to {dt.text} table", off)
    v.pop_vals((I32, I32, I32), off)


def _table_init(v: BodyValidator, imm: Any, off: int) -> None:
    seg, table = imm
    tt = v.table(table, off).elem
    et = v.elem(seg, off)
    if tt is not et:
        raise v.err(f"type mismatch: table.init of {et.text} segment into {tt.text} table", off)
    v.pop_vals((I32, I32, I32), off)


def _elem_drop(v: BodyValidator, imm: Any, off: int) -> None:
    v.elem(imm, off)


# ---- handlers for ops with a fixed signature and indices or lanes to check ----------------

def _apply(v: BodyValidator, sig: tuple, off: int) -> None:
    v.pop_vals(sig[0], off)
    v.vals.extend(sig[1])


def _check_align(v: BodyValidator, align: int, max_align: int, off: int) -> None:
    if align > max_align:
        raise v.err(f"alignment must not be larger than natural (2**{align} > {1 << max_align})", off)


def _memarg_op(sig: tuple, max_align: int) -> Handler:
    def h(v: BodyValidator, imm: Any, off: int) -> None:
        v.memory(imm.memory, off)
        _check_align(v, imm.align, max_align, off)
        _apply(v, sig, off)
    return h


def _memarg_lane_op(sig: tuple, max_align: int, lanes: int) -> Handler:
    def h(v: BodyValidator, imm: Any, off: int) -> None:
        memarg, lane = imm
        v.memory(memarg.memory, off)
        _check_align(v, memarg.align, max_align, off)
        if not 0 <= lane < lanes:
            raise v.err(f"invalid lane index {lane} (must be below {lanes})", off)
        _apply(v, sig, off)
    return h


def _lane_op(sig: tuple, lanes: int) -> Handler:
    def h(v: BodyValidator, imm: Any, off: int) -> None:
        if not 0 <= imm < lanes:
            raise v.err(f"invalid lane index {imm} (must be below {lanes})", off)
        _apply(v, sig, off)
    return h


def _shuffle_op(sig: tuple) -> Handler:
    def h(v: BodyValidator, imm: Any, off: int) -> None:
        for lane in imm:
            if lane >= 32:
                raise v.err(f"invalid lane index {lane} (shuffle lanes must be below 32)", off)
        _apply(v, sig, off)
    return h


def _memory_op(sig: tuple) -> Handler:
    def h(v: BodyValidator, imm: Any, off: int) -> None:
        v.memory(imm, off)
        _apply(v, sig, off)
    return h


def _memory_copy_op(sig: tuple) -> Handler:
    def h(v: BodyValidator, imm: Any, off: int) -> None:
        dst, src = imm
        v.memory(dst, off)
        v.memory(src, off)
        _apply(v, sig, off)
    return h


def _memory_init_op(sig: tuple) -> Handler:
    def h(v: BodyValidator, imm: Any, off: int) -> None:
        data, mem = imm
        v.memory(mem, off)
        v.data(data, off)
        _apply(v, sig, off)
    return h


def _data_drop_op(sig: tuple) -> Handler:
    def h(v: BodyValidator, imm: Any, off: int) -> None:
        v.data(imm, off)
        _apply(v, sig, off)
    return h


_HANDLERS: dict[str, Handler] = {
    "unreachable": _unreachable, "block": _block, "loop": _loop, "if": _if, "else": _else,
    "end": _end, "br": _br, "br_if": _br_if, "br_table": _br_table, "return": _return,
    "call": _call, "call_indirect": _call_indirect, "drop": _drop, "select": _select,
    "local.get": _local_get, "local.set": _local_set, "local.tee": _local_tee,
    "global.get": _global_get, "global.set": _global_set,
    "ref.null": _ref_null, "ref.is_null": _ref_is_null, "ref.func": _ref_func,
    "table.get": _table_get, "table.set": _table_set, "table.size": _table_size,
    "table.grow": _table_grow, "table.fill": _table_fill, "table.copy": _table_copy,
    "table.init": _table_init, "elem.drop": _elem_drop,
}

# Immediates that carry nothing to check: the op is fully described by its signature.
_PLAIN_IMMS = {Imm.NONE, Imm.I32, Imm.I64, Imm.F32, Imm.F64, Imm.V128}


@lru_cache(maxsize=None)
def dispatch_tables(simd: bool) -> tuple[dict[str, tuple], dict[str, Handler]]:
    """(plain ops: name -> (params, results); other ops: name -> handler), per feature set."""
    plain: dict[str, tuple] = {}
    handlers: dict[str, Handler] = dict(_HANDLERS)
    for code, info in OPCODES.items():
        if isinstance(code, tuple) and code[0] == PREFIX_FD and not simd:
            continue
        if info.name in handlers:
            continue  # control, variable, table ops: handled above
        sig = info.sig
        imm = info.imm
        if sig is None:
            raise RuntimeError(f"validator has no rule for {info.name}")
        if imm in _PLAIN_IMMS:
            plain[info.name] = sig
        elif imm is Imm.MEMARG:
            handlers[info.name] = _memarg_op(sig, info.mem_size.bit_length() - 1)
        elif imm is Imm.MEMARG_LANE:
            handlers[info.name] = _memarg_lane_op(sig, info.mem_size.bit_length() - 1, info.lanes)
        elif imm is Imm.LANE:
            handlers[info.name] = _lane_op(sig, info.lanes)
        elif imm is Imm.SHUFFLE:
            handlers[info.name] = _shuffle_op(sig)
        elif imm is Imm.MEMORY:
            handlers[info.name] = _memory_op(sig)
        elif imm is Imm.MEMORY_COPY:
            handlers[info.name] = _memory_copy_op(sig)
        elif imm is Imm.MEMORY_INIT:
            handlers[info.name] = _memory_init_op(sig)
        elif imm is Imm.DATA:
            handlers[info.name] = _data_drop_op(sig)
        else:  # a new immediate kind in the opcode table needs a rule here
            raise RuntimeError(f"validator has no rule for {info.name} ({imm})")
    return plain, handlers
