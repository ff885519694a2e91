"""The runtime's exception types, one per kind of failure.

`Trap` (a Wasm call stopped) lives in `runtime._trap`; format-version mismatches raise
`aot.manifest.FormatVersionError`, re-exported as `runtime.FormatVersionError`.
"""
from __future__ import annotations


class Error(Exception):
    """Base class of every error the runtime raises."""


class LoadError(Error):
    """A file or byte string is not a loadable compiled module (or cannot be compiled here)."""


class LinkError(Error):
    """An import is missing or does not match what the module declares; names the import."""


class ResourceError(Error):
    """The operating system refused memory or address space (or a runtime limit was hit)."""


class ConcurrentUseError(Error):
    """Another thread is running code that uses this 'bounds' memory (see runtime._exclusive)."""


class GrowError(Error):
    """A memory or table could not grow by the requested amount (over its maximum, or no memory)."""


class NativeBuildError(ImportError):
    """The runtime's C support is not installed and could not be built here."""
