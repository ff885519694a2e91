"""How each configuration runs a kernel's `setup(n)` and `run()`.

    native              the C kernel auto-vectorised by clang -O2 -march=native, via ctypes
    simd-guard          the wasm_simd128.h build, this project's compiler, guard memory
    simd-bounds         the same, bounds-checked memory
    scalar-guard        the scalar Wasm build (no -msimd128), guard memory
    scalar-bounds       the same, bounds-checked memory

Our compiler runs LLVM's -O2 pipeline, loop vectoriser included, on the scalar Wasm
too: "scalar" is the Wasm the programmer wrote, not necessarily scalar machine code.
"""
from __future__ import annotations

import ctypes
from pathlib import Path

from .build import Kernel, output

MASK64 = (1 << 64) - 1
RUNNERS = ("native", "simd-guard", "simd-bounds", "scalar-guard", "scalar-bounds")
BASELINE = "native"


class Session:
    """A loaded, instantiated kernel: `.setup(n)`, `.run() -> int` (the u64 checksum)."""

    def __init__(self, setup, run):
        self.setup, self._run = setup, run

    def run(self) -> int:
        return self._run() & MASK64


def open_session(runner: str, kernel: Kernel, build_dir: Path) -> Session:
    if runner == "native":
        lib = ctypes.CDLL(str(output(build_dir, kernel, "native")))
        lib.setup.argtypes, lib.setup.restype = [ctypes.c_int], None
        lib.run.argtypes, lib.run.restype = [], ctypes.c_uint64
        return Session(lib.setup, lib.run)
    import runtime  # only in processes that measure our compiler

    kind, strategy = runner.split("-")
    wasm = output(build_dir, kernel, "wasm-simd" if kind == "simd" else "wasm-scalar")
    module = runtime.load(wasm, memory=strategy, cache_dir=build_dir / "aot-cache")
    exports = module.instantiate({}).exports
    return Session(exports["setup"], exports["run"])


__all__ = ["RUNNERS", "BASELINE", "Session", "open_session"]
