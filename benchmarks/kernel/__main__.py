"""`python -m benchmarks.kernel`: what a Wasm-to-Wasm call through the kernel costs.

    python -m benchmarks.kernel [--quick] [--build-dir DIR] [pyperf options: -p PROCESSES,
                                -n VALUES, --rigorous, -o results.json, ...]

A client plugin calls the server's `op(cap c, i32 a, i32 b) -> i32` N times in a loop
(one Python -> Wasm entry per N calls). The client is linked to the server three ways:
`direct` (the export itself, no translation: the baseline), `generic` (the run-time
translator) and `specialised` (the generated one), under both memory strategies, all
in one pyperf run; every value is per inner call (pyperf's inner_loops = N). `op_badge`
is the same call plus a handle_badge syscall on the cap in the server.

Prints one table: ns per call, its spread, the overhead over direct, and whether the
specialised translator stays within the target (50 ns per call).
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
from pathlib import Path

import pyperf

from .build import DEFAULT_BUILD_DIR, BuildError, build, clang_version
from .session import BASELINE, MODES, OPS, STRATEGIES, expected_checksum, open_session

N = 100_000
"""Inner calls per loop() call: the Python -> Wasm entry (a few µs) is then < 0.1 ns per call."""
SMOKE_N = 1000
TARGET_NS = 50.0
"""The issue's target: the specialised translator adds less than this per call."""

_sessions: dict = {}


def bench_name(op: str, strategy: str, mode: str) -> str:
    return f"kernel/{op}/{strategy}/{mode}"


def _time_func(loops: int, strategy: str, mode: str, op: str, n: int, build_dir: str) -> float:
    """pyperf's time function, run in the worker processes: `loops` calls of the client's
    loop(n, cap); each call's checksum is checked."""
    session = _sessions.get((strategy, mode))
    if session is None:
        session = _sessions[strategy, mode] = open_session(strategy, Path(build_dir), modes=(mode,))
    elapsed, checksum = session.time(mode, op, n, loops)
    if checksum != expected_checksum(op, n):
        raise RuntimeError(f"{op} via {mode} ({strategy}): checksum {checksum}, "
                           f"expected {expected_checksum(op, n)}")
    return elapsed


def verify(build_dir: Path, n: int = SMOKE_N) -> dict:
    """Build, then run every (op, strategy, mode) once: {(op, strategy, mode): checksum}.
    Raises SystemExit if a checksum is wrong (the modes must agree)."""
    build(build_dir)
    sums = {}
    for strategy in STRATEGIES:
        s = open_session(strategy, build_dir)
        try:
            for op in OPS:
                for mode in MODES:
                    sums[op, strategy, mode] = s.call(mode, op, n)
        finally:
            s.close()
    bad = {key: c for key, c in sums.items() if c != expected_checksum(key[0], n)}
    if bad:
        raise SystemExit("wrong checksums: " + ", ".join(f"{'/'.join(k)}={c}" for k, c in bad.items()))
    return sums


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
    return (f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}; "
            f"{clang_version()}; Python {platform.python_version()}")


def _ns(seconds: float) -> str:
    return f"{seconds * 1e9:.2f}"


def report(results: dict) -> str:
    """The table: per op, strategy and mode, the median ns per call, the interquartile
    range and stdev, and the overhead over direct (ns and ratio); then the target."""
    lines = [f"{'call':<9} {'memory':<7} {'link':<12} {'median ns':>10} {'IQR ns':>15} "
             f"{'stdev ns':>9} {'over direct':>12} {'ratio':>7}"]
    verdicts = []
    for op in OPS:
        for strategy in STRATEGIES:
            medians = {m: results[op, strategy, m].median() for m in MODES if (op, strategy, m) in results}
            for mode in MODES:
                bench = results.get((op, strategy, mode))
                if bench is None:
                    continue
                values = bench.get_values()
                q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
                stdev = _ns(bench.stdev()) if len(values) > 1 else "-"
                over = ratio = "-"
                if mode != BASELINE and BASELINE in medians:
                    over = f"{(medians[mode] - medians[BASELINE]) * 1e9:+.2f}"
                    ratio = f"{medians[mode] / medians[BASELINE]:.2f}x"
                lines.append(f"{op:<9} {strategy:<7} {mode:<12} {_ns(medians[mode]):>10} "
                             f"{_ns(q1) + '-' + _ns(q3):>15} {stdev:>9} {over:>12} {ratio:>7}")
            if op == "op" and "specialised" in medians and BASELINE in medians:
                added = (medians["specialised"] - medians[BASELINE]) * 1e9
                verdicts.append(f"  {strategy}: specialised adds {added:.2f} ns per call "
                                f"({'met' if added < TARGET_NS else 'NOT met'})")
    if verdicts:
        lines += ["", f"target: the specialised translator adds < {TARGET_NS:.0f} ns per call "
                  "(op: one cap, two ints)", *verdicts]
    return "\n".join(lines)


def _forward(cmd: list, args) -> None:
    """Pass our options on to pyperf's worker processes."""
    cmd.extend(["--build-dir", str(args.build_dir), "-N", str(args.inner)])
    for op in args.op or []:
        cmd.extend(["--op", op])


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    if quick:
        sys.argv.remove("--quick")
    # Modest defaults for a shared machine; pyperf's -p/-n/--rigorous/--fast override them.
    runner = pyperf.Runner(processes=2 if quick else 6, values=2 if quick else 3, warmups=1,
                           min_time=0.05 if quick else 0.1,
                           program_args=("-m", "benchmarks.kernel"), add_cmdline_args=_forward)
    ap = runner.argparser
    ap.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR)
    ap.add_argument("-N", "--inner", type=int, default=N,
                    help=f"op calls per loop() call (default {N})")
    ap.add_argument("--op", action="append", choices=sorted(OPS),
                    help="only this server function (repeatable; default: all)")
    ap.epilog = "--quick: 2 processes x 2 values per benchmark, a smoke run on a busy machine."
    args = runner.parse_args()
    ops = args.op or list(OPS)
    if not args.worker:
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
        try:
            verify(args.build_dir)
        except BuildError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    results = {}
    for op in ops:
        for strategy in STRATEGIES:
            for mode in MODES:
                bench = runner.bench_time_func(bench_name(op, strategy, mode), _time_func, strategy,
                                               mode, op, args.inner, str(args.build_dir),
                                               inner_loops=args.inner)
                if bench is not None:
                    results[op, strategy, mode] = bench
    if not args.worker and results:
        print()
        print(report(results))
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (other work on the machine "
              "makes the spread wider)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
