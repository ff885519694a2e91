"""`python -m benchmarks.fractal`: time fractal rendering with pyperf and print the ratios.

    python -m benchmarks.fractal [--fractal mandelbrot|julia|burning_ship] [--size WxH]
                                 [--runner NAME]... [--build-dir DIR] [pyperf options: --fast, -p PROCESSES,
                                 -n VALUES, -o results.json, ...]

Builds what is stale, checks that every configuration draws the native build's image,
then measures one whole render per value (tiles, colouring, copies into the image) for
every configuration in pyperf worker processes, and prints medians, the 2-thread
speedup of each engine, and each engine's time against native at the same thread count.
"""
from __future__ import annotations

import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

import pyperf

from examples.fractal.build import FRACTALS, BuildError
from examples.fractal.engine import VIEWS

from ..simd.__main__ import machine
from .runners import BASELINE, DEFAULT_BUILD_DIR, ENGINES, RUNNERS, THREADS, TILE, build_all, open_renderer

EXPECTED_FILE = "expected.json"
_renderers: dict = {}


def _size(text: str) -> tuple[int, int]:
    w, h = (int(v) for v in text.lower().split("x"))
    return w, h


def _digest(rgb: bytes) -> str:
    return hashlib.sha256(rgb).hexdigest()


def _time_func(loops: int, fractal: str, runner: str, build_dir: str, width: int, height: int) -> float:
    """pyperf's time function (in the workers): `loops` whole renders; the last image must
    be the one the native build draws."""
    key = (fractal, runner, width, height)
    entry = _renderers.get(key)
    if entry is None:
        expected = json.loads((Path(build_dir) / EXPECTED_FILE).read_text())[f"{fractal}:{width}x{height}"]
        entry = _renderers[key] = (open_renderer(runner, fractal, Path(build_dir)), expected)
    renderer, expected = entry
    view = VIEWS[fractal]
    t0 = time.perf_counter()
    for _ in range(loops):
        image = renderer.render(width, height, view)
    elapsed = time.perf_counter() - t0
    if _digest(image.rgb) != expected:
        raise RuntimeError(f"{fractal} on {runner}: the image differs from the native build's")
    return elapsed


def _verify(fractal: str, build_dir: Path, width: int, height: int) -> None:
    build_all(fractal, build_dir)
    digests = {r: _digest(open_renderer(r, fractal, build_dir).render(width, height, VIEWS[fractal]).rgb)
               for r in RUNNERS}
    if len(set(digests.values())) != 1:
        raise SystemExit(f"{fractal}: configurations draw different images: {digests}")
    path = build_dir / EXPECTED_FILE
    expected = json.loads(path.read_text()) if path.is_file() else {}
    expected[f"{fractal}:{width}x{height}"] = digests[BASELINE]
    path.write_text(json.dumps(expected, indent=1, sort_keys=True))


def report(results: dict, fractal: str, width: int, height: int) -> str:
    med = {r: b.median() for r, b in results.items()}
    tiles = -(-width // TILE) * -(-height // TILE)
    lines = [f"{fractal} {width}x{height}, {tiles} tiles of {TILE}x{TILE}, one whole render per value", "",
             f"{'runner':<15} {'median ms':>10} {'IQR ms':>17} {'tiles/s':>8} {'vs native-1t':>13}"]
    for r in RUNNERS:
        if r not in results:
            continue
        values = results[r].get_values()
        q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
        ratio = f"{med[r] / med[BASELINE]:.2f}x" if BASELINE in med else "-"
        iqr = "%.1f-%.1f" % (q1 * 1e3, q3 * 1e3)
        lines.append(f"{r:<15} {med[r] * 1e3:>10.1f} {iqr:>17} "
                     f"{tiles / med[r]:>8.0f} {ratio:>13}")
    lines += ["", f"{'engine':<12} {'2-thread speedup':>17}"
              + "".join(f"{'time vs native, %dt' % n:>21}" for n in THREADS)]
    for e in ENGINES:
        if f"{e}-1t" not in med or f"{e}-2t" not in med:
            continue
        vs = ""
        for n in THREADS:
            cell = "%.2fx" % (med[f"{e}-{n}t"] / med[f"native-{n}t"]) if f"native-{n}t" in med else "-"
            vs += f"{cell:>21}"
        speedup = "%.2fx" % (med[f"{e}-1t"] / med[f"{e}-2t"])
        lines.append(f"{e:<12} {speedup:>17}{vs}")
    ratios = [f"{med[f'aot-bounds-{n}t'] / med[f'aot-guard-{n}t']:.2f}x ({n} thread{'s' if n > 1 else ''})"
              for n in THREADS if f"aot-bounds-{n}t" in med and f"aot-guard-{n}t" in med]
    if ratios:
        lines.append("\nbounds / guard time: " + ", ".join(ratios))
    return "\n".join(lines)


def _forward(cmd: list, args) -> None:
    cmd.extend(["--fractal", args.fractal, "--size", f"{args.size[0]}x{args.size[1]}",
                "--build-dir", str(args.build_dir)])
    for r in args.runner or []:
        cmd.extend(["--runner", r])


def main() -> int:
    # Modest defaults for a shared machine; pyperf's -p/-n/--rigorous/--fast override them.
    runner = pyperf.Runner(processes=6, values=3, warmups=1, min_time=0.2,
                           program_args=("-m", "benchmarks.fractal"), add_cmdline_args=_forward)
    runner.argparser.add_argument("--fractal", choices=FRACTALS, default="mandelbrot")
    runner.argparser.add_argument("--size", type=_size, default=(1920, 1080), metavar="WxH")
    runner.argparser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR)
    runner.argparser.add_argument("--runner", action="append", choices=RUNNERS,
                                  help="only this configuration (repeatable; default: all)")
    args = runner.parse_args()
    selected = [r for r in RUNNERS if not args.runner or r in args.runner]
    width, height = args.size
    if not args.worker:
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
        try:
            _verify(args.fractal, args.build_dir, width, height)
        except BuildError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    results = {}
    for r in selected:
        bench = runner.bench_time_func(f"{args.fractal}-{width}x{height}/{r}", _time_func,
                                       args.fractal, r, str(args.build_dir), width, height)
        if bench is not None:
            results[r] = bench
    if not args.worker and results:
        print()
        print(report(results, args.fractal, width, height))
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (other work on the machine "
              "slows the 2-thread runs most)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
