"""Exceptions of the WASI layer, and how host errors become WASI errno values."""
from __future__ import annotations

import errno as _host

from .._errors import Error
from ._abi import Errno


class Exit(Exception):
    """A WASI program ended with `proc_exit(code)`.

    Raised out of the Wasm call that was running (its stack is unwound, like a trap,
    but it is not one): `code` is the exit status, an unsigned 32-bit int.
    """

    def __init__(self, code: int):
        self.code = code
        super().__init__(f"exit status {code}")


class WasiError(Error):
    """WASI cannot run as asked: the configuration is unusable (a preopened directory
    that cannot be opened, a NUL byte in an argument), or the module does not fit it
    (no `_start` to run, no exported memory)."""


class Fail(Exception):
    """Internal: ends a WASI call with `errno` (never leaves the WASI layer)."""

    __slots__ = ("errno",)

    def __init__(self, errno: int):
        self.errno = errno


def _host_to_wasi() -> dict[int, int]:
    table = {}
    for e in Errno:
        name = "E2BIG" if e is Errno.TOOBIG else "E" + e.name
        host = getattr(_host, name, None)
        if host is not None and e is not Errno.SUCCESS:
            table.setdefault(host, int(e))
    table[_host.EWOULDBLOCK] = int(Errno.AGAIN)
    table[_host.EOPNOTSUPP] = int(Errno.NOTSUP)
    return table


_FROM_HOST = _host_to_wasi()


def from_os_error(exc: OSError) -> int:
    """The WASI errno for a host OSError (EIO when the host's code has no counterpart)."""
    return _FROM_HOST.get(exc.errno, int(Errno.IO)) if exc.errno else int(Errno.IO)
