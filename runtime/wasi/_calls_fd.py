"""The fd_* calls of WASI preview 1.

Each takes the `Wasi` context, the `Caller`, then the call's parameters as unsigned
integers (raw i32/i64 bits), and returns 0 or raises `Fail(errno)`; an OSError is
turned into its errno by the caller of these functions (`_imports`). The hot ones,
fd_write and fd_read, are made per context by `make_*` and return their errno
themselves.
"""
from __future__ import annotations

from ._abi import (ADVICE_MAX, DIRENT, FDFLAGS_ALL, FDSTAT, FILESTAT, PREOPEN_DIR, PRESTAT, U32,
                   WHENCE_CUR, WHENCE_END, Errno, Rights)
from ._errors import Fail, from_os_error
from ._guest import iovecs, put, put_u32, put_u64, span
from ._times import times

_FAULT, _BADF, _INVAL = int(Errno.FAULT), int(Errno.BADF), int(Errno.INVAL)
_NOTCAPABLE, _ISDIR, _SPIPE = int(Errno.NOTCAPABLE), int(Errno.ISDIR), int(Errno.SPIPE)
_R_READ, _R_WRITE, _R_SEEK, _R_TELL = (int(Rights.FD_READ), int(Rights.FD_WRITE),
                                       int(Rights.FD_SEEK), int(Rights.FD_TELL))
_MAX_OFFSET = (1 << 63) - 1  # host offsets are signed 64-bit
_u32_pack = U32.pack_into


def _need(entry, right: int) -> None:
    if not entry.rights & right:
        raise Fail(_NOTCAPABLE)


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def _offset(v: int) -> int:
    if v > _MAX_OFFSET:
        raise Fail(_INVAL)
    return v


# ---- data ---------------------------------------------------------------------------------

# fd_write and fd_read are the hot calls (every printf, every fread): each is a closure
# over the context that returns its errno itself, with no wrapper frame around it.

def make_fd_write(w):
    view_of = w.memory.view
    entry_of = w.fds.entries.get

    def fd_write(caller, fd, iovs, iovs_len, nwritten):
        try:
            view = view_of(caller)
            entry = entry_of(fd)
            if entry is None or not entry.rights & _R_WRITE:
                return _BADF  # as POSIX for a descriptor not open for writing
            if nwritten + 4 > len(view):
                return _FAULT  # before writing anything
            _u32_pack(view, nwritten, entry.write(iovecs(view, iovs, iovs_len)))
            return 0
        except Fail as f:
            return f.errno
        except OSError as e:
            return from_os_error(e)
    return fd_write


def make_fd_read(w):
    view_of = w.memory.view
    entry_of = w.fds.entries.get

    def fd_read(caller, fd, iovs, iovs_len, nread):
        try:
            view = view_of(caller)
            entry = entry_of(fd)
            if entry is None:
                return _BADF
            if not entry.rights & _R_READ:
                return _ISDIR if entry.is_dir else _BADF
            if nread + 4 > len(view):
                return _FAULT
            _u32_pack(view, nread, entry.read(iovecs(view, iovs, iovs_len)))
            return 0
        except Fail as f:
            return f.errno
        except OSError as e:
            return from_os_error(e)
    return fd_read


def fd_pread(w, caller, fd, iovs, iovs_len, offset, nread):
    view = w.memory.view(caller)
    entry = w.fds.get(fd)
    if not entry.rights & _R_READ:
        raise Fail(_ISDIR if entry.is_dir else _BADF)
    if not entry.rights & _R_SEEK:
        raise Fail(_SPIPE)
    if nread + 4 > len(view):
        raise Fail(_FAULT)
    put_u32(view, nread, entry.pread(iovecs(view, iovs, iovs_len), _offset(offset)))
    return 0


def fd_pwrite(w, caller, fd, iovs, iovs_len, offset, nwritten):
    view = w.memory.view(caller)
    entry = w.fds.get(fd)
    if not entry.rights & _R_WRITE:
        raise Fail(_BADF)
    if not entry.rights & _R_SEEK:
        raise Fail(_SPIPE)
    if nwritten + 4 > len(view):
        raise Fail(_FAULT)
    put_u32(view, nwritten, entry.pwrite(iovecs(view, iovs, iovs_len), _offset(offset)))
    return 0


def fd_seek(w, caller, fd, offset, whence, newoffset):
    view = w.memory.view(caller)
    entry = w.fds.get(fd)
    offset = _signed64(offset)
    if whence > WHENCE_END:
        raise Fail(_INVAL)
    telling = whence == WHENCE_CUR and offset == 0
    if not entry.rights & (_R_SEEK | _R_TELL if telling else _R_SEEK):
        raise Fail(_SPIPE if not entry.is_dir else _NOTCAPABLE)
    if newoffset + 8 > len(view):
        raise Fail(_FAULT)
    put_u64(view, newoffset, entry.seek(offset, whence))
    return 0


def fd_tell(w, caller, fd, offset):
    view = w.memory.view(caller)
    entry = w.fds.get(fd)
    if not entry.rights & (_R_SEEK | _R_TELL):
        raise Fail(_SPIPE if not entry.is_dir else _NOTCAPABLE)
    if offset + 8 > len(view):
        raise Fail(_FAULT)
    put_u64(view, offset, entry.seek(0, WHENCE_CUR))
    return 0


# ---- descriptors ----------------------------------------------------------------------------

def fd_close(w, caller, fd):
    w.fds.remove(fd).close()
    return 0


def fd_renumber(w, caller, fd, to):
    w.fds.renumber(fd, to)
    return 0


def fd_fdstat_get(w, caller, fd, buf):
    view = w.memory.view(caller)
    e = w.fds.get(fd)
    put(FDSTAT, view, buf, e.filetype, e.fdflags, e.rights, e.inheriting)
    return 0


def fd_fdstat_set_flags(w, caller, fd, flags):
    entry = w.fds.get(fd)
    if flags & ~FDFLAGS_ALL:
        raise Fail(_INVAL)
    _need(entry, int(Rights.FD_FDSTAT_SET_FLAGS))
    entry.set_flags(flags)
    return 0


def fd_fdstat_set_rights(w, caller, fd, rights, inheriting):
    entry = w.fds.get(fd)
    if rights & ~entry.rights or inheriting & ~entry.inheriting:
        raise Fail(_NOTCAPABLE)  # rights only ever shrink
    entry.rights, entry.inheriting = rights, inheriting
    return 0


def fd_prestat_get(w, caller, fd, buf):
    view = w.memory.view(caller)
    entry = w.fds.get(fd)
    if entry.preopen is None:
        raise Fail(_BADF)
    put(PRESTAT, view, buf, PREOPEN_DIR, len(entry.preopen))
    return 0


def fd_prestat_dir_name(w, caller, fd, path, path_len):
    view = w.memory.view(caller)
    entry = w.fds.get(fd)
    name = entry.preopen
    if name is None:
        raise Fail(_BADF)
    if path_len < len(name):
        raise Fail(int(Errno.NAMETOOLONG))
    span(view, path, len(name))[:] = name
    return 0


# ---- metadata -------------------------------------------------------------------------------

def fd_filestat_get(w, caller, fd, buf):
    view = w.memory.view(caller)
    entry = w.fds.get(fd)
    _need(entry, int(Rights.FD_FILESTAT_GET))
    if buf + FILESTAT.size > len(view):
        raise Fail(_FAULT)
    put(FILESTAT, view, buf, *entry.stat())
    return 0


def fd_filestat_set_size(w, caller, fd, size):
    entry = w.fds.get(fd)
    _need(entry, int(Rights.FD_FILESTAT_SET_SIZE))
    entry.set_size(_offset(size))
    return 0


def fd_filestat_set_times(w, caller, fd, atim, mtim, fst_flags):
    entry = w.fds.get(fd)
    _need(entry, int(Rights.FD_FILESTAT_SET_TIMES))
    entry.set_times(*times(atim, mtim, fst_flags))
    return 0


def fd_sync(w, caller, fd):
    entry = w.fds.get(fd)
    _need(entry, int(Rights.FD_SYNC))
    entry.sync(False)
    return 0


def fd_datasync(w, caller, fd):
    entry = w.fds.get(fd)
    _need(entry, int(Rights.FD_DATASYNC))
    entry.sync(True)
    return 0


def fd_advise(w, caller, fd, offset, length, advice):
    entry = w.fds.get(fd)
    if advice > ADVICE_MAX:
        raise Fail(_INVAL)
    _need(entry, int(Rights.FD_ADVISE))
    entry.advise(_offset(offset), _offset(length), advice)
    return 0


def fd_allocate(w, caller, fd, offset, length):
    entry = w.fds.get(fd)
    _need(entry, int(Rights.FD_ALLOCATE))
    if length == 0 or offset + length > _MAX_OFFSET:
        raise Fail(_INVAL)
    entry.allocate(offset, length)
    return 0


# ---- directories ------------------------------------------------------------------------------

def fd_readdir(w, caller, fd, buf, buf_len, cookie, bufused):
    """Entries from position `cookie` (0 = start: the listing is read again), each a
    dirent header and its name, cut off at `buf_len` bytes (a full buffer tells the
    guest to call again, with a bigger buffer if one entry did not fit)."""
    view = w.memory.view(caller)
    entry = w.fds.get(fd)
    if not entry.is_dir:
        raise Fail(int(Errno.NOTDIR))
    _need(entry, int(Rights.FD_READDIR))
    out = span(view, buf, buf_len)
    if bufused + 4 > len(view):
        raise Fail(_FAULT)
    if cookie == 0 or entry.listing is None:
        entry.listing = entry.entries()
    listing = entry.listing
    data = bytearray()
    i = cookie
    while i < len(listing) and len(data) < buf_len:
        name, ino, ftype = listing[i]
        i += 1
        data += DIRENT.pack(i, ino, len(name), ftype)
        data += name
    n = min(len(data), buf_len)
    out[:n] = data[:n]
    put_u32(view, bufused, n)
    return 0
