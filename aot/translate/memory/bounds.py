"""BOUNDS: trap MEMORY_OUT_OF_BOUNDS unless zext(addr) + offset + size <= LENGTH.

The sum is computed in i64 from three values below 2**32, so it cannot wrap. The check
runs before the access, so a trapping store writes nothing. BASE and LENGTH are loaded
from the VMMemory at each access (the base may move on grow; see base.py for why that
costs nothing when nothing can have changed). A dead load's check stays: it is a branch
to a call that does not return, which LLVM never deletes.

With `batch_checks` (the default) two optimisations keep every trap exactly where it was:
- accesses that share an address within a stretch of code where nothing observable
  happens are checked once, at the first of them, for the largest `offset + size` of
  the group (batching.py says which, and why that is exact);
- a simple counted loop (loops.py) is versioned: before it, one test decides whether
  all its affine accesses stay in bounds on every iteration; if so a copy of the loop
  without their checks runs, otherwise the ordinary checked copy.
"""
from __future__ import annotations

from llvmlite import ir

from aot.abi import MemoryStrategy, TrapCode

from ..irutils import I32, I64, byte_gep
from .base import MemoryAccess
from .batching import plan_checks
from .loops import Lin, LoopPlan, plan_loops

MAX_VERSIONED_BODY = 2000  # instructions: each versioned loop is translated twice


class BoundsMemory(MemoryAccess):
    strategy = MemoryStrategy.BOUNDS

    def __init__(self, batch_checks: bool = True):
        self.batch_checks = batch_checks

    def prepare_function(self, cx, code) -> None:
        cx.check_plan = plan_checks(code.body) if self.batch_checks else {}
        cx.group_checks = {}  # leader position -> the group end its check covered
        cx.loop_plans = plan_loops(code.body) if self.batch_checks else {}
        cx.unchecked = frozenset()  # positions proven in bounds (inside a fast loop copy)

    def effective_address(self, cx, index: int, addr: ir.Value, offset: int, size: int) -> ir.Value:
        b = cx.builder
        start = self.index64(cx, addr, offset)
        end = offset + size
        pos = cx._pos
        if pos in getattr(cx, "unchecked", ()):
            cx.group_checks.pop(pos, None)  # no group check here: its members check themselves
            return byte_gep(b, self.base(cx, index), start)
        check = getattr(cx, "check_plan", {}).get(pos)
        if check is not None and check.own_end == end:
            if check.leader != pos:
                if end <= cx.group_checks.get(check.leader, -1):
                    return byte_gep(b, self.base(cx, index), start)  # the leader checked it
            else:
                end = cx.group_checks[pos] = check.group_end
        limit = b.add(start, ir.Constant(I64, end - offset), flags=("nuw",))
        cx.trap_if(b.icmp_unsigned(">", limit, self.length(cx, index)), TrapCode.MEMORY_OUT_OF_BOUNDS)
        return byte_gep(b, self.base(cx, index), start)

    # ---- loop versioning ------------------------------------------------------------------
    def version_loop(self, cx, pos: int) -> int:
        plan = getattr(cx, "loop_plans", {}).get(pos)
        if plan is None or plan.end - plan.start > MAX_VERSIONED_BODY or cx.unchecked:
            return 0
        used = {x for lin in [plan.cond, *(a.address for a in plan.accesses)] for x, _ in lin.terms}
        if any(cx.local_types[x] != I32 for x in used):
            return 0
        b = cx.builder
        fast = self._all_in_bounds(cx, plan)
        fast_block, slow_block, join = cx.new_block(), cx.new_block(), cx.new_block()
        likely = cx.module.add_metadata(["branch_weights", ir.Constant(I32, 1 << 20), ir.Constant(I32, 1)])
        b.cbranch(fast, fast_block, slow_block).set_metadata("prof", likely)
        stack, depth = list(cx.stack), len(cx.frames)
        body = cx.code.body
        for block, unchecked in ((fast_block, frozenset(a.pos for a in plan.accesses)),
                                 (slow_block, frozenset())):
            b.position_at_end(block)
            cx.stack[:] = stack
            cx.unchecked = unchecked
            for p in range(plan.start, plan.end + 1):
                cx._pos = p
                cx.handlers[body[p].op](cx, body[p])
            if not cx.reachable or len(cx.frames) != depth or cx.stack != stack:
                raise AssertionError("a versioned loop must fall through with the stack it found")
            b.branch(join)
        cx.unchecked = frozenset()
        b.position_at_end(join)
        return plan.end + 1

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

    def _all_in_bounds(self, cx, plan: LoopPlan) -> ir.Value:
        """i1: every planned access of `plan` is in bounds on each of the loop's iterations."""
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
        ok = ir.Constant(ir.IntType(1), 1)
        if k:  # else cond never reaches 0 and the loop ends only by a trap: run the checked copy
            ok = b.icmp_unsigned("==", b.and_(c0, ir.Constant(I32, (1 << k) - 1)), ir.Constant(I32, 0))
        for a in plan.accesses:
            a0 = b.zext(self._value(cx, a.address, start), I64)
            length = self.length(cx, a.memory)
            span = b.mul(last, ir.Constant(I64, abs(a.step)), flags=("nuw",))
            if a.step >= 0:
                top = b.add(b.add(a0, span, flags=("nuw",)), ir.Constant(I64, a.end), flags=("nuw",))
                ok = b.and_(ok, b.icmp_unsigned("<=", top, length))
            else:
                top = b.add(a0, ir.Constant(I64, a.end), flags=("nuw",))
                ok = b.and_(ok, b.and_(b.icmp_unsigned(">=", a0, span), b.icmp_unsigned("<=", top, length)))
        return ok


