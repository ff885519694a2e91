"""The canvas example of the capability kernel: a server plugin owns canvases, a client
plugin draws through caps, with ordinary calls and with the message convention.

    python examples/canvas/canvas_demo.py [--out DIR] [--strategy guard|bounds]

Builds both plugins from C (clang, wasm32, no libc) against kernel/include/kernel.h and
the header generated from canvas.kif, loads them into one Kernel, lends the client a
grant over a host buffer, and checks the picture it gets against `expected_image()`.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a source checkout without installing

from kernel import Kernel, headergen, idl  # noqa: E402

W, H = 64, 48
CFLAGS = ["--target=wasm32", "-O2", "-nostdlib", "-mbulk-memory", "-Wl,--no-entry",
          "-Wall", "-Werror"]
PLUGINS = ("canvas_server", "canvas_client")


class BuildError(Exception):
    """clang is missing or a plugin does not compile; the message says which."""


def build(out: Path) -> dict[str, Path]:
    """Both plugins as .wasm in `out` (canvas.h generated there from canvas.kif)."""
    clang = shutil.which("clang")
    if not clang:
        raise BuildError("clang is needed to build the canvas plugins: apt-get install clang lld")
    out.mkdir(parents=True, exist_ok=True)
    (out / "canvas.h").write_text(headergen.interface_header(idl.load(HERE / "canvas.kif"), "canvas.kif"))
    wasm = {}
    for name in PLUGINS:
        wasm[name] = out / f"{name}.wasm"
        cmd = [clang, *CFLAGS, "-I", str(out), "-I", str(ROOT / "kernel" / "include"),
               "-o", str(wasm[name]), str(HERE / f"{name}.c")]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise BuildError(f"building {name}.c failed:\n{done.stderr}")
    return wasm


def expected_image() -> bytes:
    """The scene of canvas_client.c drawn in Python: W*H RGBA pixels."""
    px = [0] * (W * H)

    def fill(x, y, w, h, c):
        for j in range(max(y, 0), min(y + h, H)):
            for i in range(max(x, 0), min(x + w, W)):
                px[j * W + i] = c

    def pixel(x, y, c):
        if 0 <= x < W and 0 <= y < H:
            px[y * W + x] = c

    fill(0, 0, W, H, 0xFF202020)
    fill(4, 4, 20, 12, 0xFF0000FF)
    fill(30, 10, 50, 50, 0xFF00FF00)
    fill(-5, 30, 15, 10, 0xFFFF0000)
    for i in range(40):
        pixel(i + 10, i // 2 + 5, 0xFFFFFFFF)
    pixel(-1, -1, 0xFFFFFFFF)
    return b"".join(p.to_bytes(4, "little") for p in px)


def load(kernel: Kernel, wasm: dict[str, Path], translator: str = "specialised"):
    """(server, client) loaded into `kernel`, the client linked to the server."""
    kernel.interface(HERE / "canvas.kif")
    server = kernel.load(wasm["canvas_server"], name="canvas_server")
    client = kernel.load(wasm["canvas_client"], name="canvas_client",
                         links={"canvas": server}, translator=translator)
    return server, client


def draw(kernel: Kernel, client, export: str = "draw") -> bytes:
    """Run the client's `export` with a write grant over a fresh host buffer."""
    buf = bytearray(W * H * 4)
    grant = kernel.grant(buf, "rw")
    try:
        written = client.call(export, grant)
    finally:
        grant.release()
    if written != len(buf):
        raise RuntimeError(f"{export} returned {written}, expected {len(buf)} bytes written")
    return bytes(buf)


def write_ppm(path: Path, rgba: bytes) -> None:
    rgb = bytearray()
    for i in range(0, len(rgba), 4):
        rgb += rgba[i:i + 3]
    path.write_bytes(f"P6 {W} {H} 255\n".encode() + bytes(rgb))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("demo-output") / "canvas")
    ap.add_argument("--strategy", choices=("guard", "bounds"), default="guard")
    args = ap.parse_args(argv)
    try:
        wasm = build(args.out)
    except BuildError as e:
        print(f"canvas demo: {e}", file=sys.stderr)
        return 1
    kernel = Kernel(strategy=args.strategy, memory_limit=512)
    server, client = load(kernel, wasm)
    want = expected_image()
    for export in ("draw", "draw_msg"):
        got = draw(kernel, client, export)
        status = "matches" if got == want else "DIFFERS from"
        print(f"{export:9s} ({args.strategy}): {W}x{H} picture {status} the Python reference")
        write_ppm(args.out / f"{export}.ppm", got)
    print(f"use after free -> {client.call('use_after_free')} (K_EBADCAP = -1)")
    print(f"caps held by the client afterwards: {client.call('caps_held')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
