"""The translator benchmark's two plugins, built into a build directory when stale.

    <build>/kbench.h       generated from plugins/kbench.kif (as `python -m kernel header`)
    <build>/server.wasm    plugins/server.c: implements kbench (op, op_badge) and make()
    <build>/client.wasm    plugins/client.c: imports kbench, exports loop and loop_badge
    <build>/aot-cache/     this project's compiled .so files (runtime.load's cache)

Each .wasm has a `.key` file next to it: a hash of the sources, the headers, the flags
and the clang version; equal key, no rebuild.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from kernel import headergen, idl

HERE = Path(__file__).resolve().parent
PLUGINS_DIR = HERE / "plugins"
INTERFACE = PLUGINS_DIR / "kbench.kif"
REPO = HERE.parent.parent
KERNEL_INCLUDE = REPO / "kernel" / "include"
DEFAULT_BUILD_DIR = REPO / "build" / "benchmarks" / "kernel"

WASM_FLAGS = ["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry"]
PLUGINS = ("server", "client")


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


def _command(plugin: str, build_dir: Path, out: Path) -> list[str]:
    return [clang(), *WASM_FLAGS, f"-I{build_dir}", f"-I{KERNEL_INCLUDE}", "-o", str(out),
            str(PLUGINS_DIR / f"{plugin}.c")]


def _key(plugin: str, header: str) -> str:
    h = hashlib.sha256()
    for part in ((PLUGINS_DIR / f"{plugin}.c").read_bytes(), header.encode(),
                 (KERNEL_INCLUDE / "kernel.h").read_bytes(), " ".join(WASM_FLAGS).encode(),
                 clang_version().encode()):
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()


def build(build_dir: Path = DEFAULT_BUILD_DIR) -> dict[str, Path]:
    """Build what is stale; the path of each plugin's .wasm by name."""
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    header = headergen.interface_header(idl.load(INTERFACE), INTERFACE.name)
    header_path = build_dir / "kbench.h"
    if not header_path.is_file() or header_path.read_text() != header:
        header_path.write_text(header)
    paths = {}
    for plugin in PLUGINS:
        out = build_dir / f"{plugin}.wasm"
        key_file = out.with_suffix(".key")
        key = _key(plugin, header)
        if not (out.is_file() and key_file.is_file() and key_file.read_text() == key):
            proc = subprocess.run(_command(plugin, build_dir, out), capture_output=True, text=True,
                                  check=False)
            if proc.returncode != 0:
                raise BuildError(f"building the {plugin} plugin failed:\n{proc.stderr.strip()}")
            key_file.write_text(key)
        paths[plugin] = out
    return paths


__all__ = ["BuildError", "build", "clang_version", "DEFAULT_BUILD_DIR", "INTERFACE", "PLUGINS"]
