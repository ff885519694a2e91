"""The on-disk cache of compiled modules.

A `.wasm` is compiled once per (content, compiler code and LLVM version, options, host
machine); the
`.so` is stored as `<cache>/modules/<key>.so`, written to a temporary file and renamed
into place, so readers never see a partial file and concurrent writers are harmless.
`<cache>` is `cache_dir`, else `$AOT_CACHE_DIR`, else `~/.cache/aot-wasm`.
"""
from __future__ import annotations

import hashlib
import os
import platform
import tempfile

from aot.abi import FORMAT_VERSION

from ._native_loader import cache_root


def modules_dir(cache_dir: str | os.PathLike | None = None) -> str:
    root = os.fspath(cache_dir) if cache_dir is not None else cache_root()
    return os.path.join(root, "modules")


def _store(directory: str, name: str, data: bytes) -> str:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    if os.path.exists(path):
        return path
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".so")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def compiled_path(wasm: bytes, *, memory: str, opt_level: int,
                  cache_dir: str | os.PathLike | None = None, interrupt_checks: bool = False) -> str:
    """Path of the `.so` for `wasm`, compiling it (with aot.compiler) if not cached."""
    from aot.compiler import compile_wasm, compiler_digest

    key = hashlib.sha256()
    key.update(hashlib.sha256(wasm).digest())
    key.update(f"|{compiler_digest()}|format{FORMAT_VERSION}|{memory}|O{opt_level}|"
               f"{platform.machine()}|interrupt{int(interrupt_checks)}".encode())
    directory = modules_dir(cache_dir)
    path = os.path.join(directory, key.hexdigest()[:40] + ".so")
    if os.path.exists(path):
        return path
    return _store(directory, os.path.basename(path),
                  compile_wasm(wasm, memory=memory, opt_level=opt_level,
                               interrupt_checks=interrupt_checks))


def stored_so(so: bytes, cache_dir: str | os.PathLike | None = None) -> str:
    """Path of a file holding the `.so` bytes `so` (dlopen needs a file)."""
    name = "so-" + hashlib.sha256(so).hexdigest()[:40] + ".so"
    return _store(modules_dir(cache_dir), name, so)
