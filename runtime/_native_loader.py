"""Finds the runtime's C support (`ffi`, `lib`), building it on first use if needed.

Order: the installed extension `runtime._native` (when its source hash matches the C
sources next to it, or when there are no sources to compare with); otherwise a build
in the cache directory (`$AOT_CACHE_DIR`, else `~/.cache/aot-wasm`), under
`native-<hash of sources>-<python tag>/`, made once and reused. Builds go to a temporary
directory that is renamed into place, so concurrent first imports are safe.
Set `AOT_NATIVE_BUILD=1` to ignore an installed extension and use the cache build.
"""
from __future__ import annotations

import os

from ._errors import NativeBuildError
from ._extbuild import cache_root, load_or_build  # noqa: F401  (cache_root: re-exported)

_MODULE = "_aot_native"


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


def _build_into_cache():
    from . import _native_build as nb

    return load_or_build(_MODULE, "native", nb.source_hash(),
                         lambda name: nb.make_builder(name, relative=False), "the runtime's C support")


def _load():
    native = _installed() or _build_into_cache()
    if native.lib.aot_runtime_init() != native.lib.AOT_OK:
        raise NativeBuildError("aot-wasm runtime: could not install the SIGSEGV/SIGBUS handler")
    return native


_native_module = _load()
ffi = _native_module.ffi
lib = _native_module.lib
