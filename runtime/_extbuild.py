"""Builds a cffi extension into the runtime's cache once, and loads it.

Used for the runtime's own C support and for code other packages generate at run time
(the kernel's core and its per-signature translators). A build lands in
`<cache>/<prefix>-<digest>-<python tag>/`, made in a temporary directory that is renamed
into place, so concurrent first uses (threads or processes) are safe.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import shutil
import sys
import sysconfig
import tempfile
from typing import Callable

from ._errors import NativeBuildError


def cache_root() -> str:
    """The runtime's cache directory: `$AOT_CACHE_DIR`, else `~/.cache/aot-wasm`."""
    env = os.environ.get("AOT_CACHE_DIR")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "aot-wasm")


def find_compiler() -> str | None:
    """The C compiler cffi will use, if one is installed."""
    for cc in (os.environ.get("CC"), sysconfig.get_config_var("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc.split()[0]):
            return cc
    return None


def load_or_build(module_name: str, prefix: str, digest: str, make_builder: Callable, what: str):
    """The extension `module_name` built by `make_builder(module_name)` (a cffi.FFI with
    its source set), cached under `prefix-digest`. `what` names it in error messages."""
    tag = sys.implementation.cache_tag
    final = os.path.join(cache_root(), f"{prefix}-{digest}-{tag}")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    target = os.path.join(final, module_name + suffix)
    if not os.path.exists(target):
        if find_compiler() is None:
            raise NativeBuildError(
                f"aot-wasm: {what} is not built and no C compiler was found (looked for $CC, "
                "cc, gcc, clang). Install one (e.g. `apt-get install gcc`) or install the "
                "package with `pip install .` on a machine that has one.")
        os.makedirs(cache_root(), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f"{prefix}-{digest}-", dir=cache_root())
        try:
            built = make_builder(module_name).compile(tmpdir=tmp, verbose=False)
            os.makedirs(os.path.join(tmp, "out"))
            os.replace(built, os.path.join(tmp, "out", module_name + suffix))
            try:
                os.rename(os.path.join(tmp, "out"), final)
            except OSError:
                if not os.path.exists(target):  # not simply another process winning the race
                    raise
        except Exception as e:
            raise NativeBuildError(
                f"aot-wasm: building {what} failed ({type(e).__name__}: {e}). Check that the "
                f"C compiler {find_compiler()!r} and the Python headers (e.g. `apt-get "
                "install python3-dev`) are installed.") from e
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    loader = importlib.machinery.ExtensionFileLoader(module_name, target)
    spec = importlib.util.spec_from_file_location(module_name, target, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
