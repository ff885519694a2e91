"""The pyperf script: `python -m benchmarks.suite --build-dir DIR --phase PHASE [pyperf options]`.

`python -m benchmarks run` starts this (it builds first); pyperf then starts it again
for every worker process, with `--worker` options and the same `--build-dir`, `--phase`
and `--filter`. Each worker loads only the engine of the benchmark it measures.

Phases: `runtime` (programs and embedding costs: everything in one pyperf run, so ratios
between runners are measured under the same conditions) and `compile` (compile times;
each value takes seconds, so it runs with fewer processes).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pyperf

from .build import Layout
from .runners import RUNNER_NAMES, unavailable
from .specs import all_specs, compile_module_names, select

PHASES = {"runtime": ("program", "embed"), "compile": ("compile",)}


def _add_worker_args(cmd: list[str], args) -> None:
    cmd.extend(["--build-dir", args.build_dir, "--phase", args.phase])
    for f in args.filter or []:
        cmd.extend(["--filter", f])


class _Lazy:
    """Makes the timer on first use: only in the worker that runs this benchmark."""

    def __init__(self, spec, layout: Layout):
        self.spec, self.layout, self.fn = spec, layout, None

    def __call__(self, loops: int) -> float:
        if self.fn is None:
            self.fn = self.spec.make(self.layout)
        return self.fn(loops)


def skipped_runners() -> dict[str, str]:
    return {r: why for r in RUNNER_NAMES if (why := unavailable(r))}


def _metadata(layout: Layout, skipped: dict[str, str]) -> dict:
    meta = {}
    if layout.info.exists():
        info = json.loads(layout.info.read_text())
        for key in ("clang", "wasm2c", "wasmtime", "native_cflags", "wasm_cflags"):
            if info.get(key):
                meta[f"bench_{key}"] = str(info[key])
        sizes = info.get("wasm_bytes", {})
        names = compile_module_names()
        if all(n in sizes for n in names):
            meta["bench_compile_wasm_bytes"] = sum(sizes[n] for n in names)
            meta["bench_compile_modules"] = len(names)
    if skipped:
        meta["bench_skipped"] = "; ".join(f"{r}: {why}" for r, why in sorted(skipped.items()))
    return meta


def main() -> None:
    runner = pyperf.Runner(program_args=("-m", "benchmarks.suite"),
                           add_cmdline_args=_add_worker_args)
    runner.argparser.add_argument("--build-dir", required=True)
    runner.argparser.add_argument("--phase", choices=sorted(PHASES), required=True)
    runner.argparser.add_argument("--filter", action="append")
    args = runner.parse_args()
    layout = Layout(Path(args.build_dir))
    skipped = skipped_runners()
    runner.metadata.update(_metadata(layout, skipped))
    for spec in select(all_specs(), args.filter, skipped):
        if spec.group not in PHASES[args.phase]:
            continue
        runner.bench_time_func(spec.name, _Lazy(spec, layout), inner_loops=spec.inner_loops,
                               metadata=spec.metadata())


if __name__ == "__main__":
    sys.exit(main())
