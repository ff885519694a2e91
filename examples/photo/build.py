"""Builds the photo plugins from source: C -> Wasm (clang) -> native code (`aot compile`).

    <out>/filter.h, <out>/format.h       generated from filter.kif / format.kif
    <out>/<plugin>.wasm                  clang --target=wasm32 -O2 -nostdlib -mbulk-memory
                                         (-msimd128 for the SIMD filter)
    <out>/<plugin>.<strategy>.so         python -m aot.cli compile <plugin>.wasm --memory <strategy>

Outputs are rebuilt only when the `.key` next to them (a hash of the inputs, the command
and, for the aot step, the compiler's sources) changes.
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
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from kernel import headergen, idl  # noqa: E402

FILTERS = ("grayscale", "blur", "sharpen", "sepia", "edges", "contrast", "hostile")
FORMATS = ("pnm", "bmp")
SIMD = {"contrast"}
STRATEGIES = ("guard", "bounds")
CFLAGS = ["--target=wasm32", "-O2", "-nostdlib", "-mbulk-memory", "-Wl,--no-entry",
          "-Wall", "-Wextra", "-Werror"]
HEADERS = ("photo.h", "filter_main.h", "format_main.h")


class BuildError(Exception):
    """A tool is missing or a build step failed; the message says which and why."""


def clang() -> str:
    path = shutil.which(os.environ.get("CLANG", "clang"))
    if not path or not shutil.which("wasm-ld"):
        raise BuildError("clang (with the wasm32 target) and wasm-ld are needed to build the "
                         "photo plugins: apt-get install clang lld")
    return path


def _hash(parts: list[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()


def _run(cmd: list[str], out: Path, key: str, verbose: bool) -> Path:
    key_file = out.with_name(out.name + ".key")
    if out.is_file() and key_file.is_file() and key_file.read_text() == key:
        return out
    if verbose:
        print("  $", " ".join(str(c) for c in cmd), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise BuildError(f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
                         f"{proc.stdout}{proc.stderr}")
    key_file.write_text(key)
    return out


def headers(out_dir: Path) -> None:
    """filter.h and format.h, generated from the interface files, in out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("filter", "format"):
        text = headergen.interface_header(idl.load(HERE / f"{name}.kif"), f"{name}.kif")
        target = out_dir / f"{name}.h"
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)


def build_wasm(plugin: str, out_dir: Path, verbose: bool = False) -> Path:
    if plugin not in FILTERS + FORMATS:
        raise BuildError(f"unknown plugin {plugin!r}")
    out_dir = Path(out_dir)
    headers(out_dir)
    out = out_dir / f"{plugin}.wasm"
    src = PLUGINS / f"{plugin}.c"
    flags = CFLAGS + (["-msimd128"] if plugin in SIMD else [])
    cmd = [clang(), *flags, "-I", str(out_dir), "-I", str(REPO / "kernel" / "include"),
           "-o", str(out), str(src)]
    inputs = [src, *(PLUGINS / h for h in HEADERS), out_dir / "filter.h", out_dir / "format.h",
              REPO / "kernel" / "include" / "kernel.h"]
    key = _hash([p.read_bytes() for p in inputs] + [" ".join(flags).encode()])
    return _run(cmd, out, key, verbose)


def build_aot(plugin: str, strategy: str, out_dir: Path, verbose: bool = False) -> Path:
    """The `.so` our compiler makes of the plugin for `strategy` ('guard' or 'bounds')."""
    if strategy not in STRATEGIES:
        raise BuildError(f"unknown memory strategy {strategy!r}")
    wasm = build_wasm(plugin, out_dir, verbose)
    out = Path(out_dir) / f"{plugin}.{strategy}.so"
    cmd = [sys.executable, "-m", "aot.cli", "compile", str(wasm), "--memory", strategy,
           "-o", str(out)]
    compiler = sorted((REPO / "aot").rglob("*.py"))
    key = _hash([wasm.read_bytes(), *(p.read_bytes() for p in compiler), strategy.encode()])
    return _run(cmd, out, key, verbose)


def build_all(out_dir: Path, strategy: str, plugins=FILTERS + FORMATS,
              verbose: bool = False) -> dict[str, Path]:
    """Every plugin's .so for `strategy`, by name."""
    return {p: build_aot(p, strategy, out_dir, verbose) for p in plugins}


__all__ = ["FILTERS", "FORMATS", "STRATEGIES", "BuildError", "build_wasm", "build_aot",
           "build_all", "clang"]
