"""The SIMD kernels and their three builds, compiled into a build directory when stale.

    <build>/native/<kernel>.so        clang -O2 -march=native -ffp-contract=off (auto-vectorised)
    <build>/wasm-simd/<kernel>.wasm   clang --target=wasm32 -msimd128 -O2 (wasm_simd128.h branch)
    <build>/wasm-scalar/<kernel>.wasm clang --target=wasm32 -O2 (the plain C branch)
    <build>/aot-cache/                this project's compiled .so files (runtime.load's cache)

Each output has a `.key` file next to it: a hash of the source, the header, the flags and
the clang version; equal key, no rebuild.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
KERNELS_DIR = HERE / "kernels"
REPO = HERE.parent.parent
DEFAULT_BUILD_DIR = REPO / "build" / "benchmarks" / "simd"

# -ffp-contract=off: Wasm has no fused multiply-add; fusing natively would change the
# float kernel's results (and its checksum).
NATIVE_FLAGS = ["-O2", "-march=native", "-ffp-contract=off", "-shared", "-fPIC"]
WASM_FLAGS = ["--target=wasm32", "-O2", "-nostdlib", "-mbulk-memory", "-Wl,--no-entry",
              "-Wl,--export=setup", "-Wl,--export=run"]
SIMD_FLAGS = ["-msimd128"]

BUILDS = ("native", "wasm-simd", "wasm-scalar")


@dataclass(frozen=True)
class Kernel:
    """One benchmark kernel: `n` elements per pass in a measurement, `smoke_n` in tests."""

    name: str
    n: int
    smoke_n: int
    what: str

    @property
    def source(self) -> Path:
        return KERNELS_DIR / f"{self.name}.c"


KERNELS: tuple[Kernel, ...] = (
    Kernel("saxpy", 1 << 16, 256, "y = a*x + y over f32 (f32x4.mul/add)"),
    Kernel("dot_i16", 1 << 17, 256, "int16 dot products (i32x4.dot_i16x8_s)"),
    Kernel("blend_u8", 1 << 18, 256, "8-bit alpha blend (extend, i16x8.mul, narrow_u)"),
)
BY_NAME = {k.name: k for k in KERNELS}


class BuildError(Exception):
    """A tool is missing or a compile failed; the message says which and why."""


def clang() -> str:
    path = shutil.which(os.environ.get("CLANG", "clang"))
    if not path:
        raise BuildError("clang (with the wasm32 target and wasm-ld) is needed: apt-get install clang lld")
    return path


@lru_cache(maxsize=None)
def clang_version() -> str:
    out = subprocess.run([clang(), "--version"], capture_output=True, text=True, check=False)
    return out.stdout.splitlines()[0] if out.stdout else "unknown clang"


def output(build_dir: Path, kernel: Kernel, build: str) -> Path:
    suffix = ".so" if build == "native" else ".wasm"
    return build_dir / build / f"{kernel.name}{suffix}"


def _command(kernel: Kernel, build: str, out: Path) -> list[str]:
    flags = {"native": NATIVE_FLAGS, "wasm-simd": WASM_FLAGS + SIMD_FLAGS, "wasm-scalar": WASM_FLAGS}[build]
    return [clang(), *flags, "-o", str(out), str(kernel.source)]


def _key(kernel: Kernel, build: str) -> str:
    h = hashlib.sha256()
    for part in (kernel.source.read_bytes(), (KERNELS_DIR / "simd_bench.h").read_bytes(),
                 " ".join(_command(kernel, build, Path("out"))).encode(), clang_version().encode()):
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()


def build(kernel: Kernel, build_dir: Path = DEFAULT_BUILD_DIR) -> dict[str, Path]:
    """Every build of `kernel` (compiling what is stale); {build name: path}."""
    paths = {}
    for b in BUILDS:
        out = output(build_dir, kernel, b)
        key_file = out.with_name(out.name + ".key")
        key = _key(kernel, b)
        if not (out.is_file() and key_file.is_file() and key_file.read_text() == key):
            out.parent.mkdir(parents=True, exist_ok=True)
            proc = subprocess.run(_command(kernel, b, out), capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise BuildError(f"building {kernel.name} ({b}) failed:\n{proc.stderr.strip()}")
            key_file.write_text(key)
        paths[b] = out
    return paths


__all__ = ["Kernel", "KERNELS", "BY_NAME", "BUILDS", "BuildError", "build", "output", "clang_version",
           "DEFAULT_BUILD_DIR"]
