"""Decoding the (atim, mtim, fst_flags) triple of the *_set_times calls."""
from __future__ import annotations

import time

from ._abi import FST_ATIM, FST_ATIM_NOW, FST_MTIM, FST_MTIM_NOW, FSTFLAGS_ALL, Errno
from ._errors import Fail

_MAX_NS = (1 << 63) - 1


def times(atim: int, mtim: int, flags: int) -> tuple[int | None, int | None]:
    """(atime_ns, mtime_ns) to set, None for one to leave alone. Asking for both a
    time and 'now' for the same stamp, or an unknown flag, is EINVAL."""
    if flags & ~FSTFLAGS_ALL or (flags & FST_ATIM and flags & FST_ATIM_NOW) or (
            flags & FST_MTIM and flags & FST_MTIM_NOW):
        raise Fail(int(Errno.INVAL))
    if atim > _MAX_NS or mtim > _MAX_NS:
        raise Fail(int(Errno.INVAL))
    now = time.time_ns() if flags & (FST_ATIM_NOW | FST_MTIM_NOW) else 0
    a = atim if flags & FST_ATIM else now if flags & FST_ATIM_NOW else None
    m = mtim if flags & FST_MTIM else now if flags & FST_MTIM_NOW else None
    return a, m
