"""What a WASI file descriptor stands for: host files and directories, and the stdio
stand-ins (captured output, bytes as input, nothing).

Each kind implements the operations that make sense for it; the others end the call
with the errno POSIX gives for them (EBADF, ESPIPE, EISDIR, ...). Methods take host
values already checked by the caller (offsets fit in 63 bits, flags are known bits).
"""
from __future__ import annotations

import fcntl
import os
import stat

from ._abi import (FDFLAG_APPEND, FDFLAG_DSYNC, FDFLAG_NONBLOCK, FDFLAG_RSYNC, FDFLAG_SYNC,
                   RIGHTS_ALL, RIGHTS_DIR, RIGHTS_FILE, RIGHTS_STREAM, Errno, Filetype, Rights)
from ._errors import Fail

_BADF, _SPIPE, _ISDIR, _INVAL = int(Errno.BADF), int(Errno.SPIPE), int(Errno.ISDIR), int(Errno.INVAL)

_SEEKABLE = int(Rights.FD_SEEK | Rights.FD_TELL)


def filetype_of(mode: int) -> int:
    """The WASI filetype of a host st_mode (FIFOs have no WASI type: UNKNOWN)."""
    if stat.S_ISREG(mode):
        return Filetype.REGULAR_FILE
    if stat.S_ISDIR(mode):
        return Filetype.DIRECTORY
    if stat.S_ISCHR(mode):
        return Filetype.CHARACTER_DEVICE
    if stat.S_ISBLK(mode):
        return Filetype.BLOCK_DEVICE
    if stat.S_ISLNK(mode):
        return Filetype.SYMBOLIC_LINK
    if stat.S_ISSOCK(mode):
        return Filetype.SOCKET_STREAM
    return Filetype.UNKNOWN


class Entry:
    """An open file description as the guest sees it."""

    filetype = Filetype.UNKNOWN
    is_dir = False

    def __init__(self, rights: int, inheriting: int = 0, fdflags: int = 0):
        self.rights = rights  # what this fd may do (fd_fdstat_get's fs_rights_base)
        self.inheriting = inheriting  # what files opened through it may do
        self.fdflags = fdflags
        self.preopen: bytes | None = None  # the guest name of a preopened directory

    # -- data --------------------------------------------------------------------------
    def read(self, bufs: list) -> int:
        raise Fail(_BADF)

    def write(self, bufs: list) -> int:
        raise Fail(_BADF)

    def pread(self, bufs: list, offset: int) -> int:
        raise Fail(_SPIPE)

    def pwrite(self, bufs: list, offset: int) -> int:
        raise Fail(_SPIPE)

    def seek(self, offset: int, whence: int) -> int:
        raise Fail(_SPIPE)

    def ready(self, writing: bool) -> tuple[bool, int]:
        """For poll_oneoff: (ready now, bytes available if known, else 0)."""
        return True, 0

    def host_fd(self) -> int | None:
        """A host fd to wait on with select(), when readiness is not known up front."""
        return None

    # -- metadata ----------------------------------------------------------------------
    def stat(self) -> tuple:
        """(dev, ino, filetype, nlink, size, atim, mtim, ctim)"""
        return (0, 0, self.filetype, 1, 0, 0, 0, 0)

    def set_size(self, size: int) -> None:
        raise Fail(_INVAL)

    def set_times(self, atime_ns: int | None, mtime_ns: int | None) -> None:
        raise Fail(_BADF)

    def set_flags(self, fdflags: int) -> None:
        if (fdflags ^ self.fdflags) & ~FDFLAG_APPEND:
            raise Fail(int(Errno.NOTSUP))
        self.fdflags = fdflags

    def sync(self, data_only: bool) -> None:
        raise Fail(_INVAL)

    def advise(self, offset: int, length: int, advice: int) -> None:
        raise Fail(_SPIPE)

    def allocate(self, offset: int, length: int) -> None:
        raise Fail(_SPIPE)

    def close(self) -> None:
        pass


_U64 = (1 << 64) - 1


def stat_tuple(st: os.stat_result) -> tuple:
    """A host stat as a WASI filestat's fields. Timestamps before 1970 are negative on
    the host: WASI's are u64, so they wrap as the two's complement a C guest expects."""
    return (st.st_dev, st.st_ino, filetype_of(st.st_mode), st.st_nlink, st.st_size,
            st.st_atime_ns & _U64, st.st_mtime_ns & _U64, st.st_ctime_ns & _U64)


class HostFile(Entry):
    """A host file descriptor: a file opened by the guest, or inherited stdio (not owned:
    closing it only forgets it, the host keeps its descriptor)."""

    def __init__(self, fd: int, filetype: int, rights: int, fdflags: int = 0, *,
                 owned: bool = True):
        super().__init__(rights, 0, fdflags)
        self.fd = fd
        self.filetype = filetype
        self.owned = owned

    def read(self, bufs):
        return os.readv(self.fd, bufs)

    def write(self, bufs):
        return os.writev(self.fd, bufs)

    def pread(self, bufs, offset):
        return os.preadv(self.fd, bufs, offset)

    def pwrite(self, bufs, offset):
        return os.pwritev(self.fd, bufs, offset)

    def seek(self, offset, whence):
        return os.lseek(self.fd, offset, whence)

    def ready(self, writing):
        if self.filetype == Filetype.REGULAR_FILE:
            if writing:
                return True, 0
            pos = os.lseek(self.fd, 0, os.SEEK_CUR)
            return True, max(0, os.fstat(self.fd).st_size - pos)
        return False, 0

    def host_fd(self):
        return self.fd

    def stat(self):
        return stat_tuple(os.fstat(self.fd))

    def set_size(self, size):
        os.ftruncate(self.fd, size)

    def set_times(self, atime_ns, mtime_ns):
        _set_times(self.fd, atime_ns, mtime_ns)

    def set_flags(self, fdflags):
        if (fdflags ^ self.fdflags) & (FDFLAG_DSYNC | FDFLAG_RSYNC | FDFLAG_SYNC):
            raise Fail(int(Errno.NOTSUP))  # Linux cannot change these on an open file
        if not self.owned and (fdflags ^ self.fdflags) & FDFLAG_NONBLOCK:
            # O_NONBLOCK belongs to the host's open file description (a terminal the
            # host shares with its parent): a guest must not change it under the host.
            raise Fail(int(Errno.NOTSUP))
        flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
        flags &= ~(os.O_APPEND | os.O_NONBLOCK)
        if fdflags & FDFLAG_APPEND:
            flags |= os.O_APPEND
        if fdflags & FDFLAG_NONBLOCK:
            flags |= os.O_NONBLOCK
        if self.owned:
            fcntl.fcntl(self.fd, fcntl.F_SETFL, flags)
        self.fdflags = fdflags

    def sync(self, data_only):
        (os.fdatasync if data_only else os.fsync)(self.fd)

    def advise(self, offset, length, advice):
        os.posix_fadvise(self.fd, offset, length, advice)

    def allocate(self, offset, length):
        os.posix_fallocate(self.fd, offset, length)

    def close(self):
        if self.owned and self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)


class Directory(Entry):
    """A host directory (opened O_RDONLY | O_DIRECTORY): the base of path operations,
    and what fd_readdir lists."""

    filetype = Filetype.DIRECTORY
    is_dir = True

    def __init__(self, fd: int, rights: int = RIGHTS_DIR, inheriting: int = RIGHTS_ALL,
                 fdflags: int = 0):
        super().__init__(rights, inheriting, fdflags)
        self.fd = fd
        self.listing: list | None = None  # snapshot for fd_readdir, taken at cookie 0

    def read(self, bufs):
        raise Fail(_ISDIR)

    def pread(self, bufs, offset):
        raise Fail(_ISDIR)

    def write(self, bufs):
        raise Fail(_BADF)

    def pwrite(self, bufs, offset):
        raise Fail(_BADF)

    def stat(self):
        return stat_tuple(os.fstat(self.fd))

    def set_size(self, size):
        raise Fail(_ISDIR)

    def set_times(self, atime_ns, mtime_ns):
        _set_times(self.fd, atime_ns, mtime_ns)

    def sync(self, data_only):
        (os.fdatasync if data_only else os.fsync)(self.fd)

    def advise(self, offset, length, advice):
        pass  # nothing to advise about a directory's contents; POSIX accepts it

    def allocate(self, offset, length):
        raise Fail(_ISDIR)

    def entries(self) -> list[tuple[bytes, int, int]]:
        """Directory entries as (name, inode, filetype): '.' and '..' first, then the rest
        in the host's order. '..' reports this directory's own inode: whatever is above
        a directory descriptor is outside what it grants."""
        own = os.fstat(self.fd).st_ino
        out = [(b".", own, Filetype.DIRECTORY), (b"..", own, Filetype.DIRECTORY)]
        with os.scandir(self.fd) as it:
            for e in it:
                out.append((os.fsencode(e.name), e.inode(), _entry_type(e)))
        return out

    def close(self):
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)


def _entry_type(e: os.DirEntry) -> int:
    try:
        if e.is_symlink():
            return Filetype.SYMBOLIC_LINK
        if e.is_dir(follow_symlinks=False):
            return Filetype.DIRECTORY
        if e.is_file(follow_symlinks=False):
            return Filetype.REGULAR_FILE
        return filetype_of(e.stat(follow_symlinks=False).st_mode)
    except OSError:  # removed since it was listed
        return Filetype.UNKNOWN


def _set_times(fd: int, atime_ns: int | None, mtime_ns: int | None) -> None:
    if atime_ns is None or mtime_ns is None:
        st = os.fstat(fd)  # os.utime cannot leave one of the two alone: keep its value
        atime_ns = st.st_atime_ns if atime_ns is None else atime_ns
        mtime_ns = st.st_mtime_ns if mtime_ns is None else mtime_ns
    os.utime(fd, ns=(atime_ns, mtime_ns))


# ---- stdio stand-ins ----------------------------------------------------------------------

class CapturedOutput(Entry):
    """Output collected into bytes (for `stdout="capture"`), up to `limit` bytes; a write
    past the limit fails with ENOSPC, as on a full disk."""

    def __init__(self, limit: int | None):
        super().__init__(RIGHTS_STREAM & ~int(Rights.FD_READ))
        self.data = bytearray()
        self.limit = limit

    def write(self, bufs):
        data = self.data
        before = len(data)
        room = None if self.limit is None else self.limit - before
        for b in bufs:
            if room is not None:
                if len(b) > room:
                    data += b[:room]
                    room = 0
                    break
                room -= len(b)
            data += b
        written = len(data) - before
        if written == 0 and any(len(b) for b in bufs):
            raise Fail(int(Errno.NOSPC))
        return written


class NullDevice(Entry):
    """Like /dev/null: reads see end of file, writes vanish."""

    filetype = Filetype.CHARACTER_DEVICE

    def __init__(self):
        super().__init__(RIGHTS_STREAM | _SEEKABLE)

    def read(self, bufs):
        return 0

    def write(self, bufs):
        return sum(len(b) for b in bufs)

    def pread(self, bufs, offset):
        return 0

    def pwrite(self, bufs, offset):
        return sum(len(b) for b in bufs)

    def seek(self, offset, whence):
        return 0


class BytesInput(Entry):
    """Input served from a bytes object (for `stdin=b"..."`), then end of file."""

    def __init__(self, data: bytes):
        super().__init__(RIGHTS_STREAM & ~int(Rights.FD_WRITE))
        self.data = memoryview(bytes(data))
        self.pos = 0

    def read(self, bufs):
        total = 0
        for b in bufs:
            chunk = self.data[self.pos:self.pos + len(b)]
            n = len(chunk)
            b[:n] = chunk
            self.pos += n
            total += n
            if n < len(b):
                break
        return total

    def ready(self, writing):
        return (not writing), len(self.data) - self.pos


def inherited(fd: int) -> Entry:
    """The host's stdio descriptor `fd`, shared (never closed or made non-blocking by us)."""
    try:
        st = os.fstat(fd)
    except OSError:
        return NullDevice()  # the host has no such descriptor: behave like /dev/null
    ft = filetype_of(st.st_mode)
    if ft == Filetype.REGULAR_FILE:
        rights = RIGHTS_FILE
    elif ft == Filetype.CHARACTER_DEVICE and not os.isatty(fd):
        rights = RIGHTS_STREAM | _SEEKABLE  # /dev/null and the like: not a terminal
    else:
        rights = RIGHTS_STREAM  # terminals, pipes, sockets
    try:
        append = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND
    except OSError:
        append = 0
    return HostFile(fd, ft, rights, FDFLAG_APPEND if append else 0, owned=False)
