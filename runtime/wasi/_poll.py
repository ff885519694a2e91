"""poll_oneoff: wait for clock deadlines and for descriptors to become ready.

Clock subscriptions are deadlines on the monotonic clock (a realtime deadline is
converted once). Descriptors whose readiness is known without waiting (regular
files, captured output, bytes input) are reported at once; others are waited on
with select() together with the nearest deadline.
"""
from __future__ import annotations

import select
import time

from ._abi import (CLOCK_MONOTONIC, CLOCK_REALTIME, EVENT, EVENT_CLOCK, EVENT_FD_READ,
                   EVENT_FD_WRITE, SUBCLOCK_ABSTIME, SUBSCRIPTION, SUBSCRIPTION_CLOCK,
                   SUBSCRIPTION_FD, Errno, Rights)
from ._errors import Fail
from ._guest import put_u32

MAX_SUBSCRIPTIONS = 4096
_LONGEST_WAIT = 3600.0  # seconds per select()/sleep() (then we look at the clock again)


def poll_oneoff(w, caller, in_ptr, out_ptr, nsubscriptions, nevents):
    view = w.memory.view(caller)
    n = nsubscriptions
    if n == 0 or n > MAX_SUBSCRIPTIONS:
        raise Fail(int(Errno.INVAL))
    size = len(view)
    if in_ptr + SUBSCRIPTION.size * n > size or out_ptr + EVENT.size * n > size or nevents + 4 > size:
        raise Fail(int(Errno.FAULT))

    now = time.monotonic_ns()
    clocks = []  # (deadline on the monotonic clock, userdata)
    ready = []  # events known now: (userdata, errno, type, nbytes)
    waiting = []  # (userdata, type, host fd)
    for i in range(n):
        userdata, tag, body = SUBSCRIPTION.unpack_from(view, in_ptr + SUBSCRIPTION.size * i)
        if tag == EVENT_CLOCK:
            clock_id, timeout, _precision, flags = SUBSCRIPTION_CLOCK.unpack_from(body)
            if flags & ~SUBCLOCK_ABSTIME or clock_id not in (CLOCK_REALTIME, CLOCK_MONOTONIC):
                ready.append((userdata, int(Errno.INVAL), EVENT_CLOCK, 0))
            elif not flags & SUBCLOCK_ABSTIME:
                clocks.append((now + timeout, userdata))
            elif clock_id == CLOCK_MONOTONIC:
                clocks.append((timeout, userdata))
            else:
                clocks.append((now + (timeout - time.time_ns()), userdata))
        elif tag in (EVENT_FD_READ, EVENT_FD_WRITE):
            fd = SUBSCRIPTION_FD.unpack_from(body)[0]
            entry = w.fds.entries.get(fd)
            if entry is None:
                ready.append((userdata, int(Errno.BADF), tag, 0))
                continue
            if not entry.rights & int(Rights.POLL_FD_READWRITE):
                ready.append((userdata, int(Errno.NOTCAPABLE), tag, 0))
                continue
            ok, nbytes = entry.ready(tag == EVENT_FD_WRITE)
            host = entry.host_fd()
            if ok or host is None:
                ready.append((userdata, 0, tag, nbytes))
            else:
                waiting.append((userdata, tag, host))
        else:
            raise Fail(int(Errno.INVAL))

    if not ready:
        ready = _wait(clocks, waiting)
    for k, (userdata, err, etype, nbytes) in enumerate(ready):
        EVENT.pack_into(view, out_ptr + EVENT.size * k, userdata, err, etype, nbytes, 0)
    put_u32(view, nevents, len(ready))
    return 0


def _wait(clocks: list, waiting: list) -> list:
    """Block until the nearest deadline passes or a waited-on descriptor is ready."""
    readers = [h for _, t, h in waiting if t == EVENT_FD_READ]
    writers = [h for _, t, h in waiting if t == EVENT_FD_WRITE]
    nearest = min(d for d, _ in clocks) if clocks else None
    while True:
        now = time.monotonic_ns()
        if nearest is not None and nearest <= now:
            return [(u, 0, EVENT_CLOCK, 0) for d, u in clocks if d <= now]
        timeout = None if nearest is None else min((nearest - now) / 1e9, _LONGEST_WAIT)
        if not waiting:
            time.sleep(timeout)
            continue
        try:
            r, wr, _ = select.select(readers, writers, [], timeout)
        except (OSError, ValueError):  # a descriptor the host closed meanwhile
            return [(u, int(Errno.BADF), t, 0) for u, t, _ in waiting]
        events = [(u, 0, t, 0) for u, t, h in waiting
                  if (h in r if t == EVENT_FD_READ else h in wr)]
        if events:
            return events
