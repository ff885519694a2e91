"""`python -m tests.spec`: run the spec suite, print a table per strategy, compare with
the known-failure lists, exit non-zero on any unexpected result."""
from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed

from . import known_failures as kf
from .wast import SuiteError, wast_files, wasm_tools
from .worker import DEFAULT_TIMEOUT, FileRun, run_isolated

UNEXPECTED_SHOWN = 20  # without --verbose, how many unexpected results to list per strategy


def _parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m tests.spec", description=__doc__)
    ap.add_argument("--strategy", choices=("guard", "bounds", "both"), default="both")
    ap.add_argument("--files", nargs="+", metavar="PATTERN",
                    help="only files whose name matches a glob or contains a substring")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-simd", dest="simd", action="store_false",
                    help="leave out the simd_*.wast files (run by default)")
    ap.add_argument("--simd", dest="simd", action="store_true", help=argparse.SUPPRESS)  # the default
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per file and strategy")
    ap.add_argument("--update-known-failures", action="store_true",
                    help="rewrite known_failures/<strategy>.txt from this run")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every failure with its message")
    return ap.parse_args(argv)


def _run_all(jobs: list, n_jobs: int, timeout: float) -> list[FileRun]:
    runs = []
    with ThreadPoolExecutor(max_workers=max(1, n_jobs)) as pool:
        futures = [pool.submit(run_isolated, wast, strategy, timeout) for wast, strategy in jobs]
        for done, fut in enumerate(as_completed(futures), 1):
            run = fut.result()
            runs.append(run)
            state = f"CRASH {run.crash}" if run.crash else "done"
            print(f"[{done:>3}/{len(jobs)}] {run.file} ({run.strategy}): {run.passed} passed, "
                  f"{run.failed} failed, {run.skipped} skipped, {run.seconds:.1f} s  {state}",
                  file=sys.stderr, flush=True)
    return runs


def _table(strategy: str, runs: list[FileRun], comparisons: dict[str, kf.Comparison]) -> None:
    width = max([len(r.file) for r in runs] + [10])
    print(f"\n== strategy: {strategy} ==")
    print(f"{'file':<{width}} {'passed':>7} {'failed':>7} {'skipped':>7}  status")
    for run in sorted(runs, key=lambda r: r.file):
        c = comparisons[run.file]
        status = "ok" if c.ok else "UNEXPECTED"
        if run.crash:
            crash = run.crash if len(run.crash) <= 100 else run.crash[:97] + "..."
            status += f" (crash: {crash})"
        print(f"{run.file:<{width}} {run.passed:>7} {run.failed:>7} {run.skipped:>7}  {status}")
    totals = [sum(getattr(r, k) for r in runs) for k in ("passed", "failed", "skipped")]
    crashes = sum(bool(r.crash) for r in runs)
    print(f"{'TOTAL':<{width}} {totals[0]:>7} {totals[1]:>7} {totals[2]:>7}  "
          f"{len(runs)} files, {crashes} crashed, "
          f"{sum(not c.ok for c in comparisons.values())} with unexpected results")


def main(argv=None) -> int:
    args = _parse_args(argv)
    try:
        files = wast_files(simd=args.simd, patterns=args.files)
        wasm_tools()
        strategies = ["guard", "bounds"] if args.strategy == "both" else [args.strategy]
        known = {s: kf.load(s) for s in strategies}
    except (SuiteError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not files:
        print(f"error: no spec files match {args.files}", file=sys.stderr)
        return 2

    # Biggest files first, so one long file does not start last and hold up the end.
    jobs = sorted(((f, s) for f in files for s in strategies), key=lambda j: -j[0].stat().st_size)
    runs = _run_all(jobs, args.jobs, args.timeout)

    unexpected = False
    for strategy in strategies:
        mine = [r for r in runs if r.strategy == strategy]
        comparisons = {r.file: kf.compare(r.file, r.results, r.crash, known[strategy]) for r in mine}
        _table(strategy, mine, comparisons)
        if args.verbose:
            for run in sorted(mine, key=lambda r: r.file):
                for r in run.results:
                    if r.status == "failed":
                        print(f"  FAIL {r.id(run.file)}: {r.message}")
        problems = [line for c in comparisons.values() if not c.ok for line in c.report().splitlines()]
        if problems and not args.update_known_failures:
            unexpected = True
            shown = problems if args.verbose else problems[:UNEXPECTED_SHOWN]
            print(f"\nunexpected results ({strategy}):")
            for line in shown:
                print(f"  {line}")
            if len(shown) < len(problems):
                print(f"  ... and {len(problems) - len(shown)} more (--verbose shows all)")
        if args.update_known_failures:
            new = kf.updated(known[strategy], {r.file: (r.results, r.crash) for r in mine})
            kf.list_path(strategy).parent.mkdir(parents=True, exist_ok=True)
            kf.list_path(strategy).write_text(kf.render(new.entries, new.crashing))
            print(f"wrote {kf.list_path(strategy)}: {len(new.entries)} commands, {len(new.crashing)} crashing files")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
