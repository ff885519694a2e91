"""Structured control flow: block, loop, if/else, end, br, br_if, br_table, return, unreachable.

Values carried by labels become phi nodes, built when the merge point is reached, from
the (values, predecessor block) pairs recorded by every branch to it. A `block` costs
nothing in IR unless something branches to its end. Loop headers get their phis when
the loop starts (back edges add incoming values later).

The operand stack is a Python list of SSA values; `Frame.height` is its size below the
frame's params. Code after br/return/unreachable is skipped by the translator, except
for block/loop/if/else/end, which keep the frame stack right ("dead" frames have no IR).
"""
from __future__ import annotations

import enum
from collections import Counter

from llvmlite import ir

from aot.abi import TrapCode

from ..irutils import I32, llvm_type


class Kind(enum.Enum):
    BLOCK = "block"
    LOOP = "loop"
    IF = "if"
    FUNC = "function"


class Frame:
    """One entry of the control stack."""

    __slots__ = ("kind", "params", "results", "height", "live", "end", "incoming",
                 "header", "phis", "else_block", "else_args", "has_else")

    def __init__(self, kind: Kind, params, results, height: int, live: bool):
        self.kind = kind
        self.params = params  # ValTypes
        self.results = results
        self.height = height
        self.live = live  # False: opened in unreachable code, no IR at all
        self.end: ir.Block | None = None  # merge block, made by the first branch to it
        self.incoming: list[tuple[list[ir.Value], ir.Block]] = []
        self.header: ir.Block | None = None  # loops: the branch target
        self.phis: list[ir.PhiInstr] = []
        self.else_block: ir.Block | None = None
        self.else_args: list[ir.Value] = []
        self.has_else = False

    @property
    def arity(self) -> int:
        """Number of values a branch to this frame's label carries."""
        return len(self.params if self.kind is Kind.LOOP else self.results)


def block_signature(cx, blocktype):
    """(params, results) of a block type: None, a ValType, or a type index."""
    if blocktype is None:
        return (), ()
    if isinstance(blocktype, int):
        ft = cx.env.wasm.types[blocktype]
        return ft.params, ft.results
    return (), (blocktype,)


def open_frame(cx, kind: Kind, blocktype) -> Frame:
    params, results = block_signature(cx, blocktype)
    f = Frame(kind, params, results, len(cx.stack) - len(params), cx.reachable)
    cx.frames.append(f)
    return f


def target(cx, f: Frame, args, edges: int = 1) -> ir.Block:
    """The block a branch to `f`'s label jumps to; records `args` for each of `edges` edges."""
    pred = cx.builder.block
    if f.kind is Kind.LOOP:
        for phi, v in zip(f.phis, args):
            for _ in range(edges):
                phi.add_incoming(v, pred)
        return f.header
    if f.end is None:
        f.end = cx.new_block()
    f.incoming.extend([(args, pred)] * edges)
    return f.end


def label_args(cx, f: Frame) -> list[ir.Value]:
    n = f.arity
    return cx.stack[len(cx.stack) - n:] if n else []


def jump(cx, f: Frame) -> None:
    """Unconditional branch to `f`'s label; the code after it is unreachable."""
    cx.builder.branch(target(cx, f, label_args(cx, f)))
    cx.reachable = False


def merge(cx, f: Frame) -> None:
    """Continue at `f`'s merge block with its results as phis (or the lone value)."""
    cx.builder.position_at_end(f.end)
    del cx.stack[f.height:]
    for i, vt in enumerate(f.results):
        first = f.incoming[0][0][i]
        if all(args[i] is first for args, _ in f.incoming):
            cx.stack.append(first)  # same value on every edge: it dominates the merge
            continue
        phi = cx.builder.phi(llvm_type(vt))
        for args, pred in f.incoming:
            phi.add_incoming(args[i], pred)
        cx.stack.append(phi)
    cx.reachable = True


def _block(cx, ins) -> None:
    open_frame(cx, Kind.BLOCK, ins.imm)


def _loop(cx, ins) -> None:
    f = open_frame(cx, Kind.LOOP, ins.imm)
    if not f.live:
        return
    pred = cx.builder.block
    f.header = cx.new_block()
    cx.builder.branch(f.header)
    cx.builder.position_at_end(f.header)
    for i, vt in enumerate(f.params):
        phi = cx.builder.phi(llvm_type(vt))
        phi.add_incoming(cx.stack[f.height + i], pred)
        cx.stack[f.height + i] = phi
        f.phis.append(phi)


def _if(cx, ins) -> None:
    if not cx.reachable:
        open_frame(cx, Kind.IF, ins.imm)
        return
    cond = cx.pop()
    f = open_frame(cx, Kind.IF, ins.imm)
    then, f.else_block = cx.new_block(), cx.new_block()
    f.else_args = cx.stack[f.height:]
    cx.builder.cbranch(cx.builder.icmp_unsigned("!=", cond, ir.Constant(I32, 0)), then, f.else_block)
    cx.builder.position_at_end(then)


def to_else(cx, f: Frame) -> None:
    """Leave the then-branch of live `if` frame `f` and start its else-branch."""
    if cx.reachable:
        jump(cx, f)
    del cx.stack[f.height:]
    cx.stack.extend(f.else_args)
    cx.builder.position_at_end(f.else_block)
    cx.reachable = True


def _else(cx, ins) -> None:
    f = cx.frames[-1]
    f.has_else = True
    if f.live:
        to_else(cx, f)


def _end(cx, ins) -> None:
    f = cx.frames.pop()
    if not f.live or f.kind is Kind.LOOP:
        return  # a loop's label is its start: `end` just falls through
    if f.kind is Kind.IF and not f.has_else:
        to_else(cx, f)  # the missing else passes the params through as results
    if f.incoming:
        if cx.reachable:
            jump(cx, f)
        merge(cx, f)
    if f.kind is Kind.FUNC and cx.reachable:
        cx.emit_return(cx.stack[f.height:])


def _br(cx, ins) -> None:
    jump(cx, cx.frames[-1 - ins.imm])


def _br_if(cx, ins) -> None:
    cond = cx.pop()
    f = cx.frames[-1 - ins.imm]
    cont = cx.new_block()
    taken = cx.builder.icmp_unsigned("!=", cond, ir.Constant(I32, 0))
    cx.builder.cbranch(taken, target(cx, f, label_args(cx, f)), cont)
    cx.builder.position_at_end(cont)


def _br_table(cx, ins) -> None:
    depths, default = ins.imm
    index = cx.stack.pop()
    frame = cx.frames[-1 - default]
    args = label_args(cx, frame)
    sw = cx.builder.switch(index, target(cx, frame, args))
    # one phi entry per edge: a target listed n times gets n entries
    blocks = {d: target(cx, cx.frames[-1 - d], args, n) for d, n in Counter(depths).items()}
    for i, d in enumerate(depths):
        sw.add_case(ir.Constant(I32, i), blocks[d])
    cx.reachable = False


def _return(cx, ins) -> None:
    jump(cx, cx.frames[0])


def _unreachable(cx, ins) -> None:
    cx.trap(TrapCode.UNREACHABLE)
    cx.reachable = False


def _nop(cx, ins) -> None:
    pass


HANDLERS = {
    "block": _block, "loop": _loop, "if": _if, "else": _else, "end": _end,
    "br": _br, "br_if": _br_if, "br_table": _br_table, "return": _return,
    "unreachable": _unreachable, "nop": _nop,
}
STRUCTURAL = frozenset({"block", "loop", "if", "else", "end"})
"""Handled even in unreachable code, to keep the control stack right."""
