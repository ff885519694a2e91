"""Fractal viewer: calculation plugins in C, compiled to Wasm, rendered in parallel tiles.

    python examples/fractal/viewer.py [--fractal mandelbrot|julia|burning_ship|all]
        [--size WxH] [--threads N] [--strategy guard|bounds|both] [--tile PX] [--out DIR]

1. Builds each plugin from source: clang → `<fractal>.wasm` → `aot compile` → `.so`,
   once per memory strategy (skipped when the outputs are up to date).
2. Renders each fractal single-threaded and with N threads (one plugin instance per
   thread, tiles from a shared queue), under each memory strategy, checks that every
   rendering gives the same image, and prints tiles per second.
3. Writes `<fractal>.png` into the output folder.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a source checkout without installing

from examples.fractal import build, png  # noqa: E402
from examples.fractal.engine import FRACTALS, VIEWS, Renderer, WasmPlugin  # noqa: E402


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, not {text!r}") from None
    if not (0 < w <= 16384 and 0 < h <= 16384):
        raise argparse.ArgumentTypeError("width and height must be between 1 and 16384")
    return w, h


def _best(renderer: Renderer, width: int, height: int, view, repeats: int):
    """The fastest of `repeats` renders (the machine may be busy with other work)."""
    images = [renderer.render(width, height, view) for _ in range(repeats)]
    return min(images, key=lambda im: im.seconds)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fractal", choices=[*FRACTALS, "all"], default="all")
    ap.add_argument("--size", type=_size, default=(1920, 1080), metavar="WxH")
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                    help="threads of the parallel render (default: 2, or 1 on a 1-CPU machine)")
    ap.add_argument("--strategy", choices=["guard", "bounds", "both"], default="both",
                    help="memory strategy of the compiled plugins (default: both, to compare)")
    ap.add_argument("--tile", type=int, default=128, metavar="PX", help="tile edge in pixels")
    ap.add_argument("--repeats", type=int, default=3, help="renders per measurement; the fastest counts")
    ap.add_argument("--out", type=Path, default=HERE.parents[1] / "demo-output" / "fractal",
                    help="folder for the images and the built plugins")
    args = ap.parse_args(argv)
    if args.threads < 1 or args.tile < 1 or args.repeats < 1:
        ap.error("--threads, --tile and --repeats must be at least 1")
    fractals = list(FRACTALS) if args.fractal == "all" else [args.fractal]
    strategies = ["guard", "bounds"] if args.strategy == "both" else [args.strategy]
    width, height = args.size
    out: Path = args.out
    plugin_dir = out / "plugins"
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

    print(f"1. building {len(fractals)} plugin(s) from source into {plugin_dir}")
    try:
        sos = {(f, s): build.build_aot(f, s, plugin_dir, verbose=True) for f in fractals for s in strategies}
    except build.BuildError as e:
        print(f"viewer: {e}", file=sys.stderr)
        return 2

    print(f"2. rendering {width}x{height}, tiles of {args.tile}px, fastest of {args.repeats}")
    header = f"   {'fractal':<13} {'memory':<7} {'threads':>7} {'ms':>8} {'tiles/s':>9} {'speedup':>8}"
    print(header)
    for f in fractals:
        view, reference, base = VIEWS[f], None, {}
        for s in strategies:
            plugin = WasmPlugin(sos[f, s])
            for n in sorted({1, args.threads}):
                image = _best(Renderer(plugin, n, args.tile), width, height, view, args.repeats)
                if reference is None:
                    reference = image
                elif image.rgb != reference.rgb:
                    print(f"viewer: {f} ({s}, {n} threads) differs from the first rendering", file=sys.stderr)
                    return 1
                base.setdefault(s, image.seconds)
                speedup = f"{base[s] / image.seconds:.2f}x" if n > 1 else ""
                print(f"   {f:<13} {s:<7} {n:>7} {image.seconds * 1e3:>8.1f} "
                      f"{image.tiles_per_second:>9.0f} {speedup:>8}", flush=True)
        if len(strategies) == 2:
            print(f"   {f:<13} bounds / guard time, single thread: {base['bounds'] / base['guard']:.2f}x")
        path = png.write(out / f"{f}.png", width, height, reference.rgb)
        print(f"   wrote {path}")
    print(f"3. done: images in {out}; load average {os.getloadavg()[0]:.1f} "
          f"(other work on the machine slows the threaded run most)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
