"""`python -m benchmarks.simd`: time the SIMD kernels with pyperf and print medians and ratios.

    python -m benchmarks.simd [--kernel NAME]... [--build-dir DIR] [pyperf options: --fast,
                              -p PROCESSES, -n VALUES, -o results.json, ...]

Builds what is stale, checks that every runner returns the native build's checksum,
then measures every (kernel, runner) pair in pyperf worker processes and prints one
table: median run() time, its spread, the ratio to native, and SIMD's speedup over the
scalar Wasm build under the same memory strategy.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import pyperf

from .build import BY_NAME, DEFAULT_BUILD_DIR, KERNELS, BuildError, build, clang_version
from .runners import BASELINE, RUNNERS, open_session

EXPECTED_FILE = "expected.json"
_sessions: dict = {}


def _expected_path(build_dir: Path) -> Path:
    return build_dir / EXPECTED_FILE


def _time_func(loops: int, kernel: str, runner: str, build_dir: str, n: int) -> float:
    """pyperf's time function, run in the worker processes: setup (once, untimed), then
    `loops` calls of run(), each checked against the native checksum."""
    key = (kernel, runner, n)
    session = _sessions.get(key)
    if session is None:
        expected = json.loads(_expected_path(Path(build_dir)).read_text())[f"{kernel}:{n}"]
        session = open_session(runner, BY_NAME[kernel], Path(build_dir))
        session.setup(n)
        _sessions[key] = session = (session, expected)
    session, expected = session
    t0 = time.perf_counter()
    for _ in range(loops):
        checksum = session.run()
    elapsed = time.perf_counter() - t0
    if checksum != expected:
        raise RuntimeError(f"{kernel} on {runner}: checksum {checksum:#x}, native gives {expected:#x}")
    return elapsed


def _verify(kernels, build_dir: Path, smoke: bool) -> None:
    """Build, run each kernel once on every runner, and record the checksum they agree on."""
    path = _expected_path(build_dir)
    expected = json.loads(path.read_text()) if path.is_file() else {}
    for k in kernels:
        build(k, build_dir)
        n = k.smoke_n if smoke else k.n
        sums = {}
        for r in RUNNERS:
            s = open_session(r, k, build_dir)
            s.setup(n)
            sums[r] = s.run()
        if len(set(sums.values())) != 1:
            raise SystemExit(f"{k.name}: runners disagree: " + ", ".join(f"{r}={c:#x}" for r, c in sums.items()))
        expected[f"{k.name}:{n}"] = sums[BASELINE]
    path.write_text(json.dumps(expected, indent=1, sort_keys=True))


def machine() -> str:
    """One line about this machine and the tools."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import llvmlite.binding as llvm
    return (f"{cpu} ({llvm.get_host_cpu_name()}), {os.cpu_count()} logical CPUs, {platform.system()} "
            f"{platform.release()}; {clang_version()}; Python {platform.python_version()}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}"


def report(results: dict, kernels) -> str:
    """The table: per kernel and runner, the median, the interquartile range, the ratio to
    native and SIMD's speedup over the scalar Wasm build (same strategy)."""
    lines = [f"{'kernel':<9} {'runner':<14} {'median ms':>10} {'IQR ms':>17} {'stdev':>7} "
             f"{'vs native':>10} {'SIMD speedup':>13}"]
    for k in kernels:
        medians = {r: results[k.name, r].median() for r in RUNNERS if (k.name, r) in results}
        for r in RUNNERS:
            bench = results.get((k.name, r))
            if bench is None:
                continue
            values = bench.get_values()
            q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
            stdev = f"{bench.stdev() / bench.mean() * 100:.1f}%" if len(values) > 1 else "-"
            ratio = f"{medians[r] / medians[BASELINE]:.2f}x" if BASELINE in medians else "-"
            speedup = "-"
            if r.startswith("simd-") and r.replace("simd", "scalar") in medians:
                speedup = f"{medians[r.replace('simd', 'scalar')] / medians[r]:.2f}x"
            lines.append(f"{k.name:<9} {r:<14} {_ms(medians[r]):>10} {_ms(q1) + '-' + _ms(q3):>17} "
                         f"{stdev:>7} {ratio:>10} {speedup:>13}")
    return "\n".join(lines)


def _forward(cmd: list, args) -> None:
    """Pass our options on to pyperf's worker processes."""
    for name in args.kernel or []:
        cmd.extend(["--kernel", name])
    cmd.extend(["--build-dir", str(args.build_dir)])
    if args.smoke:
        cmd.append("--smoke")


def main() -> int:
    # Modest defaults for a shared machine; pyperf's -p/-n/--rigorous/--fast override them.
    runner = pyperf.Runner(processes=6, values=3, warmups=1, min_time=0.2,
                           program_args=("-m", "benchmarks.simd"), add_cmdline_args=_forward)
    runner.argparser.add_argument("--kernel", action="append", choices=sorted(BY_NAME),
                                  help="only this kernel (repeatable)")
    runner.argparser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR)
    runner.argparser.add_argument("--smoke", action="store_true",
                                  help="tiny inputs: checks the pipeline, measures nothing useful")
    args = runner.parse_args()
    kernels = [BY_NAME[n] for n in args.kernel] if args.kernel else list(KERNELS)
    if not args.worker:
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
        try:
            _verify(kernels, args.build_dir, args.smoke)
        except BuildError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    results = {}
    for k in kernels:
        n = k.smoke_n if args.smoke else k.n
        for r in RUNNERS:
            bench = runner.bench_time_func(f"{k.name}/{r}", _time_func, k.name, r, str(args.build_dir), n)
            if bench is not None:
                results[k.name, r] = bench
    if not args.worker and results:
        print()
        print(report(results, kernels))
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (other work on the machine "
              "makes the spread wider)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
