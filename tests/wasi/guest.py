"""Driving WASI calls as a guest would, through the proxy module (conftest.proxy_wat):
strings are written into the guest's memory, results read back from it."""
from __future__ import annotations

import struct

from runtime.wasi._abi import (FILESTAT, LOOKUP_SYMLINK_FOLLOW, OFLAG_CREAT, OFLAG_DIRECTORY,
                               OFLAG_EXCL, OFLAG_TRUNC, RIGHTS_ALL, Errno)

__all__ = ["Guest", "Errno", "OFLAG_CREAT", "OFLAG_DIRECTORY", "OFLAG_EXCL", "OFLAG_TRUNC",
           "RIGHTS_ALL", "READ", "WRITE"]

READ = 1 << 1 | 1 << 14  # FD_READ | FD_READDIR: what wasi-libc asks for O_RDONLY
WRITE = 1 << 6 | 1 << 0 | 1 << 8 | 1 << 22  # FD_WRITE | FD_DATASYNC | FD_ALLOCATE | FD_FILESTAT_SET_SIZE
OUT = 16  # scratch for results (u32/u64 out-params, a filestat)
HEAP = 1024  # where strings go


class Guest:
    """Calls on the proxy instance `inst`; every call returns the WASI errno as an Errno
    (and out-values where the call has them)."""

    def __init__(self, inst):
        self.inst = inst
        self.x = inst.exports
        self.mem = inst.exports.memory
        self._top = HEAP

    def put(self, data: bytes) -> tuple[int, int]:
        ptr = self._top
        self.mem.write(ptr, data)
        self._top += len(data) + 8
        return ptr, len(data)

    def u32(self, ptr: int = OUT) -> int:
        return struct.unpack("<I", self.mem.read(ptr, 4))[0]

    def u64(self, ptr: int = OUT) -> int:
        return struct.unpack("<Q", self.mem.read(ptr, 8))[0]

    # ---- calls -----------------------------------------------------------------------------

    def open(self, path: bytes, oflags: int = 0, rights: int = RIGHTS_ALL, fdflags: int = 0,
             follow: bool = True, dirfd: int = 3) -> tuple[Errno, int | None]:
        p, n = self.put(path)
        err = Errno(self.x.path_open(dirfd, LOOKUP_SYMLINK_FOLLOW if follow else 0, p, n, oflags,
                                     rights, rights, fdflags, OUT))
        return err, (self.u32() if err == Errno.SUCCESS else None)

    def write(self, fd: int, data: bytes) -> tuple[Errno, int]:
        p, n = self.put(data)
        iov, _ = self.put(struct.pack("<II", p, n))
        err = Errno(self.x.fd_write(fd, iov, 1, OUT))
        return err, self.u32() if err == Errno.SUCCESS else 0

    def read(self, fd: int, n: int) -> tuple[Errno, bytes]:
        buf, _ = self.put(bytes(n))
        iov, _ = self.put(struct.pack("<II", buf, n))
        err = Errno(self.x.fd_read(fd, iov, 1, OUT))
        return err, self.mem.read(buf, self.u32()) if err == Errno.SUCCESS else b""

    def close(self, fd: int) -> Errno:
        return Errno(self.x.fd_close(fd))

    def _path_call(self, name: str, *parts) -> Errno:
        args = []
        for part in parts:
            if isinstance(part, bytes):
                args += self.put(part)
            else:
                args.append(part)
        return Errno(getattr(self.x, name)(*args))

    def mkdir(self, path: bytes, dirfd: int = 3) -> Errno:
        return self._path_call("path_create_directory", dirfd, path)

    def rmdir(self, path: bytes, dirfd: int = 3) -> Errno:
        return self._path_call("path_remove_directory", dirfd, path)

    def unlink(self, path: bytes, dirfd: int = 3) -> Errno:
        return self._path_call("path_unlink_file", dirfd, path)

    def rename(self, old: bytes, new: bytes, dirfd: int = 3, new_dirfd: int = 3) -> Errno:
        return self._path_call("path_rename", dirfd, old, new_dirfd, new)

    def link(self, old: bytes, new: bytes, follow: bool = False, dirfd: int = 3) -> Errno:
        return self._path_call("path_link", dirfd, LOOKUP_SYMLINK_FOLLOW if follow else 0, old,
                               dirfd, new)

    def symlink(self, target: bytes, path: bytes, dirfd: int = 3) -> Errno:
        return self._path_call("path_symlink", target, dirfd, path)

    def readlink(self, path: bytes, dirfd: int = 3) -> tuple[Errno, bytes]:
        p, n = self.put(path)
        buf, _ = self.put(bytes(256))
        err = Errno(self.x.path_readlink(dirfd, p, n, buf, 256, OUT))
        return err, self.mem.read(buf, self.u32()) if err == Errno.SUCCESS else b""

    def stat(self, path: bytes, follow: bool = True, dirfd: int = 3) -> tuple[Errno, tuple | None]:
        p, n = self.put(path)
        err = Errno(self.x.path_filestat_get(dirfd, LOOKUP_SYMLINK_FOLLOW if follow else 0, p, n, OUT))
        return err, FILESTAT.unpack(self.mem.read(OUT, FILESTAT.size)) if err == Errno.SUCCESS else None

    def readdir(self, fd: int, size: int = 4096) -> tuple[Errno, list[bytes]]:
        buf, _ = self.put(bytes(size))
        err = Errno(self.x.fd_readdir(fd, buf, size, 0, OUT))
        names, data, pos = [], self.mem.read(buf, self.u32()), 0
        while pos + 24 <= len(data):
            _next, _ino, namlen, _type = struct.unpack_from("<QQIB", data, pos)
            names.append(data[pos + 24:pos + 24 + namlen])
            pos += 24 + namlen
        return err, names
