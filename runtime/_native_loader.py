"""Finds the runtime's C support (`ffi`, `lib`), building it on first use if needed.

Order: the installed extension `runtime._native` (when its source hash matches the C
sources next to it, or when there are no sources to compare with); otherwise a build
in the cache directory (`$AOT_CACHE_DIR`, else `~/.cache/aot-wasm`), under
`native-<hash of sources>-<python tag>/`, made once and reused. Builds go to a temporary
directory that is renamed into place, so concurrent first imports are safe.
Set `AOT_NATIVE_BUILD=1` to ignore an installed extension and use the cache build.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import shutil
import sys
import sysconfig
import tempfile

from ._errors import NativeBuildError

_MODULE = "_aot_native"


def cache_root() -> str:
    """The runtime's cache directory: `$AOT_CACHE_DIR`, else `~/.cache/aot-wasm`."""
    env = os.environ.get("AOT_CACHE_DIR")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "aot-wasm")


def _sources_present() -> bool:
    from . import _native_build as nb
    return all(os.path.exists(os.path.join(nb.NATIVE_DIR, s)) for s in nb.SOURCES + nb.HEADERS)


def _installed():
    if os.environ.get("AOT_NATIVE_BUILD") == "1":
        return None
    try:
        from . import _native  # type: ignore[attr-defined]
    except ImportError:
        return None
    if not _sources_present():
        return _native
    from . import _native_build as nb
    built = _native.ffi.string(_native.lib.aot_native_source_hash()).decode()
    # A stale in-place build (sources edited since) is ignored in favour of a fresh one.
    return _native if built == nb.source_hash() else None


def _find_compiler() -> str | None:
    for cc in (os.environ.get("CC"), sysconfig.get_config_var("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc.split()[0]):
            return cc
    return None


def _build_into_cache():
    from . import _native_build as nb

    digest = nb.source_hash()
    tag = sys.implementation.cache_tag
    final = os.path.join(cache_root(), f"native-{digest}-{tag}")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    target = os.path.join(final, _MODULE + suffix)
    if not os.path.exists(target):
        if _find_compiler() is None:
            raise NativeBuildError(
                "aot-wasm runtime: the C support is not built and no C compiler was found "
                "(looked for $CC, cc, gcc, clang). Install one (e.g. `apt-get install gcc`) "
                "or install the package with `pip install .` on a machine that has one.")
        os.makedirs(cache_root(), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f"native-{digest}-", dir=cache_root())
        try:
            builder = nb.make_builder(_MODULE, relative=False)
            built = builder.compile(tmpdir=tmp, verbose=False)
            os.makedirs(os.path.join(tmp, "out"))
            os.replace(built, os.path.join(tmp, "out", _MODULE + suffix))
            try:
                os.rename(os.path.join(tmp, "out"), final)
            except OSError:
                if not os.path.exists(target):  # not simply another process winning the race
                    raise
        except NativeBuildError:
            raise
        except Exception as e:
            raise NativeBuildError(
                f"aot-wasm runtime: building the C support failed ({type(e).__name__}: {e}). "
                f"Check that the C compiler {_find_compiler()!r} and the Python headers "
                f"(e.g. `apt-get install python3-dev`) are installed.") from e
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    loader = importlib.machinery.ExtensionFileLoader(_MODULE, target)
    spec = importlib.util.spec_from_file_location(_MODULE, target, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _load():
    native = _installed() or _build_into_cache()
    if native.lib.aot_runtime_init() != native.lib.AOT_OK:
        raise NativeBuildError("aot-wasm runtime: could not install the SIGSEGV/SIGBUS handler")
    return native


_native_module = _load()
ffi = _native_module.ffi
lib = _native_module.lib
