"""Photo filters: an image goes through a chain of filter plugins, each an isolated Wasm
instance reached only through capabilities.

    python examples/photo/photo.py [--input FILE] [--chain blur,sharpen:24,...]
                                   [--strategy guard|bounds] [--out DIR] [--timeout S]

Every plugin is C (plugins/*.c) built against kernel/include/kernel.h and the headers
generated from filter.kif / format.kif, compiled to Wasm by clang and then to native code
by `python -m aot.cli compile` (see build.py); the .so files are loaded into one Kernel.

The image never leaves the host's memory as a pointer: a plugin gets a read grant over the
input and a write grant over the output buffer, copies in with grant_read, works in its
own memory and copies out with grant_write; the host revokes both grants after the call.
Decoding and encoding files (PPM/PGM, BMP) are plugins too. PNG previews of every stage
are written by the host in pure Python (zlib).

The default chain has a hostile filter in the middle (hostile:ATTACK, see
plugins/hostile.c): each attack is stopped (a trap kills the plugin, or the kernel refuses
with an error) and the chain goes on with the next plugin on the last good image.
"""
from __future__ import annotations

import argparse
import math
import struct
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a source checkout without installing

from examples.photo import build  # noqa: E402
from kernel import Kernel, KernelError  # noqa: E402
from kernel.kernel import CONSTANTS  # noqa: E402
from runtime import Trap  # noqa: E402

ERROR_NAMES = {v: k for k, v in CONSTANTS.items() if k.startswith("K_E")}

HOSTILE_ATTACKS = {"oob": 1, "loop": 2, "forge": 3, "overrun": 4, "hog": 5, "keep": 6}
HOSTILE_ESCAPED = 99


def contrast_param(k: int = 64, b: int = 0) -> int:
    """The contrast filter's param: contrast k in 1/64 (64 = unchanged), brightness b."""
    return ((k & 0xFFFF) << 16) | (b & 0xFFFF)


# name -> (plugin, default param, what it does)
FILTERS = {
    "grayscale": ("grayscale", 0, "BT.601 luma, 8.8 fixed point"),
    "blur": ("blur", 2, "5x5 binomial Gaussian, param = passes"),
    "sharpen": ("sharpen", 16, "Laplacian sharpen, param = amount/16"),
    "sepia": ("sepia", 256, "sepia matrix, param = strength/256"),
    "edges": ("edges", 0, "Sobel magnitude (param > 0: threshold)"),
    "contrast": ("contrast", contrast_param(88, 8), "SIMD brightness/contrast, u8x16 lanes"),
    "hostile": ("hostile", HOSTILE_ATTACKS["oob"], "attacks the sandbox (param = attack)"),
}
FORMAT_PLUGINS = {"pnm": "pnm", "bmp": "bmp"}
DEFAULT_CHAIN = ("sepia,blur,sharpen,hostile:oob,contrast,hostile:loop,hostile:forge,"
                 "hostile:overrun,grayscale,edges")


class PhotoError(Exception):
    """A file cannot be read or written, or a chain is malformed."""


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    channels: int  # 1 (gray) or 3 (RGB)
    pixels: bytes  # row-major, 8 bits per channel

    def __post_init__(self):
        if self.channels not in (1, 3) or len(self.pixels) != self.width * self.height * self.channels:
            raise ValueError(f"{self.width}x{self.height}x{self.channels} image with "
                             f"{len(self.pixels)} bytes")


@dataclass
class Stage:
    """What one filter call did: the new image (None if the filter was stopped)."""

    name: str
    param: int
    seconds: float
    image: Image | None
    outcome: str  # "ok", "trap: ...", "error: K_...", "invalid: ..."

    @property
    def ok(self) -> bool:
        return self.image is not None


def param_text(name: str, param: int) -> str:
    if name == "hostile":
        return next((a for a, v in HOSTILE_ATTACKS.items() if v == param), str(param))
    if name == "contrast":
        return f"{(param >> 16) & 0xFFFF}/{(param & 0xFFFF) - ((param & 0x8000) << 1)}"
    return str(param)


def error_name(code: int) -> str:
    return ERROR_NAMES.get(code, str(code))


# ---- the plugins -------------------------------------------------------------------------

class Photo:
    """Filter and format plugins loaded into one Kernel from the .so files `aot compile`
    made for `strategy`. A plugin that traps is dead; it is loaded afresh when next used."""

    def __init__(self, plugin_dir: Path, strategy: str = "guard", *, memory_limit: int = 512,
                 timeout: float = 2.0, verbose: bool = False):
        self.strategy = strategy
        self.timeout = timeout
        self.paths = build.build_all(Path(plugin_dir), strategy, verbose=verbose)
        self.kernel = Kernel(strategy=strategy, memory_limit=memory_limit)
        self.kernel.interface(HERE / "filter.kif")
        self.kernel.interface(HERE / "format.kif")
        self._plugins: dict[str, object] = {}
        self.reloads: dict[str, int] = {}

    def plugin(self, name: str):
        p = self._plugins.get(name)
        if p is None or p.dead:
            if p is not None:
                self.reloads[name] = self.reloads.get(name, 0) + 1
            p = self._plugins[name] = self.kernel.load(self.paths[name], name=name)
        return p

    def _call(self, plugin: str, export: str, *args):
        """plugin.call with grants lent and a timeout; grants among args are revoked and
        released afterwards (a plugin that kept a cap_dup of one can use it no more)."""
        try:
            return self.plugin(plugin).call(export, *args, timeout=self.timeout)
        finally:
            for a in args:
                if hasattr(a, "revoke"):
                    a.revoke()
                    a.release()

    # -- filters

    def apply(self, name: str, image: Image, param: int | None = None) -> Stage:
        """Run filter `name` on `image`. A trap, a timeout or an error return is reported in
        the Stage (image None); the input image is never changed."""
        plugin, default, _ = FILTERS[name]
        param = default if param is None else param
        src_buf = bytearray(image.pixels)  # writable memory: a broken read right would show
        dst = bytearray(image.width * image.height * 3)
        src_g, dst_g = self.kernel.grant(src_buf, "r"), self.kernel.grant(dst, "w")
        self.plugin(plugin)  # (re)loaded outside the timing
        t0 = time.perf_counter()
        try:
            r = self._call(plugin, "filter_apply", src_g, dst_g, image.width, image.height,
                           image.channels, param)
        except Trap as trap:
            return Stage(name, param, time.perf_counter() - t0, None, f"trap: {_trap_text(trap)}")
        except KernelError as e:
            return Stage(name, param, time.perf_counter() - t0, None, f"kernel: {e}")
        dt = time.perf_counter() - t0
        if src_buf != image.pixels:  # cannot happen: the grant was read-only
            raise AssertionError(f"{name} changed its read-only input")
        if r < 0:
            return Stage(name, param, dt, None, f"error: {error_name(r)}")
        if r not in (1, 3):
            return Stage(name, param, dt, None, f"invalid: returned {r} channels")
        n = image.width * image.height * r
        return Stage(name, param, dt, Image(image.width, image.height, r, bytes(dst[:n])), "ok")

    # -- formats

    def decode(self, data: bytes, fmt: str | None = None) -> Image:
        fmt = fmt or sniff(data)
        plugin = FORMAT_PLUGINS[fmt]
        info = bytearray(12)
        r = self._call(plugin, "format_probe", self.kernel.grant(data, "r"), self.kernel.grant(info, "w"))
        if r < 0:
            raise PhotoError(f"{fmt}: not a file it can decode ({error_name(r)})")
        w, h, c = struct.unpack("<3i", info)
        dst = bytearray(w * h * c)
        r = self._call(plugin, "format_decode", self.kernel.grant(data, "r"), self.kernel.grant(dst, "w"))
        if r != len(dst):
            raise PhotoError(f"{fmt}: decoding failed ({error_name(r)})")
        return Image(w, h, c, bytes(dst))

    def encode(self, image: Image, fmt: str) -> bytes:
        plugin = FORMAT_PLUGINS[fmt]
        bound = self._call(plugin, "format_bound", image.width, image.height, image.channels)
        if bound < 0:
            raise PhotoError(f"{fmt}: cannot encode a {image.width}x{image.height}x{image.channels} "
                             f"image ({error_name(bound)})")
        out = bytearray(bound)
        n = self._call(plugin, "format_encode", self.kernel.grant(bytes(image.pixels), "r"),
                       image.width, image.height, image.channels, self.kernel.grant(out, "w"))
        if n < 0 or n > bound:
            raise PhotoError(f"{fmt}: encoding failed ({error_name(n)})")
        return bytes(out[:n])

    def close(self) -> None:
        self.kernel.close()


def _trap_text(trap: Trap) -> str:
    kind = getattr(trap, "kind", None)
    name = getattr(kind, "name", None)
    return name.lower().replace("_", " ") if name else str(trap)


def sniff(data: bytes) -> str:
    if data[:2] in (b"P5", b"P6"):
        return "pnm"
    if data[:2] == b"BM":
        return "bmp"
    raise PhotoError("unknown image format (PPM/PGM P6/P5 or BMP expected)")


def extension(fmt: str, image: Image) -> str:
    if fmt == "pnm":
        return ".ppm" if image.channels == 3 else ".pgm"
    return "." + fmt


# ---- chains --------------------------------------------------------------------------------

def parse_chain(text: str) -> list[tuple[str, int | None]]:
    """'blur:3,hostile:loop,contrast:96/-20' -> [(name, param or None for the default)]."""
    chain = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, _, arg = item.partition(":")
        if name not in FILTERS:
            raise PhotoError(f"unknown filter {name!r}: one of {', '.join(FILTERS)}")
        param = None
        if arg:
            try:
                if name == "hostile" and arg in HOSTILE_ATTACKS:
                    param = HOSTILE_ATTACKS[arg]
                elif name == "contrast" and "/" in arg:
                    k, b = arg.split("/")
                    param = contrast_param(int(k), int(b))
                else:
                    param = int(arg, 0)
            except ValueError:
                raise PhotoError(f"bad parameter in {item!r}") from None
        chain.append((name, param))
    if not chain:
        raise PhotoError("the chain is empty")
    return chain


def run_chain(photo: Photo, image: Image, chain, report=None) -> tuple[Image, list[Stage]]:
    """Each filter on the last good image; a stopped filter leaves the image as it was."""
    stages = []
    for name, param in chain:
        stage = photo.apply(name, image, param)
        stages.append(stage)
        if stage.ok:
            image = stage.image
        if report:
            report(stage)
    return image, stages


# ---- images made and written in Python -------------------------------------------------------

def test_image(width: int = 320, height: int = 240) -> Image:
    """A synthetic RGB picture: a colour gradient, discs, stripes and a gray ramp."""
    px = bytearray(width * height * 3)
    discs = [(0.30, 0.40, 0.18, (230, 60, 40)), (0.62, 0.55, 0.22, (40, 170, 90)),
             (0.80, 0.25, 0.12, (250, 220, 60))]
    for y in range(height):
        v = y / max(height - 1, 1)
        for x in range(width):
            u = x / max(width - 1, 1)
            r = int(255 * (0.5 + 0.5 * math.sin(6.28 * u)) * (1 - 0.6 * v))
            g = int(255 * u * (0.4 + 0.6 * v))
            b = int(255 * (1 - u) * (0.3 + 0.7 * (1 - v)))
            for cx, cy, rad, col in discs:
                dx, dy = u - cx, (v - cy) * height / width
                if dx * dx + dy * dy < rad * rad * 0.36:
                    r, g, b = col
            if v > 0.82:  # gray ramp with stripes
                r = g = b = int(255 * u) if (x // 8) % 2 else 255 - int(255 * u)
            i = 3 * (y * width + x)
            px[i:i + 3] = bytes((r, g, b))
    return Image(width, height, 3, bytes(px))


def png_bytes(image: Image) -> bytes:
    """A PNG file (gray or RGB, 8-bit) in pure Python."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    row = image.width * image.channels
    raw = b"".join(b"\0" + image.pixels[y * row:(y + 1) * row] for y in range(image.height))
    color = 0 if image.channels == 1 else 2
    header = struct.pack(">IIBBBBB", image.width, image.height, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def ppm_bytes(image: Image) -> bytes:
    """PPM (P6) or PGM (P5) written in Python (the reference for the plugins' encoder)."""
    magic = b"P6" if image.channels == 3 else b"P5"
    return magic + f"\n{image.width} {image.height}\n255\n".encode() + image.pixels


# ---- the command ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", type=Path, help="a PPM, PGM or BMP file (default: a generated test image)")
    ap.add_argument("--chain", default=DEFAULT_CHAIN,
                    help=f"filters to run in order, NAME[:PARAM] separated by commas "
                         f"(default: {DEFAULT_CHAIN}); filters: {', '.join(FILTERS)}; hostile "
                         f"attacks: {', '.join(HOSTILE_ATTACKS)}; contrast:K/B")
    ap.add_argument("--strategy", choices=build.STRATEGIES, default="guard")
    ap.add_argument("--out", type=Path, default=Path("demo-output") / "photo")
    ap.add_argument("--format", choices=tuple(FORMAT_PLUGINS),
                    help="format of the final image (default: the input's; PPM for the test image)")
    ap.add_argument("--plugins", type=Path, help="where the plugins are built (default: OUT/plugins)")
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds a filter call may run")
    ap.add_argument("--memory-limit", type=int, default=512, help="64 KiB pages per plugin")
    ap.add_argument("-v", "--verbose", action="store_true", help="show the build commands")
    args = ap.parse_args(argv)

    try:
        chain = parse_chain(args.chain)
        args.out.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        photo = Photo(args.plugins or args.out / "plugins", args.strategy, memory_limit=args.memory_limit,
                      timeout=args.timeout, verbose=args.verbose)
        print(f"photo: {len(photo.paths)} plugins built with clang + aot compile "
              f"(--memory {args.strategy}) in {time.perf_counter() - t0:.2f}s")
        if args.input:
            data = args.input.read_bytes()
            fmt = args.format or sniff(data)
            t0 = time.perf_counter()
            image = photo.decode(data)
            print(f"decode  {sniff(data):9s} {args.input.name}: {image.width}x{image.height}x"
                  f"{image.channels} in {1000 * (time.perf_counter() - t0):7.2f} ms")
        else:
            fmt = args.format or "pnm"
            image = test_image()
            print(f"input   generated test image {image.width}x{image.height}x{image.channels}")
    except (PhotoError, build.BuildError, OSError) as e:
        print(f"photo: {e}", file=sys.stderr)
        return 1

    (args.out / "00-input.png").write_bytes(png_bytes(image))
    step = [0]

    def report(stage: Stage) -> None:
        step[0] += 1
        ms = 1000 * stage.seconds
        label = f"{stage.name}:{param_text(stage.name, stage.param)}"
        if stage.ok:
            png = f"{step[0]:02d}-{stage.name}.png"
            (args.out / png).write_bytes(png_bytes(stage.image))
            print(f"filter  {label:18s} {ms:9.2f} ms  ok -> {png}")
        else:
            print(f"filter  {label:18s} {ms:9.2f} ms  STOPPED "
                  f"({stage.outcome}); the chain goes on with the last good image")

    final, stages = run_chain(photo, image, chain, report)
    t0 = time.perf_counter()
    encoded = photo.encode(final, fmt)
    out_file = args.out / f"final{extension(fmt, final)}"
    out_file.write_bytes(encoded)
    (args.out / "final.png").write_bytes(png_bytes(final))
    back = photo.decode(encoded)
    print(f"encode  {fmt:9s} {out_file.name}: {len(encoded)} bytes in "
          f"{1000 * (time.perf_counter() - t0):7.2f} ms (with a decode check: "
          f"{'round trip ok' if back == final else 'ROUND TRIP DIFFERS'})")
    stopped = [s for s in stages if not s.ok]
    print(f"photo: {len(stages) - len(stopped)} filter calls ran, {len(stopped)} stopped and contained; "
          f"plugins reloaded after a trap: {sum(photo.reloads.values())}; output in {args.out}/")
    photo.close()
    return 0 if back == final else 1


if __name__ == "__main__":
    sys.exit(main())
