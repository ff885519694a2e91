"""WASI calls about the process: arguments, environment, clocks, randomness, exit."""
from __future__ import annotations

import os
import struct
import time

from ._abi import (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME,
                   U64, Errno)
from ._errors import Exit, Fail
from ._guest import put_u32, span

_FAULT, _INVAL = int(Errno.FAULT), int(Errno.INVAL)


# ---- arguments and environment --------------------------------------------------------------
# Both are a list of NUL-terminated strings: *_sizes_get gives (count, bytes of all the
# strings); *_get writes a table of pointers and the strings the pointers point at.

def _sizes(view, strings, count_ptr: int, size_ptr: int) -> int:
    if count_ptr + 4 > len(view) or size_ptr + 4 > len(view):
        raise Fail(_FAULT)
    put_u32(view, count_ptr, strings.count)
    put_u32(view, size_ptr, len(strings.blob))
    return 0


def _get(view, strings, table_ptr: int, buf_ptr: int) -> int:
    count, blob = strings.count, strings.blob
    if table_ptr + 4 * count > len(view):
        raise Fail(_FAULT)
    out = span(view, buf_ptr, len(blob))
    if count:
        struct.pack_into(f"<{count}I", view, table_ptr, *[(buf_ptr + o) & 0xFFFFFFFF for o in strings.offsets])
    out[:] = blob
    return 0


def args_sizes_get(w, caller, argc, argv_buf_size):
    return _sizes(w.memory.view(caller), w.args, argc, argv_buf_size)


def args_get(w, caller, argv, argv_buf):
    return _get(w.memory.view(caller), w.args, argv, argv_buf)


def environ_sizes_get(w, caller, count, buf_size):
    return _sizes(w.memory.view(caller), w.environ, count, buf_size)


def environ_get(w, caller, environ, environ_buf):
    return _get(w.memory.view(caller), w.environ, environ, environ_buf)


# ---- clocks ---------------------------------------------------------------------------------

CLOCKS = {
    CLOCK_REALTIME: (time.time_ns, time.CLOCK_REALTIME),
    CLOCK_MONOTONIC: (time.monotonic_ns, time.CLOCK_MONOTONIC),
    CLOCK_PROCESS_CPUTIME: (time.process_time_ns, time.CLOCK_PROCESS_CPUTIME_ID),
    CLOCK_THREAD_CPUTIME: (time.thread_time_ns, time.CLOCK_THREAD_CPUTIME_ID),
}
_NOW = {k: v[0] for k, v in CLOCKS.items()}
_u64_pack = U64.pack_into


def make_clock_time_get(w):
    """clock_time_get, a hot call: a closure returning its errno itself (it cannot fail
    in any other way than these two)."""
    view_of = w.memory.view
    now_of = _NOW.get

    def clock_time_get(caller, clock_id, precision, out):
        now = now_of(clock_id)
        if now is None:
            return _INVAL
        view = view_of(caller)
        if out + 8 > len(view):
            return _FAULT
        _u64_pack(view, out, now())
        return 0
    return clock_time_get


def clock_res_get(w, caller, clock_id, out):
    clock = CLOCKS.get(clock_id)
    if clock is None:
        raise Fail(_INVAL)
    view = w.memory.view(caller)
    if out + 8 > len(view):
        raise Fail(_FAULT)
    _u64_pack(view, out, max(1, round(time.clock_getres(clock[1]) * 1e9)))
    return 0


# ---- the rest -------------------------------------------------------------------------------

_RANDOM_CHUNK = 1 << 16


def random_get(w, caller, buf, buf_len):
    out = span(w.memory.view(caller), buf, buf_len)
    for i in range(0, buf_len, _RANDOM_CHUNK):  # no temporary as big as the request
        n = min(_RANDOM_CHUNK, buf_len - i)
        out[i:i + n] = os.urandom(n)
    return 0


def sched_yield(w, caller):
    os.sched_yield()
    return 0


def proc_exit(w, caller, code):
    raise Exit(code)  # unwinds the Wasm stack through the host-exception path
