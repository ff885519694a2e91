"""The guest's file descriptor table: numbers -> `Entry`, lowest free number first."""
from __future__ import annotations

import heapq

from ._abi import Errno
from ._errors import Fail
from ._files import Entry

_BADF = int(Errno.BADF)


class FdTable:
    """At most `limit` open descriptors (more is EMFILE): each one may hold a host fd,
    and a guest must not be able to exhaust the host process's descriptors."""

    def __init__(self, limit: int):
        self.entries: dict[int, Entry] = {}
        self.limit = limit
        self._free: list[int] = []  # heap of unused numbers below _next
        self._next = 0

    def get(self, fd: int) -> Entry:
        e = self.entries.get(fd)
        if e is None:
            raise Fail(_BADF)
        return e

    def room(self) -> None:
        """EMFILE unless one more descriptor fits (check before opening host files)."""
        if len(self.entries) >= self.limit:
            raise Fail(int(Errno.MFILE))

    def add(self, entry: Entry) -> int:
        self.room()
        if self._free:
            fd = heapq.heappop(self._free)
        else:
            fd = self._next
            self._next += 1
        self.entries[fd] = entry
        return fd

    def remove(self, fd: int) -> Entry:
        entry = self.entries.pop(fd, None)
        if entry is None:
            raise Fail(_BADF)
        heapq.heappush(self._free, fd)
        return entry

    def renumber(self, src: int, dst: int) -> None:
        """Move `src` onto `dst` (which must be open; what it held is closed)."""
        entry = self.get(src)
        old = self.get(dst)
        if src == dst:
            return
        del self.entries[src]
        heapq.heappush(self._free, src)
        self.entries[dst] = entry
        old.close()

    def close_all(self) -> None:
        entries = list(self.entries.values())
        self.entries.clear()  # in place: hot call paths hold the dict itself
        self._free, self._next = [], 0
        for e in entries:
            try:
                e.close()
            except OSError:
                pass
