"""The runners: one way each to execute a benchmark program's `setup(n)` and `run()`.

Every runner opens a program into a `Session` with `.setup(n)` and `.run() -> int` (the
checksum as an unsigned 64-bit number). Only `run()` is timed, and the Python-side cost
of one call (microseconds) is negligible against a run (tens of milliseconds).

    native          the C program built with clang -O2 as a shared library, via ctypes
    aot-guard       this project's compiler, --memory guard, loaded with runtime.load
    aot-bounds      this project's compiler, --memory bounds
    wasmtime        the wasmtime Python package (Cranelift; its default config reserves
                    guard regions, so it is a guard-page strategy too)
    wasm2c-guard    wabt's wasm2c output compiled by the same clang, guard pages
    wasm2c-bounds   the same, with a range check before every access

Runners import their engine lazily: a pyperf worker process loads only the engine it
measures (wasm2c's guard mode installs its own SIGSEGV handler, which must not meet our
runtime's in one process).
"""
from __future__ import annotations

import ctypes

from .build import Layout
from . import toolchain

MASK64 = (1 << 64) - 1

RUNNER_NAMES = ("native", "aot-guard", "aot-bounds", "wasmtime", "wasm2c-guard", "wasm2c-bounds")
BASELINE = "native"

# Runners that install a SIGSEGV handler of their own for as long as the process lives.
# Beside our runtime (whose guard-page traps need its handler) they run in a child.
OWN_SIGNAL_HANDLER = frozenset({"wasmtime", "wasm2c-guard"})


class Session:
    """One loaded, instantiated program."""

    def setup(self, n: int) -> None:
        raise NotImplementedError

    def run(self) -> int:
        raise NotImplementedError


class _NativeSession(Session):
    def __init__(self, path: str):
        self.lib = ctypes.CDLL(path)
        self.lib.setup.argtypes = [ctypes.c_int]
        self.lib.setup.restype = None
        self.lib.run.argtypes = []
        self.lib.run.restype = ctypes.c_uint64

    def setup(self, n: int) -> None:
        self.lib.setup(n)

    def run(self) -> int:
        return self.lib.run()


class _AotSession(Session):
    def __init__(self, path: str):
        import runtime

        self.instance = runtime.load(path).instantiate()
        self._setup = self.instance.exports.setup
        self._run = self.instance.exports.run

    def setup(self, n: int) -> None:
        self._setup(n)

    def run(self) -> int:
        return self._run() & MASK64  # i64 results come back signed


class _WasmtimeSession(Session):
    def __init__(self, cwasm: str):
        import wasmtime

        engine = wasmtime.Engine()
        module = wasmtime.Module.deserialize_file(engine, cwasm)
        self.store = wasmtime.Store(engine)
        exports = wasmtime.Instance(self.store, module, []).exports(self.store)
        self._setup, self._run = exports["setup"], exports["run"]

    def setup(self, n: int) -> None:
        self._setup(self.store, n)

    def run(self) -> int:
        return self._run(self.store) & MASK64


class _Wasm2cSession(Session):
    def __init__(self, path: str):
        self.lib = ctypes.CDLL(path)
        self.lib.bench_setup.argtypes = [ctypes.c_uint32]
        self.lib.bench_setup.restype = ctypes.c_int
        self.lib.bench_run.argtypes = [ctypes.POINTER(ctypes.c_uint64)]
        self.lib.bench_run.restype = ctypes.c_int
        self.result = ctypes.c_uint64()
        self.result_ptr = ctypes.pointer(self.result)

    def setup(self, n: int) -> None:
        trap = self.lib.bench_setup(n)
        if trap:
            raise RuntimeError(f"wasm2c: setup trapped (wasm_rt trap {trap})")

    def run(self) -> int:
        trap = self.lib.bench_run(self.result_ptr)
        if trap:
            raise RuntimeError(f"wasm2c: run trapped (wasm_rt trap {trap})")
        return self.result.value


def unavailable(runner: str) -> str | None:
    """Why `runner` cannot run on this machine, or None when it can."""
    try:
        if runner == "wasmtime" and toolchain.wasmtime_version() is None:
            return "the wasmtime Python package is not installed (pip install wasmtime)"
        if runner.startswith("wasm2c-"):
            toolchain.wasm2c()
            toolchain.wasm_rt_dir()
    except toolchain.MissingTool as e:
        return str(e)
    return None


def open_session(runner: str, layout: Layout, program: str) -> Session:
    """Load and instantiate `program` (already built into `layout`) with `runner`."""
    if runner == "native":
        return _NativeSession(str(layout.native(program)))
    if runner.startswith("aot-"):
        return _AotSession(str(layout.aot(program, runner[4:])))
    if runner == "wasmtime":
        return _WasmtimeSession(str(layout.cwasm(program)))
    if runner.startswith("wasm2c-"):
        return _Wasm2cSession(str(layout.wasm2c(program, runner[7:])))
    raise ValueError(f"unknown runner {runner!r}; known: {', '.join(RUNNER_NAMES)}")
