"""`python -m benchmarks report results.json`: markdown tables and a bar chart of ratios.

Tables (medians of pyperf's values; spread = interquartile range / median):
- programs x runners: median time, ratio to native, spread; geometric mean of ratios.
- embedding costs: median time per operation and runner.
- compile time: per -O level, total over all programs, and seconds per MB of Wasm.
The chart (PNG, matplotlib) shows each runner's ratio to native per program.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .runners import BASELINE, RUNNER_NAMES


@dataclass(frozen=True)
class Result:
    group: str
    item: str
    runner: str
    median: float  # seconds
    q1: float
    q3: float
    values: int

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median."""
        return (self.q3 - self.q1) / self.median if self.median else 0.0


def load(path: str | Path) -> tuple[list[Result], dict]:
    """The results in a pyperf JSON file, and the metadata common to its benchmarks."""
    import pyperf

    suite = pyperf.BenchmarkSuite.load(str(path))
    results, common = [], None
    for bench in suite.get_benchmarks():
        meta = bench.get_metadata()
        group, item, runner = meta.get("bench_group"), meta.get("bench_item"), meta.get("bench_runner")
        if not group:  # not one of ours: name it by its pyperf name
            group, item, runner = "other", bench.get_name(), "-"
        results.append(Result(group, item, runner, bench.median(), bench.percentile(25),
                              bench.percentile(75), bench.get_nvalue()))
        items = {k: v for k, v in meta.items()}
        common = items if common is None else {k: v for k, v in common.items() if items.get(k) == v}
    return results, common or {}


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            v = seconds / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    return "?"


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def _ordered(names, order) -> list[str]:
    known = [n for n in order if n in names]
    return known + sorted(n for n in names if n not in order)


def ratios(results: list[Result]) -> dict[str, dict[str, float]]:
    """{runner: {program: median / native median}} for programs measured natively."""
    progs = {(r.item, r.runner): r for r in results if r.group == "program"}
    out: dict[str, dict[str, float]] = {}
    for (item, runner), r in progs.items():
        base = progs.get((item, BASELINE))
        if base and runner != BASELINE:
            out.setdefault(runner, {})[item] = r.median / base.median
    return out


def program_table(results: list[Result]) -> str:
    progs = [r for r in results if r.group == "program"]
    if not progs:
        return ""
    from .catalog import PROGRAMS

    runners = _ordered({r.runner for r in progs}, RUNNER_NAMES)
    items = _ordered({r.item for r in progs}, [p.name for p in PROGRAMS])
    by = {(r.item, r.runner): r for r in progs}
    rat = ratios(results)
    lines = ["| program | " + " | ".join(runners) + " |",
             "| --- | " + " | ".join("---:" for _ in runners) + " |"]
    for item in items:
        cells = []
        for runner in runners:
            r = by.get((item, runner))
            if r is None:
                cells.append("-")
                continue
            ratio = rat.get(runner, {}).get(item)
            ratio_s = f" **{ratio:.2f}x**" if ratio is not None else ""
            cells.append(f"{fmt_time(r.median)}{ratio_s} ±{r.spread * 50:.0f}%")
        lines.append(f"| {item} | " + " | ".join(cells) + " |")
    gm = []
    for runner in runners:
        xs = list(rat.get(runner, {}).values())
        gm.append(f"**{geomean(xs):.2f}x** ({len(xs)})" if xs else ("1.00x" if runner == BASELINE else "-"))
    lines.append("| **geomean ratio** | " + " | ".join(gm) + " |")
    return "\n".join(lines)


def embed_table(results: list[Result]) -> str:
    rows = [r for r in results if r.group == "embed"]
    if not rows:
        return ""
    from .embed import OPS

    runners = _ordered({r.runner for r in rows}, RUNNER_NAMES)
    by = {(r.item, r.runner): r for r in rows}
    lines = ["| operation | " + " | ".join(runners) + " |",
             "| --- | " + " | ".join("---:" for _ in runners) + " |"]
    for op in _ordered({r.item for r in rows}, OPS):
        cells = [f"{fmt_time(by[op, rn].median)} ±{by[op, rn].spread * 50:.0f}%" if (op, rn) in by else "-"
                 for rn in runners]
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compile_table(results: list[Result], meta: dict) -> str:
    rows = [r for r in results if r.group == "compile"]
    if not rows:
        return ""
    size = meta.get("bench_compile_wasm_bytes")
    modules = meta.get("bench_compile_modules")
    lines = ["| compiler | all modules | per module | per MB of Wasm | spread |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for r in sorted(rows, key=lambda r: r.runner):
        per_module = fmt_time(r.median / modules) if modules else "-"
        per_mb = fmt_time(r.median / (size / 1e6)) if size else "-"
        lines.append(f"| {r.runner} | {fmt_time(r.median)} | {per_module} | {per_mb} | ±{r.spread * 50:.0f}% |")
    if size and modules:
        lines.append(f"\n{modules} modules, {size / 1e3:.1f} kB of Wasm in all (the programs and the "
                     "embedding module); our compiler: `--memory guard`, in one process, "
                     "including the link step.")
    return "\n".join(lines)


def markdown(results: list[Result], meta: dict) -> str:
    parts = []
    facts = [("CPU", meta.get("cpu_model_name")), ("CPUs", meta.get("cpu_count")),
             ("Python", meta.get("python_version")), ("platform", meta.get("platform")),
             ("clang", meta.get("bench_clang")), ("wasm2c", meta.get("bench_wasm2c")),
             ("wasmtime-py", meta.get("bench_wasmtime")), ("native flags", meta.get("bench_native_cflags")),
             ("skipped", meta.get("bench_skipped"))]
    parts.append("\n".join(f"- {k}: {v}" for k, v in facts if v))
    table = program_table(results)
    if table:
        parts.append("### Programs: median time, **ratio to native**, ± half the interquartile range\n\n" + table)
    table = embed_table(results)
    if table:
        parts.append("### Embedding costs (median per operation)\n\n" + table)
    table = compile_table(results, meta)
    if table:
        parts.append("### Compile time\n\n" + table)
    return "\n\n".join(parts) + "\n"


def chart(results: list[Result], png: str | Path) -> bool:
    """Bar chart of ratios to native, log scale. False when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")  # files only: no display on a server
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    from .catalog import PROGRAMS

    rat = ratios(results)
    if not rat:
        return False
    runners = _ordered(set(rat), RUNNER_NAMES)
    items = _ordered({i for r in rat.values() for i in r}, [p.name for p in PROGRAMS]) + ["geomean"]
    width = 0.8 / len(runners)
    fig, ax = plt.subplots(figsize=(max(8.0, len(items) * 0.8), 4.8))
    for k, runner in enumerate(runners):
        ys = [rat[runner].get(i, float("nan")) for i in items[:-1]]
        ys.append(geomean([y for y in ys if not math.isnan(y)]))
        xs = [i + (k - (len(runners) - 1) / 2) * width for i in range(len(items))]
        ax.bar(xs, ys, width, label=runner)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylabel(f"time / {BASELINE} time (log scale; lower is better)")
    ax.set_xticks(range(len(items)))
    ax.set_xticklabels(items, rotation=45, ha="right")
    # Above the axes: inside, it would hide the tallest bars.
    ax.legend(fontsize="small", ncol=min(len(runners), 6), loc="lower center", bbox_to_anchor=(0.5, 1.0),
              frameon=False)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(str(png), dpi=110)
    plt.close(fig)
    return True
