"""The fractal viewer (examples/fractal): every plugin, built from C by clang and compiled
by us under both memory strategies, must draw what a NumPy reference draws.

Tolerance: none. The plugins and the reference do the same IEEE double operations in the
same order (Wasm has no fused multiply-add; the native build uses -ffp-contract=off), so
iteration counts and RGB bytes must be identical on every pixel, and they are. Several
views per fractal, image sizes that are not multiples of the tile size (partial tiles),
and both strategies are checked.
"""
from __future__ import annotations

import shutil
import subprocess
import threading
import time

import pytest

np = pytest.importorskip("numpy", reason="the reference images are computed with NumPy (the dev extra)")

from examples.fractal import build, png  # noqa: E402
from examples.fractal.engine import FRACTALS, VIEWS, NativePlugin, Renderer, View, WasmPlugin  # noqa: E402
from examples.fractal.viewer import main as viewer_main  # noqa: E402

STRATEGIES = ("guard", "bounds")


def _clang_targets_wasm() -> bool:
    clang = shutil.which("clang")
    if not clang or not shutil.which("wasm-ld"):
        return False
    proc = subprocess.run([clang, "--print-targets"], capture_output=True, text=True, check=False)
    return "wasm32" in proc.stdout


pytestmark = pytest.mark.skipif(not _clang_targets_wasm(),
                                reason="clang with the wasm32 target and wasm-ld are needed to build "
                                       "the fractal plugins (apt-get install clang lld)")

# Besides the default picture of each fractal: a deeper view with more iterations.
EXTRA_VIEWS = {
    "mandelbrot": View(-0.743643887, 0.131825904, 0.004, 1000),
    "julia": View(0.1, -0.2, 0.5, 600, (-0.4, 0.6)),
    "burning_ship": View(-0.45, 0.5, 3.4, 128),
}


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("fractal-plugins")
    try:
        for f in FRACTALS:
            for s in STRATEGIES:
                build.build_aot(f, s, out)
    except build.BuildError as e:
        pytest.fail(str(e))
    return out


@pytest.fixture(scope="module")
def plugins(plugin_dir):
    return {(f, s): WasmPlugin(plugin_dir / f"{f}.{s}.so") for f in FRACTALS for s in STRATEGIES}


# ---- the NumPy reference: the same double operations, in the same order, as plugins/*.c

def reference_counts(fractal: str, width: int, height: int, view: View) -> np.ndarray:
    scale = view.scale(width)
    re = view.cx + ((np.arange(width, dtype=np.float64) + 0.5) - 0.5 * float(width)) * scale
    im = view.cy - ((np.arange(height, dtype=np.float64) + 0.5) - 0.5 * float(height)) * scale
    re, im = np.meshgrid(re, im)
    if fractal == "julia":
        zr, zi = re.copy(), im.copy()
        cr, ci = np.full_like(re, view.param[0]), np.full_like(im, view.param[1])
    else:
        zr, zi = np.zeros_like(re), np.zeros_like(im)
        cr, ci = re, (-im if fractal == "burning_ship" else im)
    counts = np.full(re.shape, view.max_iter, dtype=np.uint32)
    active = np.ones(re.shape, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for n in range(view.max_iter):
            zr2, zi2 = zr * zr, zi * zi
            escaped = active & ((zr2 + zi2) > 4.0)
            counts[escaped] = n
            active &= ~escaped
            if not active.any():
                break
            if fractal == "burning_ship":
                zi = (2.0 * np.abs(zr)) * np.abs(zi) + ci
            else:
                zi = (2.0 * zr) * zi + ci
            zr = (zr2 - zi2) + cr
    return counts


def reference_rgb(counts: np.ndarray, max_iter: int) -> np.ndarray:
    """plugins/common.c's colorize()."""
    t = np.sqrt(counts.astype(np.float64) / float(max_iter))
    u = 1.0 - t
    r = ((9.0 * u) * (t * t * t)) * 255.0
    g = ((15.0 * (u * u)) * (t * t)) * 255.0
    b = ((8.5 * (u * u * u)) * t) * 255.0
    rgb = np.stack([r, g, b], axis=-1).astype(np.uint8)
    rgb[counts >= max_iter] = 0
    return rgb


def _render(plugin, width, height, view, threads=1, tile=16):
    image = Renderer(plugin, threads, tile).render(width, height, view, counts=True)
    counts = np.frombuffer(image.counts, dtype=np.uint32).reshape(height, width)
    rgb = np.frombuffer(image.rgb, dtype=np.uint8).reshape(height, width, 3)
    return counts, rgb


def _assert_same(got: np.ndarray, want: np.ndarray, what: str) -> None:
    differ = np.argwhere(np.any(got != want, axis=-1) if got.ndim == 3 else got != want)
    assert len(differ) == 0, (f"{what}: {len(differ)} of {want.shape[0] * want.shape[1]} pixels differ, "
                              f"first at (y, x) = {tuple(differ[0])}: {got[tuple(differ[0])]} != "
                              f"{want[tuple(differ[0])]}")


# ---- tests ------------------------------------------------------------------------------

@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("fractal", FRACTALS)
@pytest.mark.parametrize("which", ["default", "extra"])
def test_plugin_matches_numpy_reference(plugins, fractal, strategy, which):
    view = VIEWS[fractal] if which == "default" else EXTRA_VIEWS[fractal]
    for width, height in ((64, 48), (61, 37)):  # 61x37: partial tiles at the right and bottom
        counts, rgb = _render(plugins[fractal, strategy], width, height, view)
        want = reference_counts(fractal, width, height, view)
        assert len(np.unique(want)) > 5, "the view is too plain to test anything"
        _assert_same(counts, want, f"{fractal}/{strategy} {width}x{height} iteration counts")
        _assert_same(rgb, reference_rgb(want, view.max_iter), f"{fractal}/{strategy} {width}x{height} RGB")


@pytest.mark.parametrize("fractal", FRACTALS)
def test_threaded_render_equals_single_threaded(plugins, fractal):
    for strategy in STRATEGIES:
        plugin = plugins[fractal, strategy]
        one = Renderer(plugin, 1, tile=8).render(96, 64, VIEWS[fractal], counts=True)
        for threads in (2, 3):
            many = Renderer(plugin, threads, tile=8).render(96, 64, VIEWS[fractal], counts=True)
            assert many.tiles == one.tiles == 12 * 8
            assert many.counts == one.counts, f"{fractal}/{strategy}: {threads} threads, other counts"
            assert many.rgb == one.rgb, f"{fractal}/{strategy}: {threads} threads, other colours"


def test_native_build_agrees(plugins, plugin_dir):
    """The benchmarks' native baseline computes the very same image."""
    for f in FRACTALS:
        native = NativePlugin(build.build_native(f, plugin_dir))
        assert (Renderer(native, 2, 16).render(64, 48, VIEWS[f], counts=True).counts
                == Renderer(plugins[f, "guard"], 1, 16).render(64, 48, VIEWS[f], counts=True).counts)


def test_calls_into_wasm_release_the_gil(plugins):
    """While one thread is inside a single long render_tile call, the main thread keeps
    running Python: the longest pause it sees is far shorter than the call."""
    worker = plugins["mandelbrot", "guard"].worker(64)
    # Inside the set every pixel runs all iterations: 64*64 pixels x 30000 iterations
    # (about 0.3 s on an idle machine).
    args = (0, 0, 64, 64, 64, 64, -0.1, 0.0, 0.004, 0.0, 0.0, 30000)
    t0 = time.perf_counter()
    worker.render_tile(*args)
    call = time.perf_counter() - t0
    assert call > 0.1, f"the call should take a while ({call:.3f} s)"
    thread = threading.Thread(target=worker.render_tile, args=args)
    thread.start()
    longest, last = 0.0, time.perf_counter()
    while thread.is_alive():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    thread.join()
    assert longest < call / 2, f"main thread stalled {longest:.3f} s during a {call:.3f} s Wasm call"


def test_too_large_tile_buffer_is_refused(plugins):
    with pytest.raises(MemoryError):
        plugins["julia", "bounds"].worker(5000)


def test_png_roundtrip():
    rgb = bytes(range(256)) * 9  # 48 x 16 pixels
    data = png.encode(48, 16, rgb)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.decode(data) == (48, 16, rgb)
    with pytest.raises(ValueError):
        png.encode(48, 17, rgb)


def test_viewer_writes_every_image(plugin_dir, capsys):
    out = plugin_dir.parent / "viewer-out"
    # In out/plugins the viewer's build step finds them up to date (unless the compiler's
    # sources changed since the fixture built them: then it compiles them again).
    shutil.copytree(plugin_dir, out / "plugins")
    assert viewer_main(["--size", "40x30", "--threads", "2", "--repeats", "1", "--tile", "16",
                        "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "bounds / guard" in text
    for f in FRACTALS:
        w, h, rgb = png.decode((out / f"{f}.png").read_bytes())
        assert (w, h) == (40, 30)
        want = reference_rgb(reference_counts(f, 40, 30, VIEWS[f]), VIEWS[f].max_iter)
        assert rgb == want.tobytes()
