"""Builds the fractal plugins from source.

    <out>/<fractal>.wasm            clang --target=wasm32 -O2 -nostdlib (plugins/<fractal>.c + common.c)
    <out>/<fractal>.<strategy>.so   python -m aot.cli compile <fractal>.wasm --memory <strategy>
    <out>/<fractal>.native.so       clang -O2 -march=native -ffp-contract=off -shared -fPIC (benchmarks)

Outputs are rebuilt only when a `.key` next to them (a hash of the inputs, the command
and, for the aot build, the compiler's sources) changes.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGINS = HERE / "plugins"
REPO = HERE.parents[1]
FRACTALS = ("mandelbrot", "julia", "burning_ship")
EXPORTS = ("tile_buffer", "render_tile", "colorize")

WASM_FLAGS = ["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry",
              *(f"-Wl,--export={e}" for e in EXPORTS)]
# -ffp-contract=off: Wasm has no fused multiply-add; fusing natively would change results.
NATIVE_FLAGS = ["-O2", "-march=native", "-ffp-contract=off", "-shared", "-fPIC"]


class BuildError(Exception):
    """A tool is missing or a build step failed; the message says which and why."""


def clang() -> str:
    path = shutil.which(os.environ.get("CLANG", "clang"))
    if not path:
        raise BuildError("clang (with the wasm32 target) and wasm-ld are needed to build the "
                         "fractal plugins: apt-get install clang lld")
    return path


def sources(fractal: str) -> list[Path]:
    if fractal not in FRACTALS:
        raise BuildError(f"unknown fractal {fractal!r}: one of {', '.join(FRACTALS)}")
    return [PLUGINS / f"{fractal}.c", PLUGINS / "common.c"]


def _key(inputs: list[Path], cmd: list[str]) -> str:
    h = hashlib.sha256()
    for part in [p.read_bytes() for p in inputs] + [(PLUGINS / "fractal.h").read_bytes(),
                                                    " ".join(cmd).encode()]:
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()


def _compiler_key() -> list[Path]:
    return sorted((REPO / "aot").rglob("*.py"))


def _run(cmd: list[str], out: Path, key: str, verbose: bool) -> Path:
    key_file = out.with_name(out.name + ".key")
    if out.is_file() and key_file.is_file() and key_file.read_text() == key:
        return out
    if verbose:
        print("  $", " ".join(str(c) for c in cmd), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise BuildError(f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
                         f"{proc.stdout}{proc.stderr}")
    key_file.write_text(key)
    return out


def build_wasm(fractal: str, out_dir: Path, verbose: bool = False) -> Path:
    out = Path(out_dir) / f"{fractal}.wasm"
    cmd = [clang(), *WASM_FLAGS, "-o", str(out), *map(str, sources(fractal))]
    return _run(cmd, out, _key(sources(fractal), cmd[:-3]), verbose)


def build_aot(fractal: str, strategy: str, out_dir: Path, verbose: bool = False) -> Path:
    """The `.so` our compiler makes of the plugin, for `strategy` ('guard' or 'bounds')."""
    wasm = build_wasm(fractal, out_dir, verbose)
    out = Path(out_dir) / f"{fractal}.{strategy}.so"
    cmd = [sys.executable, "-m", "aot.cli", "compile", str(wasm), "--memory", strategy, "-o", str(out)]
    return _run(cmd, out, _key([wasm, *_compiler_key()], ["aot compile --memory", strategy]), verbose)


def build_native(fractal: str, out_dir: Path, verbose: bool = False) -> Path:
    out = Path(out_dir) / f"{fractal}.native.so"
    cmd = [clang(), *NATIVE_FLAGS, "-o", str(out), *map(str, sources(fractal))]
    return _run(cmd, out, _key(sources(fractal), cmd[:-3]), verbose)


__all__ = ["FRACTALS", "BuildError", "build_wasm", "build_aot", "build_native", "clang"]
