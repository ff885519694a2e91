"""The external tools the suite builds with, and the flags it passes them.

One place for flags, so that every runner's code is built the same way:

- Native and wasm2c C are built by the same clang with NATIVE_CFLAGS. `-march=native`
  because our compiler generates code for the host CPU (`cpu=host`): the baselines get
  the same instruction set. `-ffp-contract=off` because Wasm has no fused multiply-add:
  fusing natively would change floating-point results, and every runner must return the
  same checksum.
- Wasm is built with WASM_CFLAGS: no libc; `-mbulk-memory` turns `__builtin_memcpy` /
  `__builtin_memset` (and loops clang recognises as such) into `memory.copy` /
  `memory.fill` instead of calls to a libc that is not there. No `-msimd128`: SIMD has
  its own suite (benchmarks/simd/).
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess

NATIVE_CFLAGS = ["-O2", "-march=native", "-ffp-contract=off"]
WASM_CFLAGS = ["--target=wasm32", "-O2", "-nostdlib", "-mbulk-memory", "-Wl,--no-entry"]

# wabt 1.0.32 names the strategy by WASM_RT_MEMCHECK_SIGNAL_HANDLER (1: guard pages and a
# SIGSEGV handler; 0: an explicit range check before every access). Newer wabt releases
# renamed these (WASM_RT_MEMCHECK_GUARD_PAGES / _BOUNDS_CHECK); we define both spellings
# so either version gets the mode we ask for.
WASM2C_MODES = {
    "guard": ["-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1", "-DWASM_RT_MEMCHECK_GUARD_PAGES=1"],
    "bounds": ["-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0", "-DWASM_RT_MEMCHECK_BOUNDS_CHECK=1"],
}

# Where Debian's wabt package (and source installs) put wasm2c's runtime.
_WASM_RT_DIRS = ("/usr/share/wabt/wasm2c", "/usr/src/wasm2c", "/usr/local/share/wabt/wasm2c")


class MissingTool(Exception):
    """A tool a runner needs is not installed; the message says what to install."""


def clang() -> str:
    path = shutil.which(os.environ.get("CLANG", "clang"))
    if not path:
        raise MissingTool("clang is needed to build the benchmark programs: apt-get install clang lld")
    return path


def wasm2c() -> str:
    path = shutil.which("wasm2c")
    if not path:
        raise MissingTool("wasm2c is not installed: apt-get install wabt")
    return path


def wasm_rt_dir() -> str:
    """The directory holding wasm-rt-impl.c (and wasm-rt.h or its copy in /usr/include)."""
    for d in _WASM_RT_DIRS:
        if os.path.isfile(os.path.join(d, "wasm-rt-impl.c")):
            return d
    raise MissingTool("wasm2c's runtime sources (wasm-rt-impl.c) were not found in "
                      + ", ".join(_WASM_RT_DIRS))


@functools.cache
def version(tool: str) -> str:
    """First line of `tool --version`, for the record of what was measured."""
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def wasmtime_version() -> str | None:
    """The wasmtime Python package's version, or None when it is not installed."""
    try:
        from importlib.metadata import version as dist_version
        return dist_version("wasmtime")
    except Exception:
        return None


def run(cmd: list[str]) -> None:
    """Run a build command; on failure raise with its output (build errors must be read)."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n"
                           f"{proc.stdout}{proc.stderr}")
