"""One thread at a time for 'bounds' memories.

Threads and instances: calls release the GIL, and compiled code is reentrant, so any
number of threads may call into any instances at once, including the same instance,
when its memories use the 'guard' strategy: their base never moves, `memory.grow` is
serialised in C, and whatever two threads do to the same linear memory at once is a
data race inside the sandbox, never outside it.

A 'bounds' memory is different: `memory.grow` may move its base (mremap), so a thread
still running code, or Python reading it, at the old base would touch unmapped (or
reused) address space. So a bounds memory has an owner thread while a call uses it: a
call into an instance that uses a bounds memory, and Python's `grow`/`read`/`write` on
it, from another thread while one is running raise `ConcurrentUseError` at once (they
never wait: a wait could deadlock through host functions). Re-entry from the owning
thread (Wasm -> host function -> Wasm or Memory access) is allowed.

Not covered: native code calling between instances without Python (the capability
kernel's translators) does not take ownership; the kernel must not let two threads
into instances that share a bounds memory.
"""
from __future__ import annotations

import threading

from ._errors import ConcurrentUseError

_get_ident = threading.get_ident


class Exclusive:
    """The owner thread of one bounds memory, with a re-entry count."""

    __slots__ = ("_lock", "_owner", "_depth", "what")

    def __init__(self, what: str) -> None:
        self._lock = threading.Lock()
        self._owner = None
        self._depth = 0
        self.what = what

    def enter(self) -> None:
        me = _get_ident()
        with self._lock:
            if self._owner is None:
                self._owner = me
                self._depth = 1
            elif self._owner == me:
                self._depth += 1
            else:
                raise ConcurrentUseError(
                    f"{self.what} is in use by another thread: a 'bounds' memory may move when "
                    "it grows, so only one thread at a time may run code that uses it; use one "
                    "instance per thread, or compile with memory='guard', which allows "
                    "concurrent calls")

    def exit(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None


class Using:
    """Enter several Exclusives (an instance's bounds memories) for one call."""

    __slots__ = ("_all",)

    def __init__(self, exclusives) -> None:
        self._all = tuple(exclusives)

    def __enter__(self) -> None:
        done = []
        try:
            for x in self._all:
                x.enter()
                done.append(x)
        except BaseException:
            for x in reversed(done):
                x.exit()
            raise

    def __exit__(self, *exc) -> None:
        for x in reversed(self._all):
            x.exit()


__all__ = ["Exclusive", "Using"]
