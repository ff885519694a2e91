"""`runtime.load`: a Module from a `.so`, a `.wasm` file or bytes of either."""
from __future__ import annotations

import os

from aot.abi import MemoryStrategy

from ._cache import compiled_path, stored_so
from ._errors import LoadError
from ._module import Module

_ELF_MAGIC = b"\x7fELF"


def _strategy(memory) -> str | None:
    if memory is None:
        return None
    try:
        return MemoryStrategy(memory.value if isinstance(memory, MemoryStrategy) else memory).value
    except ValueError:
        raise ValueError(f"unknown memory strategy {memory!r}: use 'guard' or 'bounds'") from None


def load(source: str | os.PathLike | bytes, *, memory: str | None = None, opt_level: int = 2,
         cache_dir: str | os.PathLike | None = None, interrupt_checks: bool = False) -> Module:
    """Load a compiled module.

    `source` is a path to a `.so` (loaded as is) or to a `.wasm`, or the bytes of
    either. Anything that is not an ELF file is compiled as Wasm with
    `aot.compiler.compile_wasm` (strategy `memory`, default 'guard'; `opt_level`)
    through the on-disk cache in `cache_dir` (default `$AOT_CACHE_DIR`, else
    `~/.cache/aot-wasm`); its DecodeError, ValidationError or CompileError propagate.
    A `.so` compiled with another strategy than `memory` raises LoadError.
    `interrupt_checks=True` compiles a `.wasm` with polled interruption checks (see
    aot.translate.interrupt; timeouts work without them, by signal).
    """
    strategy = _strategy(memory)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        name = os.fspath(source)
        try:
            with open(name, "rb") as f:
                head = f.read(4)
                if head == _ELF_MAGIC:
                    return _check_strategy(Module(name), strategy)
                data = head + f.read()
        except OSError as e:
            raise LoadError(f"{name}: cannot read: {e.strerror}") from None
    if data[:4] == _ELF_MAGIC:
        return _check_strategy(Module(stored_so(data, cache_dir)), strategy)
    # Anything else is taken as Wasm: the decoder says precisely what is wrong with it.
    path = compiled_path(data, memory=strategy or "guard", opt_level=opt_level, cache_dir=cache_dir,
                         interrupt_checks=interrupt_checks)
    return Module(path)


def _check_strategy(module: Module, strategy: str | None) -> Module:
    if strategy is not None and module.strategy.value != strategy:
        raise LoadError(f"{module.path}: compiled with memory={module.strategy.value!r}, not "
                        f"{strategy!r}; compile the .wasm again with memory={strategy!r}")
    return module
