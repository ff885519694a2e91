"""The configurations the fractal benchmark measures, and how each one is built and opened.

    native-<n>t      plugins/<fractal>.c + common.c, clang -O2 -march=native -ffp-contract=off
                     -shared, called through ctypes (which releases the GIL), n threads
    aot-guard-<n>t   the same C built to Wasm (clang --target=wasm32 -O2), compiled by us
                     with guard memory, one instance per thread
    aot-bounds-<n>t  the same with bounds-checked memory

Every configuration renders through the same `examples.fractal.engine.Renderer`: tiles of
128x128 from a shared queue, colouring in the plugin, row copies into the image in Python.
So the ratios compare the compiled code and its calls, not two different drivers.
"""
from __future__ import annotations

from pathlib import Path

from examples.fractal import build
from examples.fractal.engine import NativePlugin, Renderer, WasmPlugin

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BUILD_DIR = REPO / "build" / "benchmarks" / "fractal"
ENGINES = ("native", "aot-guard", "aot-bounds")
THREADS = (1, 2)
RUNNERS = tuple(f"{e}-{n}t" for e in ENGINES for n in THREADS)
BASELINE = "native-1t"
TILE = 128


def split(runner: str) -> tuple[str, int]:
    engine, threads = runner.rsplit("-", 1)
    return engine, int(threads.rstrip("t"))


def build_all(fractal: str, build_dir: Path) -> None:
    """Everything the runners need (each output only when stale)."""
    build.build_native(fractal, build_dir)
    for strategy in ("guard", "bounds"):
        build.build_aot(fractal, strategy, build_dir)


def open_renderer(runner: str, fractal: str, build_dir: Path) -> Renderer:
    """The renderer of a configuration, from what `build_all` built (never rebuilds: the
    worker processes of one run must all measure the same files)."""
    engine, threads = split(runner)
    if engine == "native":
        plugin = NativePlugin(build_dir / f"{fractal}.native.so")
    else:
        strategy = engine.split("-", 1)[1]
        plugin = WasmPlugin(build_dir / f"{fractal}.{strategy}.so")
    return Renderer(plugin, threads, TILE)


__all__ = ["RUNNERS", "ENGINES", "THREADS", "BASELINE", "DEFAULT_BUILD_DIR", "split", "build_all",
           "open_renderer"]
