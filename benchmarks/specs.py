"""Every benchmark of the suite as a `Spec`: its pyperf name, group, and how to time it.

Names are `program/<program>/<runner>`, `embed/<operation>/<runner>` and
`compile/<runner>`; `--filter` matches substrings of these names.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable

from . import embed
from .build import EMBED, Layout
from .catalog import PROGRAMS, Program
from .runners import RUNNER_NAMES, open_session

GROUPS = ("program", "embed", "compile")
COMPILE_RUNNERS = tuple(f"aot-O{level}" for level in embed.COMPILE_LEVELS) + ("wasmtime",)


@dataclass(frozen=True)
class Spec:
    name: str
    group: str
    item: str  # the program, embedding operation, or "all-programs" for compile
    runner: str
    make: Callable[[Layout], Callable[[int], float]]  # called in the worker, untimed
    inner_loops: int | None = None

    def metadata(self) -> dict:
        return {"bench_group": self.group, "bench_item": self.item, "bench_runner": self.runner}


def _program_timer(program: Program, runner: str) -> Callable[[Layout], Callable[[int], float]]:
    def make(layout: Layout) -> Callable[[int], float]:
        expected = json.loads(layout.expected.read_text())[program.name][str(program.n)]
        session = open_session(runner, layout, program.name)
        session.setup(program.n)

        def time_it(loops: int) -> float:
            total = 0.0
            for _ in range(loops):
                t0 = time.perf_counter()
                got = session.run()
                total += time.perf_counter() - t0
                if got != expected:  # a wrong answer fast is no result
                    raise RuntimeError(f"{program.name}/{runner}: checksum {got:#x}, "
                                       f"native gave {expected:#x}")
            return total
        return time_it
    return make


def all_specs() -> list[Spec]:
    specs = [Spec(f"program/{p.name}/{r}", "program", p.name, r, _program_timer(p, r))
             for p in PROGRAMS for r in RUNNER_NAMES]
    for op in embed.OPS:
        for r in embed.RUNNERS[op]:
            specs.append(Spec(f"embed/{op}/{r}", "embed", op, r,
                              lambda layout, op=op, r=r: embed.make(layout, op, r),
                              embed.INNER_LOOPS.get(op)))
    names = [p.name for p in PROGRAMS] + [EMBED]
    for r in COMPILE_RUNNERS:
        specs.append(Spec(f"compile/{r}", "compile", "all-programs", r,
                          lambda layout, r=r: embed.make_compile(layout, names, r)))
    return specs


def compile_module_names() -> list[str]:
    """The modules one `compile/...` loop compiles (its metadata gives their total size)."""
    return [p.name for p in PROGRAMS] + [EMBED]


def select(specs: list[Spec], filters: list[str] | None, skipped: dict[str, str]) -> list[Spec]:
    """Specs matching any filter (all without filters) whose runner is not skipped."""
    def runner_ok(s: Spec) -> bool:
        if s.group == "compile":
            return not (s.runner == "wasmtime" and "wasmtime" in skipped)
        return s.runner not in skipped

    return [s for s in specs if runner_ok(s) and (not filters or any(f in s.name for f in filters))]
