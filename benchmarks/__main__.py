"""`python -m benchmarks run|report|check`.

    run     build what is needed, then measure with pyperf and print the report
            [--quick] [--filter NAME ...] [-o results.json] [--build-dir DIR] [-- pyperf options]
    report  print the markdown tables of a results file and write its bar chart
            results.json [--chart out.png]
    check   build, then run every program once at a small size with every runner and
            check that all checksums agree (no timing)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import build as build_mod
from .catalog import BY_NAME, PROGRAMS
from .runners import RUNNER_NAMES
from .specs import all_specs, compile_module_names, select
from .suite import skipped_runners

# --quick: enough values for a median, not for a claim. The full run uses pyperf's
# defaults (20 processes x 3 values) for the runtime phase.
QUICK_RUNTIME = ["--processes", "2", "--values", "3", "--warmups", "1"]
QUICK_COMPILE = ["--processes", "1", "--values", "2", "--warmups", "0", "--loops", "1"]
FULL_COMPILE = ["--processes", "3", "--values", "3", "--warmups", "1", "--loops", "1"]


def _log(msg: str) -> None:
    print(f"build: {msg}", file=sys.stderr, flush=True)


def _build_for(specs, layout: build_mod.Layout) -> dict[str, str]:
    """Build what `specs` need; returns the runners skipped for missing tools."""
    names = {s.item for s in specs if s.group == "program"}
    if any(s.group == "compile" for s in specs):
        names |= {n for n in compile_module_names() if n in BY_NAME}
    programs = [p for p in PROGRAMS if p.name in names]
    runners = {s.runner for s in specs if s.group == "program"}
    embed = any(s.group in ("embed", "compile") for s in specs)
    result = build_mod.build(layout, programs, runners, embed=embed, log=_log)
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.info.write_text(json.dumps(result.info, indent=1))
    return result.skipped


def _pyperf(layout: build_mod.Layout, phase: str, filters, out: Path, opts: list[str]) -> None:
    env = dict(os.environ)
    repo = str(build_mod.REPO)
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "benchmarks.suite", "--build-dir", str(layout.root), "--phase", phase,
           "-o", str(out)]
    for f in filters or []:
        cmd += ["--filter", f]
    inherit = [v for v in ("AOT_CACHE_DIR", "CLANG") if v in os.environ]
    if inherit:
        cmd += ["--inherit-environ", ",".join(inherit)]
    subprocess.run(cmd + opts, env=env, cwd=repo, check=True)


def cmd_run(args) -> int:
    import pyperf

    from . import report

    layout = build_mod.Layout(Path(args.build_dir).resolve())
    args.output = args.output or str(layout.root / "results.json")
    skipped = skipped_runners()
    for runner, why in sorted(skipped.items()):
        print(f"note: skipping runner {runner}: {why}", file=sys.stderr)
    specs = select(all_specs(), args.filter, skipped)
    if not specs:
        print("nothing matches the filter", file=sys.stderr)
        return 2
    _build_for(specs, layout)
    extra = args.pyperf_args
    with tempfile.TemporaryDirectory(dir=layout.root) as tmp:
        parts = []
        if any(s.group in ("program", "embed") for s in specs):
            parts.append(Path(tmp, "runtime.json"))
            _pyperf(layout, "runtime", args.filter, parts[-1], (QUICK_RUNTIME if args.quick else []) + extra)
        if any(s.group == "compile" for s in specs):
            parts.append(Path(tmp, "compile.json"))
            _pyperf(layout, "compile", args.filter, parts[-1], (QUICK_COMPILE if args.quick else FULL_COMPILE) + extra)
        suite = pyperf.BenchmarkSuite.load(str(parts[0]))
        for part in parts[1:]:
            for bench in pyperf.BenchmarkSuite.load(str(part)).get_benchmarks():
                suite.add_benchmark(bench)
        suite.dump(args.output, replace=True)
    results, meta = report.load(args.output)
    print(report.markdown(results, meta))
    png = Path(args.output).with_suffix(".png")
    if report.chart(results, png):
        print(f"chart: {png}")
    print(f"results: {args.output}")
    return 0


def cmd_report(args) -> int:
    from . import report

    results, meta = report.load(args.results)
    print(report.markdown(results, meta))
    png = Path(args.chart) if args.chart else Path(args.results).with_suffix(".png")
    if report.chart(results, png):
        print(f"chart: {png}")
    else:
        print("no chart: matplotlib is not installed (pip install -e '.[bench]')", file=sys.stderr)
    return 0


def cmd_check(args) -> int:
    from .verify import checksums

    layout = build_mod.Layout(Path(args.build_dir).resolve())
    skipped = skipped_runners()
    runners = [r for r in RUNNER_NAMES if r not in skipped]
    programs = [p for p in PROGRAMS if not args.filter or any(f in p.name for f in args.filter)]
    build_mod.build(layout, programs, set(runners), embed=False, log=_log)
    bad = 0
    for p in programs:
        got = checksums(layout, p.name, runners, p.smoke_n)
        ok = len(set(got.values())) == 1
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {p.name:10} n={p.smoke_n:<6} "
              + " ".join(f"{r}={v:#x}" for r, v in got.items()))
    for r, why in sorted(skipped.items()):
        print(f"skipped {r}: {why}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="build, measure everything with pyperf, print the report")
    r.add_argument("--quick", action="store_true", help="few pyperf processes and values (a smoke run)")
    r.add_argument("--filter", action="append", metavar="NAME",
                   help="only benchmarks whose name contains NAME (repeatable), e.g. matmul, "
                        "aot-bounds, embed/, compile/")
    r.add_argument("-o", "--output", help="pyperf JSON to write (default: results.json in the build dir, "
                                          "so nothing lands in the source tree by accident)")
    r.add_argument("--build-dir", default=str(build_mod.DEFAULT_BUILD_DIR))
    r.add_argument("pyperf_args", nargs="*", help="after --: options passed to pyperf, e.g. -- --rigorous")
    r.set_defaults(func=cmd_run)
    rep = sub.add_parser("report", help="markdown tables and a PNG chart from a results file")
    rep.add_argument("results")
    rep.add_argument("--chart", help="PNG to write (default: the results path with .png)")
    rep.set_defaults(func=cmd_report)
    c = sub.add_parser("check", help="every runner at a small size: do all checksums agree?")
    c.add_argument("--filter", action="append", metavar="NAME")
    c.add_argument("--build-dir", default=str(build_mod.DEFAULT_BUILD_DIR))
    c.set_defaults(func=cmd_check)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
