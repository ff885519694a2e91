"""`Wasi`: one WASI environment (descriptor table, captured output) and running a
program in it."""
from __future__ import annotations

import os
import sys
import weakref

from aot.model import FuncType

from .._func import Func
from .._module import Module
from . import _imports
from ._config import WasiConfig
from ._errors import Exit, WasiError
from ._fdtable import FdTable
from ._files import BytesInput, CapturedOutput, Directory, NullDevice, inherited
from ._guest import GuestMemory

_NO_ARGS = FuncType((), ())


class _Strings:
    """argv or environ as the guest receives them: NUL-terminated, packed in a blob."""

    __slots__ = ("count", "blob", "offsets")

    def __init__(self, items: list[bytes]):
        self.count = len(items)
        self.offsets = []
        blob = bytearray()
        for s in items:
            self.offsets.append(len(blob))
            blob += s + b"\0"
        self.blob = bytes(blob)


class Wasi:
    """A WASI preview-1 environment for one program (made from a `WasiConfig`).

        wasi = runtime.Wasi(runtime.WasiConfig(argv=["prog"], stdout="capture"))
        instance = module.instantiate(wasi.imports())
        code = wasi.start(instance)          # runs _start; the exit status
        wasi.stdout                          # what it printed

    Opening it opens the preopened host directories (WasiError if one cannot be);
    `close()` (or leaving a `with` block, or garbage collection) closes every host
    descriptor it holds. Use it from one thread at a time.
    """

    def __init__(self, config: WasiConfig | None = None):
        config = config if config is not None else WasiConfig()
        if not isinstance(config, WasiConfig):
            raise TypeError(f"Wasi needs a WasiConfig, not {type(config).__name__}")
        self.config = config
        self.fds = FdTable(config.max_fds)
        self._finalizer = weakref.finalize(self, self.fds.close_all)
        self.memory = GuestMemory()
        self.args = _Strings(config.argv)
        self.environ = _Strings([k + b"=" + v for k, v in config.env.items()])
        self._stdout = self._stderr = None
        self.fds.add(self._stdin(config.stdin))
        self._stdout = self.fds.entries[self.fds.add(self._output(config.stdout, 1))]
        self._stderr = self.fds.entries[self.fds.add(self._output(config.stderr, 2))]
        for guest, host in config.preopens:
            try:
                fd = os.open(host, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError as e:
                self.close()
                raise WasiError(f"preopen {os.fsdecode(guest)!r}: cannot open host directory "
                                f"{host!r}: {e.strerror}") from None
            d = Directory(fd)
            d.preopen = guest
            self.fds.add(d)
        self._funcs = None

    def _stdin(self, mode):
        if mode == "inherit":
            return inherited(0)
        if mode == "null":
            return NullDevice()
        return BytesInput(mode)

    def _output(self, mode: str, fd: int):
        if mode == "inherit":
            return inherited(fd)
        if mode == "capture":
            return CapturedOutput(self.config.capture_limit)
        return NullDevice()

    # ---- results -----------------------------------------------------------------------

    @property
    def stdout(self) -> bytes:
        """What the program wrote to its stdout, with stdout="capture" (else b"")."""
        return bytes(self._stdout.data) if isinstance(self._stdout, CapturedOutput) else b""

    @property
    def stderr(self) -> bytes:
        """What the program wrote to its stderr, with stderr="capture" (else b"")."""
        return bytes(self._stderr.data) if isinstance(self._stderr, CapturedOutput) else b""

    # ---- running -----------------------------------------------------------------------

    def imports(self) -> dict:
        """The import object to instantiate a WASI module with:
        {"wasi_snapshot_preview1": {name: Func}}. Merge your own namespaces into it."""
        if self._funcs is None:
            self._funcs = _imports.build(self)
        return {_imports.MODULE: dict(self._funcs)}

    def start(self, instance, *, timeout: float | None = None) -> int:
        """Run a command's `_start`; returns its exit status (0 when `_start` returns,
        else the code it gave proc_exit). Traps propagate as `runtime.Trap`; after
        `timeout` seconds the program stops with a Trap of kind INTERRUPTED (at its next
        loop or call; a WASI call in progress, e.g. a sleep in poll_oneoff, finishes
        first)."""
        start = _export_func(instance, "_start")
        if start is None:
            raise WasiError(f"{_name(instance)} is not a WASI command: it exports no '_start' "
                            "function (a reactor exports '_initialize' and is called through "
                            "its other exports)")
        self._check_memory(instance)
        self._flush_host_stdio()
        try:
            start(timeout=timeout)
        except Exit as e:
            return e.code
        finally:
            self._flush_host_stdio()
        return 0

    def initialize(self, instance, *, timeout: float | None = None) -> None:
        """Run a reactor's `_initialize` (if it exports one); call this once, before any
        other export."""
        self._check_memory(instance)
        init = _export_func(instance, "_initialize")
        if init is not None:
            init(timeout=timeout)

    def run(self, module: Module, imports: dict | None = None, *,
            timeout: float | None = None) -> int:
        """Instantiate `module` with this environment (plus `imports`, other namespaces)
        and run it as a command (for at most `timeout` seconds); returns the exit status."""
        merged = dict(imports or {})
        merged.update(self.imports())
        return self.start(module.instantiate(merged), timeout=timeout)

    def _check_memory(self, instance) -> None:
        if "memory" not in instance.exports:
            raise WasiError(f"{_name(instance)} exports no memory named 'memory', which WASI "
                            "needs to exchange data with the program")

    def _flush_host_stdio(self) -> None:
        # The program writes to the host's descriptors directly: what Python has
        # buffered must come out first, in order.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass

    def close(self) -> None:
        """Close every host descriptor (files the program opened, preopens). Captured
        output stays readable."""
        self.memory.forget()
        self._finalizer()

    def __enter__(self) -> "Wasi":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Wasi {len(self.fds.entries)} open descriptors>"


def _export_func(instance, name: str):
    exports = instance.exports
    if name not in exports:
        return None
    f = exports[name]
    if not isinstance(f, Func) or f.type != _NO_ARGS:
        raise WasiError(f"{_name(instance)}: export {name!r} must be a function () -> (), "
                        f"not {getattr(f, 'type', type(f).__name__)}")
    return f


def _name(instance) -> str:
    return os.path.basename(getattr(instance.module, "path", "")) or "the module"


def run(module: Module, config: WasiConfig | None = None, *, imports: dict | None = None,
        timeout: float | None = None) -> int:
    """Run WASI command `module` with `config` (default: nothing granted, output to the
    host's stdout/stderr) for at most `timeout` seconds (see Wasi.start); returns its exit
    status."""
    with Wasi(config) as wasi:
        return wasi.run(module, imports, timeout=timeout)
