"""The compile driver: `.wasm` bytes → decoded → validated → LLVM IR → object → `.so`."""
from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .abi import MemoryStrategy
from .errors import AotError, CompileError

COMPILER_VERSION = "0.1.0"


@functools.lru_cache(maxsize=None)
def compiler_digest() -> str:
    """A digest of this compiler's code (every .py of the aot package) and of LLVM's
    version: what a cache of compiled modules must key on besides COMPILER_VERSION, so an
    edited or upgraded compiler never reuses another's output."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        llvm = version("llvmlite")
    except PackageNotFoundError:  # pragma: no cover (a source tree without metadata)
        import llvmlite
        llvm = llvmlite.__version__
    h = hashlib.sha256(f"{COMPILER_VERSION}|llvmlite {llvm}".encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]

EMIT_KINDS = ("so", "obj", "llvm-ir", "asm")

Progress = Callable[[str, float], None]
"""Called as progress(stage, seconds_so_far) when each stage starts."""


@dataclass(frozen=True)
class CompileOptions:
    """Everything that changes the output of a compile (and so keys the cache)."""

    memory: MemoryStrategy = MemoryStrategy.GUARD
    opt_level: int = 2
    target: str | None = None  # LLVM triple; None = this host
    cpu: str | None = None  # None = this host's CPU for native builds, 'generic' for cross
    interrupt_checks: bool = False  # polled checks, see aot.translate.interrupt
    batch_checks: bool = True  # grouped bounds checks; loop versioning (both strategies)

    def cache_key(self) -> str:
        return (f"{compiler_digest()}|{self.memory.value}|O{self.opt_level}|{self.target}|"
                f"{self.cpu}|interrupt{int(self.interrupt_checks)}"
                + ("" if self.batch_checks else "|nobatch"))


def _options(memory, opt_level, target, cpu, interrupt_checks=False, batch_checks=True) -> CompileOptions:
    try:
        strategy = MemoryStrategy(memory.value if isinstance(memory, MemoryStrategy) else memory)
    except ValueError:
        raise AotError(f"unknown memory strategy {memory!r}: use 'guard' or 'bounds'") from None
    if opt_level not in (0, 1, 2, 3):
        raise AotError(f"optimisation level must be 0..3, not {opt_level!r}")
    return CompileOptions(strategy, opt_level, target, cpu, bool(interrupt_checks), bool(batch_checks))


def compile_wasm(wasm: bytes, *, memory: str | MemoryStrategy = "guard", opt_level: int = 2,
                 target: str | None = None, cpu: str | None = None, emit: str = "so",
                 progress: Progress | None = None, interrupt_checks: bool = False,
                 batch_checks: bool = True) -> bytes:
    """Compile a WebAssembly binary. Returns the `.so` (or object, IR text, assembly) bytes.

    `interrupt_checks=True` adds polled interruption checks at loop headers and function
    entries (aot.translate.interrupt). Calls can be interrupted and timed out without
    them (the runtime stops compiled code with a signal); the checks make that
    deterministic where signals are unavailable, and cost speed (measured in README).
    `batch_checks=False` makes the bounds strategy check every access on its own instead
    of once per group of accesses sharing an address, and turns off loop versioning in
    both strategies (for comparison; both are exact).

    Raises DecodeError / ValidationError for bad input, ToolchainError when no linker
    is found, CompileError when lowering fails.
    """
    if emit not in EMIT_KINDS:
        raise AotError(f"unknown output kind {emit!r}: use one of {', '.join(EMIT_KINDS)}")
    opts = _options(memory, opt_level, target, cpu, interrupt_checks, batch_checks)
    t0 = time.perf_counter()

    def stage(name: str) -> None:
        if progress:
            progress(name, time.perf_counter() - t0)

    from .decode import decode_module
    from .validate import validate_module

    stage("decoding")
    module = decode_module(bytes(wasm))
    stage("validating")
    validate_module(module)

    from . import codegen
    from .translate import translate_module

    tm = codegen.target_machine(opts.target, opts.cpu, None, opts.opt_level)
    stage("translating")
    try:
        ir_module = translate_module(module, strategy=opts.memory, triple=tm.triple,
                                     data_layout=str(tm.target_data), compiler_version=COMPILER_VERSION,
                                     features=codegen.known_features(opts.target, opts.cpu),
                                     interrupt_checks=opts.interrupt_checks,
                                     batch_checks=opts.batch_checks, opt_level=opts.opt_level)
    except AotError:
        raise
    except Exception as e:  # a bug of ours: say where, don't leak a bare traceback to users
        raise CompileError(f"internal error while translating: {type(e).__name__}: {e}") from e
    if emit == "llvm-ir" and opts.opt_level == 0:
        return str(ir_module).encode()
    stage(f"optimising (-O{opts.opt_level})")
    modref = codegen.optimize(ir_module, tm, opts.opt_level)
    if emit == "llvm-ir":
        return str(modref).encode()
    if emit == "asm":
        stage("emitting assembly")
        return codegen.emit_assembly(modref, tm).encode()
    stage("emitting object code")
    obj = codegen.emit_object(modref, tm)
    if emit == "obj":
        return obj
    stage("linking")
    from .link import link_shared
    so = link_shared(obj, tm.triple)
    stage("done")
    return so
