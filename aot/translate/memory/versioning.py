"""Loop versioning, shared by every memory strategy: a simple counted loop (loops.py) is
translated twice, and one test before it picks the copy that runs.

The test: the loop's exit test will become 0 (so it runs T = last + 1 times) and every
affine access stays inside the memory's current length on all T iterations (the
precondition loops.py derives, exact mod 2**32). Under it the fast copy is exact:

- its affine accesses can neither fault nor need a check, so BOUNDS drops their checks
  and GUARD has no access that could fault out of order once LLVM vectorises;
- no address wraps, so the fast copy computes each affine access's index in i64 from a
  counter of its own, `zext(A0) + j * S` (+ offset), instead of `zext(wrap(A0 + j*S))`,
  and exits when that counter reaches `last`, instead of on the Wasm test. The Wasm
  values are still computed (locals keep their meaning after the loop) but no longer
  feed an address, so LLVM sees consecutive accesses and a known trip count: the loop
  can be vectorised and unrolled like C compiled natively, which the wrapping i32
  arithmetic forbids.

Otherwise (precondition false: the loop will trap, run forever, or wrap an address) the
ordinary copy runs, with the strategy's usual addressing. Memory cannot shrink and
nothing in a simple loop's body can grow it, so a precondition tested once holds
throughout.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from llvmlite import ir

from ..irutils import I1, I32, I64
from .loops import Lin, LoopPlan, _signed, plan_loops

MAX_VERSIONED_BODY = 2000  # instructions: each versioned loop is translated two or three times
MAX_ALIAS_GROUPS = 8  # distinct bases: pairwise tests grow quadratically


@dataclass
class FastLoop:
    """State of the fast copy being translated: where its counter lives, its last value,
    and the i64 start index and step of each affine access (by body position)."""

    counter: ir.AllocaInstr
    last: ir.Value
    exit_pos: int
    start: dict  # position -> zext(A0), i64
    step: dict  # position -> S
    scopes: dict | None = None  # position -> (alias.scope, noalias) metadata, when proven


class LoopVersioning:
    """Mixin for MemoryAccess subclasses: versions simple counted loops. `versioning`
    turns it off (the plain lowering, for comparison)."""

    versioning = True

    def plan_versions(self, cx, code) -> None:
        """Called by prepare_function: find the loops to version."""
        cx.loop_plans = plan_loops(code.body) if self.versioning else {}
        cx.fast_loop = None

    @staticmethod
    def in_fast_copy(cx) -> bool:
        """Whether the current access is an affine access of a fast loop copy (proven in
        bounds)."""
        fl = getattr(cx, "fast_loop", None)
        return fl is not None and cx._pos in fl.start

    def fast_index(self, cx, offset: int) -> ir.Value | None:
        """The i64 index (zext(addr) + offset) of the current access when it is an affine
        access of a fast loop copy (then it is in bounds), else None."""
        if not self.in_fast_copy(cx):
            return None
        fl, b = cx.fast_loop, cx.builder
        j = b.load(fl.counter, typ=I64)
        s = fl.step[cx._pos]
        span = b.mul(j, ir.Constant(I64, abs(s)), flags=("nuw", "nsw"))
        a0 = fl.start[cx._pos]
        idx = b.add(a0, span, flags=("nuw", "nsw")) if s >= 0 else b.sub(a0, span, flags=("nuw", "nsw"))
        # offset < 2**32 and idx + offset <= length <= 2**32: no wrap either way
        return b.add(idx, ir.Constant(I64, offset), flags=("nuw", "nsw")) if offset else idx

    def version_loop(self, cx, pos: int) -> int:
        plan = getattr(cx, "loop_plans", {}).get(pos)
        if plan is None or plan.end - plan.start > MAX_VERSIONED_BODY or cx.fast_loop is not None:
            return 0
        used = {x for lin in [plan.cond, *(a.address for a in plan.accesses)] for x, _ in lin.terms}
        if any(cx.local_types[x] != I32 for x in used):
            return 0
        b = cx.builder
        pre = self._precondition(cx, plan)
        counter = cx.hoisted(("loop counter", pos), lambda e: e.alloca(I64))
        steps = {a.pos: a.step for a in plan.accesses}
        fast = FastLoop(counter, pre.last, plan.end - 1, pre.starts, steps)
        copies = []  # (condition or None for "otherwise", FastLoop or None)
        if pre.scopes is not None:
            copies.append((b.and_(pre.in_bounds, pre.disjoint), replace(fast, scopes=pre.scopes)))
        copies += [(pre.in_bounds, fast), (None, None)]
        likely = cx.module.add_metadata(["branch_weights", ir.Constant(I32, 1 << 20), ir.Constant(I32, 1)])
        stack, depth = list(cx.stack), len(cx.frames)
        body = cx.code.body
        join = cx.new_block()
        for cond, fl in copies:
            if cond is not None:
                block, other = cx.new_block(), cx.new_block()
                b.cbranch(cond, block, other).set_metadata("prof", likely)
                b.position_at_end(block)
            if fl is not None:
                b.store(ir.Constant(I64, 0), counter)
            cx.stack[:] = stack
            cx.fast_loop = fl
            for p in range(plan.start, plan.end + 1):
                cx._pos = p
                if fl is not None and p == fl.exit_pos:
                    self._count_and_exit(cx, fl)
                mark = (b.block, len(b.block.instructions))
                cx.handlers[body[p].op](cx, body[p])
                if fl is not None and fl.scopes and p in fl.scopes:
                    _tag_accesses(b, mark, fl.scopes[p])
            if not cx.reachable or len(cx.frames) != depth or cx.stack != stack:
                raise AssertionError("a versioned loop must fall through with the stack it found")
            b.branch(join)
            if cond is not None:
                b.position_at_end(other)
        cx.fast_loop = None
        b.position_at_end(join)
        return plan.end + 1

    @staticmethod
    def _count_and_exit(cx, fl: FastLoop) -> None:
        """Before the fast copy's `br_if 0`: replace its operand by `counter != last` and
        advance the counter. Equal by the precondition; the Wasm test becomes dead."""
        b = cx.builder
        cx.pop()
        j = b.load(fl.counter, typ=I64)
        b.store(b.add(j, ir.Constant(I64, 1), flags=("nuw", "nsw")), fl.counter)
        cx.stack.append(b.zext(b.icmp_unsigned("!=", j, fl.last), I32))

    @staticmethod
    def _value(cx, lin: Lin, start: dict) -> ir.Value:
        """`lin` (i32, mod 2**32) from the locals' values before the loop."""
        b = cx.builder
        v = ir.Constant(I32, lin.const)
        for x, c in lin.terms:
            if x not in start:
                start[x] = b.load(cx.locals[x], typ=I32)
            term = start[x] if c == 1 else b.mul(start[x], ir.Constant(I32, c))
            v = b.add(v, term)
        return v

    def _precondition(self, cx, plan: LoopPlan) -> "_Precondition":
        b = cx.builder
        start: dict = {}
        c0 = self._value(cx, plan.cond, start)
        # the body runs T times, T - 1 = `last` = the first j with wrap(C0 + j*D) == 0
        d = plan.cond_step & 0xFFFFFFFF
        k = (d & -d).bit_length() - 1
        mask = (1 << (32 - k)) - 1
        neg = b.sub(ir.Constant(I32, 0), c0)
        j = b.mul(b.lshr(neg, ir.Constant(I32, k)), ir.Constant(I32, pow(d >> k, -1, 1 << (32 - k))))
        last = b.zext(b.and_(j, ir.Constant(I32, mask)), I64)
        ok = ir.Constant(I1, 1)
        if k:  # else cond never reaches 0 and the loop ends only by a trap: run the ordinary copy
            ok = b.icmp_unsigned("==", b.and_(c0, ir.Constant(I32, (1 << k) - 1)), ir.Constant(I32, 0))
        # zext(A0) as zext(wrap(terms)) + signed const: accesses that differ by a constant
        # (an unrolled body, a struct's fields) then share one base and LLVM sees them as
        # adjacent. Exact when the sum is in [0, 2**32), which the tests below imply.
        starts, bases = {}, {}
        groups: dict = {}  # (memory, terms) -> [positions, low, top, stores]
        zero = ir.Constant(I64, 0)
        for a in plan.accesses:
            base = bases.get(a.address.terms)
            if base is None:
                base = bases[a.address.terms] = b.zext(self._value(cx, Lin(a.address.terms, 0), start), I64)
            c = _signed(a.address.const)
            a0 = starts[a.pos] = b.add(base, ir.Constant(I64, c), flags=("nsw",)) if c else base
            length = self.length(cx, a.memory)
            span = b.mul(last, ir.Constant(I64, abs(a.step)), flags=("nuw", "nsw"))
            if a.step >= 0:
                low = a0
                top = b.add(b.add(a0, span, flags=("nsw",)), ir.Constant(I64, a.end), flags=("nsw",))
            else:
                low = b.sub(a0, span, flags=("nsw",))
                top = b.add(a0, ir.Constant(I64, a.end), flags=("nsw",))
            ok = b.and_(ok, b.and_(b.icmp_signed(">=", low, zero), b.icmp_signed("<=", top, length)))
            g = groups.setdefault((a.memory, a.address.terms), [[], None, None, False])
            g[0].append(a.pos)
            g[1] = low if g[1] is None else _smin(b, g[1], low)
            g[2] = top if g[2] is None else _smax(b, g[2], top)
            g[3] = g[3] or _is_store(cx.code.body[a.pos])
        disjoint, scopes = self._disjoint(cx, plan, groups)
        return _Precondition(ok, disjoint, last, starts, scopes)

    @staticmethod
    def _disjoint(cx, plan: LoopPlan, groups: dict):
        """(i1, {position: (scope, noalias)}) or (None, None): accesses with different
        bases touch disjoint byte ranges wherever one of them stores, so each group may
        be told it aliases no other. LLVM's own runtime alias checks treat an unrolled
        body's neighbours (p, p + 8) as separate pointers and always fail; ours group
        them, so the loop vectorises."""
        keys = list(groups)
        if len(keys) < 2 or len(keys) > MAX_ALIAS_GROUPS:
            return None, None
        b = cx.builder
        cond = ir.Constant(I1, 1)
        for i, ka in enumerate(keys):
            for kb in keys[i + 1:]:
                ga, gb = groups[ka], groups[kb]
                if ka[0] != kb[0] or not (ga[3] or gb[3]):
                    continue  # different memories never alias; two readers need not be apart
                apart = b.or_(b.icmp_signed("<=", ga[2], gb[1]), b.icmp_signed("<=", gb[2], ga[1]))
                cond = b.and_(cond, apart)
        name = f"aot.f{cx.func_index}.loop{plan.start}"
        domain = cx.module.add_metadata([ir.MetaDataString(cx.module, name)])
        scope = [cx.module.add_metadata([ir.MetaDataString(cx.module, f"{name}.g{i}"), domain])
                 for i in range(len(keys))]
        tags = {}
        for i, key in enumerate(keys):
            mine = cx.module.add_metadata([scope[i]])
            others = cx.module.add_metadata([s for n, s in enumerate(scope) if n != i])
            for p in groups[key][0]:
                tags[p] = (mine, others)
        return cond, tags


@dataclass
class _Precondition:
    in_bounds: ir.Value  # i1: the loop ends and every affine access stays in bounds
    disjoint: ir.Value | None  # i1: the access groups do not overlap (None: not asked)
    last: ir.Value  # i64: T - 1
    starts: dict  # position -> i64 zext(A0)
    scopes: dict | None  # position -> (alias.scope, noalias), valid where `disjoint`


def _smin(b, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)


def _smax(b, x, y):
    return b.select(b.icmp_signed(">", x, y), x, y)


def _is_store(ins) -> bool:
    return ".store" in ins.op


def _tag_accesses(b, mark, tags) -> None:
    """Put the alias scope tags on the loads and stores emitted since `mark`."""
    block, n = mark
    new = block.instructions[n:] if block is b.block else block.instructions[n:] + b.block.instructions
    scope, noalias = tags
    for ins in new:
        if isinstance(ins, (ir.LoadInstr, ir.StoreInstr)):
            ins.set_metadata("alias.scope", scope)
            ins.set_metadata("noalias", noalias)


__all__ = ["LoopVersioning", "FastLoop", "MAX_VERSIONED_BODY"]
