"""Which bounds checks of a function body can be merged: a pre-scan of its instructions.

A *group* is a run of accesses to the same memory whose address operands hold the same
value (typically `local.get $p` of a local not written in between), inside one region
of straight-line code in which nothing observable can happen: no call, no memory.grow
or bulk memory op, no global.set or table op, no instruction that can trap with another
code (integer div/rem, non-saturating truncation, unreachable), no branch or block
boundary. The first access of a group (its *leader*) checks
`zext(addr) + max(offset + size over the group) <= length` once; the others are
*covered* and emit no check.

Why this is exact:
- Every covered access lies inside [addr, addr + max end), which the leader checked;
  offsets are >= 0 and the address is the same value.
- When the leader traps because a later member is out of bounds (though the leader
  itself is in bounds), the unbatched code would have trapped with the same code at
  that member or earlier, and everything between is pure (loads, arithmetic, locals):
  only a store could be observed, and a store closes every open group, so it is always
  the last member of its group and no covered access follows a store of any group
  before its own leader's check. So the trap happens before any store the unbatched
  code would not have made, and no store the unbatched code would have made is lost.

The scan simulates the operand stack symbolically: values are opaque ids, `local.get`
returns the id the local holds (fresh ids for locals not yet seen in the region),
`local.set`/`local.tee` give the local the stored id. At every region boundary the
simulation restarts with an empty stack and no known locals; pops below the region's
own pushes give fresh ids. An instruction the scan does not know ends the region.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Sequence

from aot.model import Instr, MemArg
from aot.opcodes import OPS_BY_NAME, PREFIX_FD
from aot.translate.ops.numeric import NUMERIC_OPS

_TRAPPING_NUMERIC = frozenset(
    op for op in NUMERIC_OPS
    if op.split(".", 1)[0] in ("i32", "i64")
    and any(op.split(".", 1)[1].startswith(p) for p in ("div_", "rem_", "trunc_f")))

_PURE_FIXED = frozenset(
    {"nop", "memory.size", "i32.const", "i64.const", "f32.const", "f64.const", "v128.const"}
    | (NUMERIC_OPS - _TRAPPING_NUMERIC)
    | {info.name for info in OPS_BY_NAME.values()
       if isinstance(info.code, tuple) and info.code[0] == PREFIX_FD
       and info.sig is not None and info.mem_size is None})
"""Ops with a fixed stack effect that never trap and have no effect besides their result."""


def _is_access(info) -> bool:
    return info.mem_size is not None and info.sig is not None and (
        ".load" in info.name or ".store" in info.name)


@dataclass(frozen=True)
class Check:
    """The plan for one access of a group. The leader (the access at position `leader`)
    checks `zext(addr) + group_end <= length`, `group_end` being the max `offset + size`
    over its group; a covered access emits no check. `own_end` is the access's own
    `offset + size` as the scan saw it (the lowering re-checks it against the size it
    actually accesses, and covered accesses rely only on a leader check it emitted)."""

    leader: int
    group_end: int
    own_end: int


def memarg_of(ins: Instr):
    """The MemArg of a load or store (lane ops carry (MemArg, lane))."""
    return ins.imm if isinstance(ins.imm, MemArg) else ins.imm[0]


def plan_checks(body: Sequence[Instr]) -> dict[int, Check]:
    """For each access position that is a leader of a group with other members, or a
    covered member: its Check. Accesses absent from the plan are checked on their own."""
    fresh = count()
    stack: list[int] = []
    local_ids: dict[int, int] = {}
    open_groups: dict[tuple[int, int], int] = {}  # (memory, address id) -> leader position
    ends: dict[int, int] = {}  # leader position -> group max end
    own_ends: dict[int, int] = {}  # leader position -> its own end
    covered: dict[int, tuple[int, int]] = {}  # position -> (leader, own end)

    def pop() -> int:
        return stack.pop() if stack else next(fresh)

    def barrier() -> None:
        stack.clear()
        local_ids.clear()
        open_groups.clear()

    for pos, ins in enumerate(body):
        op = ins.op
        if op == "local.get":
            v = local_ids.get(ins.imm)
            if v is None:
                v = local_ids[ins.imm] = next(fresh)
            stack.append(v)
        elif op == "local.set":
            local_ids[ins.imm] = pop()
        elif op == "local.tee":
            v = pop()
            local_ids[ins.imm] = v
            stack.append(v)
        elif op == "drop":
            pop()
        elif op == "select":
            pop(), pop(), pop()
            stack.append(next(fresh))
        elif op == "global.get":
            stack.append(next(fresh))
        elif op in _PURE_FIXED:
            params, results = OPS_BY_NAME[op].sig
            for _ in params:
                pop()
            stack.extend(next(fresh) for _ in results)
        else:
            info = OPS_BY_NAME.get(op)
            if info is None or not _is_access(info):
                barrier()
                continue
            params, results = info.sig
            operands = [pop() for _ in params]
            addr = operands[-1]  # the first operand: pushed first, popped last
            memarg = memarg_of(ins)
            own_end = memarg.offset + info.mem_size
            key = (memarg.memory, addr)
            leader = open_groups.get(key)
            if leader is None:
                open_groups[key] = pos
                ends[pos] = own_ends[pos] = own_end
            else:
                covered[pos] = (leader, own_end)
                ends[leader] = max(ends[leader], own_end)
            if ".store" in op:
                open_groups.clear()  # nothing after a store may be checked before it
            stack.extend(next(fresh) for _ in results)

    plan = {pos: Check(leader, ends[leader], own) for pos, (leader, own) in covered.items()}
    for leader in {leader for leader, _ in covered.values()}:
        plan[leader] = Check(leader, ends[leader], own_ends[leader])
    return plan


__all__ = ["Check", "plan_checks", "memarg_of"]
