"""Rendering fractals with calculation plugins: the only module that calls into plugins.

    plugin = WasmPlugin("mandelbrot.so")                 # or NativePlugin (benchmarks)
    renderer = Renderer(plugin, threads=2)               # one plugin instance per thread
    image = renderer.render(1920, 1080, VIEWS["mandelbrot"])
    image.rgb, image.counts, image.seconds, image.tiles

Every plugin exports the interface of `plugins/fractal.h`: `tile_buffer(max_w, max_h)`,
`render_tile(counts, x0, y0, w, h, img_w, img_h, cx, cy, scale, p_re, p_im, max_iter)`
and `colorize(rgb, counts, n, max_iter)`. The image is cut into tiles; worker threads
take tiles from a shared queue, each through its own instance (so its own linear
memory), and copy the tile's pixels into the image. Calls into Wasm release the GIL, so
the workers compute in parallel; only the row copies hold it.

The calls go straight to `runtime` for now; to route them through the capability
kernel later, only `WasmPlugin` / `_WasmWorker` change.
"""
from __future__ import annotations

import ctypes
import os
import queue
import threading
import time
from array import array
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TILE = 128


@dataclass(frozen=True)
class View:
    """What to show: the plane's centre, how wide a span the image's width covers, the
    iteration limit and the fractal's parameter (Julia's c)."""

    cx: float
    cy: float
    span: float
    max_iter: int = 256
    param: tuple[float, float] = (0.0, 0.0)

    def scale(self, width: int) -> float:
        """Plane units per pixel for an image `width` pixels wide."""
        return self.span / width


# The default picture of each fractal.
VIEWS: dict[str, View] = {
    "mandelbrot": View(-0.75, 0.0, 3.5, 256),
    "julia": View(0.0, 0.0, 3.2, 256, (-0.8, 0.156)),
    "burning_ship": View(-1.755, 0.02, 0.12, 256),
}
FRACTALS = tuple(VIEWS)


@dataclass
class Image:
    width: int
    height: int
    rgb: bytes | None          # width * height * 3 bytes, rows top to bottom
    counts: array | None       # width * height iteration counts ('I'), when asked for
    seconds: float             # wall time of the render (tiles, colouring, copies)
    tiles: int
    threads: int

    @property
    def tiles_per_second(self) -> float:
        return self.tiles / self.seconds


def tiles(width: int, height: int, tile: int = DEFAULT_TILE) -> list[tuple[int, int, int, int]]:
    """(x0, y0, w, h) of every tile, row by row."""
    return [(x, y, min(tile, width - x), min(tile, height - y))
            for y in range(0, height, tile) for x in range(0, width, tile)]


# ---- backends: one worker per thread --------------------------------------------------

class _WasmWorker:
    """One instance of a compiled plugin, with its tile work area."""

    def __init__(self, module, tile: int):
        exports = module.instantiate().exports
        self._render = exports.render_tile
        self._colorize = exports.colorize
        self.counts_ptr = exports.tile_buffer(tile, tile)
        if self.counts_ptr == 0:
            raise MemoryError(f"plugin cannot allocate a {tile}x{tile} tile buffer")
        self.rgb_ptr = self.counts_ptr + 4 * tile * tile
        # Where the counts and the colours are in `memory` (here: their Wasm addresses).
        self.memory = exports.memory.view()  # taken after tile_buffer grew the memory
        self.counts_at, self.rgb_at = self.counts_ptr, self.rgb_ptr

    def render_tile(self, *args) -> None:
        self._render(self.counts_ptr, *args)

    def colorize(self, n: int, max_iter: int) -> None:
        self._colorize(self.rgb_ptr, self.counts_ptr, n, max_iter)


class WasmPlugin:
    """A fractal plugin compiled by aot-wasm (a `.so`, or a `.wasm` compiled via the cache)."""

    def __init__(self, path: str | os.PathLike, *, memory: str | None = None):
        import runtime
        self.path = Path(path)
        self.module = runtime.load(self.path, memory=memory)
        self.strategy = self.module.strategy.value

    def worker(self, tile: int) -> _WasmWorker:
        return _WasmWorker(self.module, tile)


class _NativeWorker:
    """The same C compiled natively, called through ctypes (which also releases the GIL);
    the work area is a ctypes buffer of this worker's own."""

    def __init__(self, lib, tile: int):
        self._lib = lib
        self._buf = ctypes.create_string_buffer(7 * tile * tile)
        self.counts_ptr = ctypes.addressof(self._buf)
        self.rgb_ptr = self.counts_ptr + 4 * tile * tile
        self.memory = memoryview(self._buf).cast("B")
        self.counts_at, self.rgb_at = 0, 4 * tile * tile

    def render_tile(self, *args) -> None:
        self._lib.render_tile(self.counts_ptr, *args)

    def colorize(self, n: int, max_iter: int) -> None:
        self._lib.colorize(self.rgb_ptr, self.counts_ptr, n, max_iter)


class NativePlugin:
    """A fractal's C built as a native shared library (the benchmarks' baseline)."""

    strategy = "native"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.lib = lib = ctypes.CDLL(str(self.path))
        i32, f64, ptr = ctypes.c_int32, ctypes.c_double, ctypes.c_void_p
        lib.render_tile.argtypes = [ptr, i32, i32, i32, i32, i32, i32, f64, f64, f64, f64, f64, i32]
        lib.render_tile.restype = None
        lib.colorize.argtypes = [ptr, ptr, i32, i32]
        lib.colorize.restype = None

    def worker(self, tile: int) -> _NativeWorker:
        return _NativeWorker(self.lib, tile)


# ---- the renderer ---------------------------------------------------------------------

class Renderer:
    """Renders images with `threads` workers of one plugin (created once, reused)."""

    def __init__(self, plugin, threads: int = 1, tile: int = DEFAULT_TILE):
        if threads < 1:
            raise ValueError("threads must be >= 1")
        self.plugin, self.threads, self.tile = plugin, threads, tile
        self.workers = [plugin.worker(tile) for _ in range(threads)]

    def render(self, width: int, height: int, view: View, *, rgb: bool = True,
               counts: bool = False) -> Image:
        """Render the image; `rgb` asks for colours, `counts` for the iteration counts."""
        if width <= 0 or height <= 0:
            raise ValueError("image size must be positive")
        todo = tiles(width, height, self.tile)
        jobs: queue.SimpleQueue = queue.SimpleQueue()
        for t in todo:
            jobs.put(t)
        out_rgb = bytearray(3 * width * height) if rgb else None
        out_counts = bytearray(4 * width * height) if counts else None
        scale = view.scale(width)
        p_re, p_im = view.param
        errors: list[BaseException] = []

        def work(worker) -> None:
            try:
                mem = worker.memory
                while True:
                    try:
                        x0, y0, w, h = jobs.get_nowait()
                    except queue.Empty:
                        return
                    worker.render_tile(x0, y0, w, h, width, height, view.cx, view.cy, scale,
                                       p_re, p_im, view.max_iter)
                    if out_counts is not None:
                        _copy_tile(out_counts, mem, worker.counts_at, x0, y0, w, h, width, 4)
                    if out_rgb is not None:
                        worker.colorize(w * h, view.max_iter)
                        _copy_tile(out_rgb, mem, worker.rgb_at, x0, y0, w, h, width, 3)
            except BaseException as e:  # noqa: BLE001 - re-raised in the calling thread
                errors.append(e)

        t0 = time.perf_counter()
        if self.threads == 1:
            work(self.workers[0])
        else:
            pool = [threading.Thread(target=work, args=(w,), daemon=True) for w in self.workers]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
        seconds = time.perf_counter() - t0
        if errors:
            raise errors[0]
        return Image(width, height, bytes(out_rgb) if rgb else None,
                     array("I", bytes(out_counts)) if counts else None,
                     seconds, len(todo), self.threads)


def _copy_tile(dst: bytearray, mem: memoryview, src: int, x0: int, y0: int, w: int, h: int,
               width: int, bpp: int) -> None:
    row = w * bpp
    if src + h * row > len(mem):
        raise IndexError("tile outside the worker's memory")
    for y in range(h):
        d = ((y0 + y) * width + x0) * bpp
        s = src + y * row
        dst[d:d + row] = mem[s:s + row]


__all__ = ["View", "VIEWS", "FRACTALS", "Image", "tiles", "WasmPlugin", "NativePlugin",
           "Renderer", "DEFAULT_TILE"]
