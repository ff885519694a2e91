"""`WasiConfig`: what a WASI program is granted. Nothing is granted unless asked for."""
from __future__ import annotations

import os
from typing import Iterable, Mapping

from ._errors import WasiError

STDOUT_MODES = ("inherit", "capture", "null")
STDIN_MODES = ("inherit", "null")


def _bytes(value, what: str) -> bytes:
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, os.PathLike):
        data = os.fsencode(value)
    else:
        raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")
    if b"\0" in data:
        raise WasiError(f"{what} {value!r} contains a NUL byte")
    return data


class WasiConfig:
    """What a WASI program is given (a description; each `Wasi` made from it is a fresh
    environment).

    - `argv`: the program's arguments, argv[0] first (str or bytes).
    - `env`: environment variables {name: value}; `inherit_env=True` starts from the
      host's environment (then `env` adds to it).
    - `preopens`: {guest path: host directory}; the program can reach these directories
      (and what is below them) and nothing else of the host filesystem. Guest paths
      are how the program names them, e.g. "/data" or ".".
    - `stdin`: "null" (empty, the default), "inherit" (the host's), or bytes to read.
    - `stdout`, `stderr`: "inherit" (the default), "capture" (kept as bytes on the
      `Wasi`; at most `capture_limit` bytes each, then writes fail with ENOSPC), or
      "null" (discarded).
    - `max_fds`: how many descriptors the program may have open at once (EMFILE past it;
      each may hold a host descriptor).
    """

    def __init__(self, argv: Iterable = (), env: Mapping | None = None,
                 preopens: Mapping | None = None, *, stdin="null", stdout: str = "inherit",
                 stderr: str = "inherit", inherit_env: bool = False, max_fds: int = 256,
                 capture_limit: int | None = 64 << 20):
        if isinstance(argv, (str, bytes)):
            raise TypeError("argv must be a list of arguments, not a single string")
        self.argv = [_bytes(a, "argument") for a in argv]
        environ: dict[bytes, bytes] = {}
        if inherit_env:
            environ.update(os.environb)
        for k, v in (env or {}).items():
            key = _bytes(k, "environment variable name")
            if not key or b"=" in key:
                raise WasiError(f"environment variable name {k!r} is empty or contains '='")
            environ[key] = _bytes(v, f"environment variable {k!r}")
        self.env = environ
        self.preopens: list[tuple[bytes, str]] = []
        for guest, host in (preopens or {}).items():
            g = _bytes(guest, "preopen guest path")
            if not g:
                raise WasiError("a preopen's guest path is empty (use '.' or a path like '/data')")
            self.preopens.append((g, os.fsdecode(_bytes(host, "preopen host directory"))))
        if not (isinstance(stdin, (bytes, bytearray, memoryview)) or stdin in STDIN_MODES or stdin is None):
            raise ValueError(f"stdin must be one of {STDIN_MODES}, None or bytes, not {stdin!r}")
        for name, mode in (("stdout", stdout), ("stderr", stderr)):
            if mode not in STDOUT_MODES and mode is not None:
                raise ValueError(f"{name} must be one of {STDOUT_MODES} or None, not {mode!r}")
        self.stdin = "null" if stdin is None else stdin
        self.stdout = stdout or "null"
        self.stderr = stderr or "null"
        if not isinstance(max_fds, int) or max_fds < 3:
            raise ValueError("max_fds must be an int of at least 3 (the stdio descriptors)")
        self.max_fds = max_fds
        if capture_limit is not None and (not isinstance(capture_limit, int) or capture_limit < 0):
            raise ValueError("capture_limit must be a non-negative int or None (no limit)")
        self.capture_limit = capture_limit

    def __repr__(self) -> str:
        return (f"<WasiConfig argv={self.argv!r} env={len(self.env)} vars "
                f"preopens={[g for g, _ in self.preopens]!r} stdin={'bytes' if not isinstance(self.stdin, str) else self.stdin} "
                f"stdout={self.stdout} stderr={self.stderr}>")
