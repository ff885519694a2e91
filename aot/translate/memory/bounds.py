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
- a simple counted loop (loops.py) is versioned (versioning.py): before it, one test
  decides whether all its affine accesses stay in bounds on every iteration; if so a
  copy of the loop without their checks runs, otherwise the ordinary checked copy.
"""
from __future__ import annotations

from llvmlite import ir

from aot.abi import MemoryStrategy, TrapCode

from ..irutils import I64, byte_gep
from .base import MemoryAccess
from .batching import plan_checks
from .versioning import LoopVersioning


class BoundsMemory(LoopVersioning, MemoryAccess):
    strategy = MemoryStrategy.BOUNDS

    def __init__(self, batch_checks: bool = True):
        self.batch_checks = self.versioning = batch_checks

    def prepare_function(self, cx, code) -> None:
        cx.check_plan = plan_checks(code.body) if self.batch_checks else {}
        cx.group_checks = {}  # leader position -> the group end its check covered
        self.plan_versions(cx, code)

    def effective_address(self, cx, index: int, addr: ir.Value, offset: int, size: int) -> ir.Value:
        b = cx.builder
        pos = cx._pos
        fast = self.fast_index(cx, offset)
        if fast is not None:  # in a fast loop copy: proven in bounds
            cx.group_checks.pop(pos, None)  # no group check here: its members check themselves
            return byte_gep(b, self.base(cx, index), fast)
        start = self.index64(cx, addr, offset)
        end = offset + size
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
