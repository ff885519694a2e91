"""`Trap`: a Wasm call stopped. Building it from the C trap record; host exceptions.

Trap state is per thread: the C side keeps one entry stack per thread, and a host
function's exception waits in a thread-local slot until the call that trapped because
of it returns, so traps in different threads never meet.
"""
from __future__ import annotations

import threading
import weakref

from aot.abi import NO_FUNC_INDEX, TrapCode

from ._errors import Error


class Trap(Error):
    """A WebAssembly trap.

    `kind` is the `TrapCode` (None for a code this runtime does not know), `message`
    the spec's text ("out of bounds memory access"), `func_index`/`func_name` the
    function it happened in when known, `pc` the native address.
    """

    def __init__(self, kind: TrapCode | None, *, message: str | None = None,
                 func_index: int | None = None, func_name: str | None = None,
                 pc: int | None = None):
        self.kind = kind
        self.message = message or (kind.message if kind is not None else "unknown trap")
        self.func_index = func_index
        self.func_name = func_name
        self.pc = pc
        super().__init__(self._describe())

    def _describe(self) -> str:
        if self.func_name is not None:
            return f"{self.message} (in function {self.func_index} '{self.func_name}')"
        if self.func_index is not None:
            return f"{self.message} (in function {self.func_index})"
        return self.message


# ---- which loaded module, and which function, a native pc belongs to -----------------

_code_lock = threading.RLock()  # reentrant: a GC finalizer may need it while we hold it
_code: list[tuple[int, int, weakref.ref]] = []  # (lo, hi, module); few entries, scanned


def register_code(lo: int, hi: int, module: object) -> None:
    with _code_lock:
        _code.append((lo, hi, weakref.ref(module)))


def unregister_code(lo: int) -> None:
    """Drop dead entries for `lo` (called from a module's finalizer)."""
    with _code_lock:
        _code[:] = [e for e in _code if not (e[0] == lo and e[2]() is None)]


def module_at(pc: int):
    """The loaded Module whose code contains `pc`, or None."""
    with _code_lock:
        for lo, hi, ref in _code:
            if lo <= pc < hi:
                module = ref()
                if module is not None:
                    return module
    return None


# ---- host exceptions -----------------------------------------------------------------

_pending = threading.local()


def set_pending(exc: BaseException) -> None:
    """Remember a host function's exception until its trap reaches the caller."""
    _pending.exc = exc


def _take_pending() -> BaseException | None:
    exc = getattr(_pending, "exc", None)
    _pending.exc = None
    return exc


def raise_trap(info) -> None:
    """Raise what a trapped `aot_invoke` stands for (`info` is its aot_trap_info)."""
    code = int(info.code)
    if code == TrapCode.HOST_EXCEPTION:
        exc = _take_pending()
        if exc is not None:
            raise exc  # the host function's own exception, unchanged
    try:
        kind = TrapCode(code)
    except ValueError:
        raise Trap(None, message=f"unknown trap code {code}") from None
    pc = int(info.pc)
    # A builtin trap records its return address, which may already be the first byte of
    # the next function when the call was the last instruction: look one byte earlier.
    lookup = pc if info.from_signal else pc - 1
    module = module_at(lookup) if pc else None
    func_index = None if info.func_index == NO_FUNC_INDEX else int(info.func_index)
    if func_index is None and module is not None:
        func_index = module._func_at(lookup)
    func_name = module._func_name(func_index) if module is not None and func_index is not None else None
    raise Trap(kind, func_index=func_index, func_name=func_name, pc=pc or None)
