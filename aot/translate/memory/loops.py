"""Which accesses of a simple counted loop stay in bounds on every iteration: the
analysis behind loop versioning in the bounds strategy (bounds.py).

A loop qualifies when it has no params or results and its body is straight-line code
(no nested block/loop/if, no br/br_table/return/unreachable, no call, no memory.grow or
bulk memory op) ending with `br_if 0`. Values are tracked as affine forms mod 2**32 over
the locals' values at the start of an iteration. A local written in the body is an
induction variable (IV) when its value at the end of the body is its start value plus a
constant step; a local not written is invariant. An access whose address is affine in
invariants and IVs has address `wrap(A0 + j * S)` at iteration j (A0 computable before
the loop from the locals' values, S a constant). The value `br_if` tests must be affine
too: cond_j = wrap(C0 + j * D), D != 0 a constant. With D = 2**k * odd, it ever becomes
0 iff the low k bits of C0 are 0, and first at

    j* = (wrap(-C0) >> k) * inverse(odd) mod 2**(32-k),  so the body runs T = j* + 1 times.

The loop's accesses are all in bounds on all T iterations iff, for each of them,

    S >= 0:  zext(A0) + S * (T - 1) + end <= length
    S <  0:  zext(A0) >= -S * (T - 1)  and  zext(A0) + end <= length

(i64 arithmetic; then no address wraps), given that the low k bits of C0 are 0 (else the
loop can only end by a trap: the checked copy runs). Under that precondition a copy of
the loop without those checks is exact; otherwise the checked copy runs. Memory cannot
shrink, and nothing in the body can grow it, so the precondition holds for the whole loop.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from aot.model import Instr
from aot.opcodes import OPS_BY_NAME

from .batching import _PURE_FIXED, _TRAPPING_NUMERIC, _is_access, memarg_of

M32 = (1 << 32) - 1
MAX_STEP = 1 << 20
_BODY_OPS = _PURE_FIXED | _TRAPPING_NUMERIC | {
    "local.get", "local.set", "local.tee", "global.get", "global.set", "drop", "select"}


@dataclass(frozen=True)
class Lin:
    """const + sum(coeff * start value of local), mod 2**32."""

    terms: tuple[tuple[int, int], ...]  # sorted (local, coeff), coeff in 1..2**32-1
    const: int

    @staticmethod
    def make(terms: dict[int, int], const: int) -> "Lin":
        return Lin(tuple(sorted((x, c & M32) for x, c in terms.items() if c & M32)), const & M32)

    def add(self, other: "Lin", sign: int = 1) -> "Lin":
        t = dict(self.terms)
        for x, c in other.terms:
            t[x] = t.get(x, 0) + sign * c
        return Lin.make(t, self.const + sign * other.const)

    def scale(self, k: int) -> "Lin":
        return Lin.make({x: c * k for x, c in self.terms}, self.const * k)


def _signed(v: int) -> int:
    v &= M32
    return v - (1 << 32) if v >> 31 else v


@dataclass(frozen=True)
class LoopAccess:
    pos: int
    memory: int
    address: Lin  # in the locals' values at the start of the first iteration
    step: int  # S, signed
    end: int  # offset + size


@dataclass(frozen=True)
class LoopPlan:
    start: int  # position of `loop`
    end: int  # position of its `end`
    cond: Lin  # the br_if operand at iteration 0
    cond_step: int  # D, signed, not 0
    accesses: tuple[LoopAccess, ...]  # those provably affine; the others keep their checks
    ivs: dict  # local -> step


def _matching_end(body: Sequence[Instr], start: int) -> int | None:
    depth = 0
    for pos in range(start, len(body)):
        op = body[pos].op
        if op in ("block", "loop", "if"):
            depth += 1
        elif op == "end":
            depth -= 1
            if depth == 0:
                return pos
    return None


def analyse_loop(body: Sequence[Instr], start: int) -> LoopPlan | None:
    """The plan of the loop at `start`, or None when it does not qualify."""
    ins = body[start]
    if ins.op != "loop" or ins.imm is not None:
        return None
    end = _matching_end(body, start)
    if end is None or end - start < 2:
        return None
    last = body[end - 1]
    if last.op != "br_if" or last.imm != 0:
        return None
    stack: list[Lin | None] = []
    local_vals: dict[int, Lin | None] = {}
    seen: list[tuple[int, int, Lin | None, int]] = []

    def pop():
        return stack.pop() if stack else None

    def get(x):
        if x not in local_vals:
            local_vals[x] = Lin(((x, 1),), 0)
        return local_vals[x]

    for pos in range(start + 1, end - 1):
        i = body[pos]
        op = i.op
        if op == "local.get":
            stack.append(get(i.imm))
        elif op == "local.set":
            local_vals[i.imm] = pop()
        elif op == "local.tee":
            v = pop()
            local_vals[i.imm] = v
            stack.append(v)
        elif op == "drop":
            pop()
        elif op == "select":
            pop(), pop(), pop()
            stack.append(None)
        elif op == "global.get":
            stack.append(None)
        elif op == "global.set":
            pop()
        elif op == "i32.const":
            stack.append(Lin((), i.imm))
        elif op in ("i32.add", "i32.sub", "i32.mul", "i32.shl", "i32.ne"):
            b, a = pop(), pop()
            r = None
            if isinstance(a, Lin) and isinstance(b, Lin):  # not ("ne", ...): that is 0 or 1
                if op == "i32.add":
                    r = a.add(b)
                elif op in ("i32.sub", "i32.ne"):  # a != b tests a - b != 0
                    r = a.add(b, -1)
                elif op == "i32.mul" and not b.terms:
                    r = a.scale(b.const)
                elif op == "i32.mul" and not a.terms:
                    r = b.scale(a.const)
                elif op == "i32.shl" and not b.terms:
                    r = a.scale(1 << (b.const & 31))
            if op == "i32.ne" and r is not None:
                r = ("ne", r)
            stack.append(r)
        elif op in _BODY_OPS:
            params, results = OPS_BY_NAME[op].sig
            for _ in params:
                pop()
            stack.extend(None for _ in results)
        else:
            info = OPS_BY_NAME.get(op)
            if info is None or not _is_access(info):
                return None
            params, results = info.sig
            operands = [pop() for _ in params]
            addr = operands[-1]
            m = memarg_of(i)
            seen.append((pos, m.memory, addr if isinstance(addr, Lin) else None, m.offset + info.mem_size))
            stack.extend(None for _ in results)
    cond = pop()
    ne = isinstance(cond, tuple)
    if ne:
        cond = cond[1]
    if not isinstance(cond, Lin):
        return None
    ivs, varying = {}, set()
    for x, v in local_vals.items():
        if v == Lin(((x, 1),), 0):
            continue  # written back unchanged: invariant
        if isinstance(v, Lin) and v.terms == ((x, 1),):
            ivs[x] = _signed(v.const)
        else:
            varying.add(x)

    def step_of(lin: Lin) -> int | None:
        if any(x in varying for x, _ in lin.terms):
            return None
        s = _signed(sum(c * ivs.get(x, 0) for x, c in lin.terms))
        return s if abs(s) <= MAX_STEP else None

    d = step_of(cond)
    if not d:
        return None
    accesses = []
    for pos, mem, addr, e in seen:
        if addr is None:
            continue
        s = step_of(addr)
        if s is not None:
            accesses.append(LoopAccess(pos, mem, addr, s, e))
    if not accesses:
        return None
    return LoopPlan(start, end, cond, d, tuple(accesses), ivs)


def plan_loops(body: Sequence[Instr]) -> dict[int, LoopPlan]:
    """Every qualifying loop of a function body, by the position of its `loop`."""
    plans = {}
    for pos, ins in enumerate(body):
        if ins.op == "loop":
            p = analyse_loop(body, pos)
            if p is not None:
                plans[pos] = p
    return plans


__all__ = ["Lin", "LoopAccess", "LoopPlan", "analyse_loop", "plan_loops"]
