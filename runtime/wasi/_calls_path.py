"""The path_* calls of WASI preview 1: everything that names a file by path.

Paths are resolved by `_sandbox.resolve` below the directory descriptor they are
relative to; the operation itself then acts on the last name only, inside the
directory the walk ended in, with a call that never follows a symlink.
"""
from __future__ import annotations

import os
import stat

from ._abi import (FILESTAT, LOOKUP_SYMLINK_FOLLOW, OFLAG_CREAT, OFLAG_DIRECTORY, OFLAG_EXCL,
                   OFLAG_TRUNC, OFLAGS_ALL, FDFLAGS_ALL, FDFLAG_APPEND, FDFLAG_DSYNC,
                   FDFLAG_NONBLOCK, FDFLAG_RSYNC, FDFLAG_SYNC, RIGHTS_DIR, RIGHTS_FILE,
                   RIGHTS_READ_MODE, RIGHTS_WRITE_MODE, Errno, Rights)
from ._errors import Fail
from ._files import Directory, HostFile, stat_tuple, filetype_of
from ._guest import put, put_u32, read_bytes, span
from ._sandbox import PATH_MAX, Resolved, check_path, resolve
from ._times import times

_FAULT, _INVAL, _NOTCAPABLE = int(Errno.FAULT), int(Errno.INVAL), int(Errno.NOTCAPABLE)


def _dir(w, fd: int, right: int):
    """The directory entry `fd`, which must grant `right`."""
    entry = w.fds.get(fd)
    if not entry.is_dir:
        raise Fail(int(Errno.NOTDIR))
    if not entry.rights & right:
        raise Fail(_NOTCAPABLE)
    return entry


def _path(view, ptr: int, n: int) -> bytes:
    if n >= PATH_MAX:
        raise Fail(int(Errno.NAMETOOLONG))  # before copying anything
    return read_bytes(view, ptr, n)


def _lstat(r: Resolved) -> os.stat_result:
    return os.stat(r.name, dir_fd=r.dir_fd, follow_symlinks=False)


# ---- open ---------------------------------------------------------------------------------

_FDFLAG_OS = ((FDFLAG_APPEND, os.O_APPEND), (FDFLAG_DSYNC, os.O_DSYNC),
              (FDFLAG_NONBLOCK, os.O_NONBLOCK), (FDFLAG_RSYNC, os.O_RSYNC),
              (FDFLAG_SYNC, os.O_SYNC))


def path_open(w, caller, fd, dirflags, path, path_len, oflags, rights, inheriting, fdflags,
              opened):
    view = w.memory.view(caller)
    if oflags & ~OFLAGS_ALL or fdflags & ~FDFLAGS_ALL or dirflags & ~LOOKUP_SYMLINK_FOLLOW:
        raise Fail(_INVAL)
    if oflags & OFLAG_CREAT and oflags & OFLAG_DIRECTORY:
        raise Fail(_INVAL)
    need = int(Rights.PATH_OPEN)
    if oflags & OFLAG_CREAT:
        need |= int(Rights.PATH_CREATE_FILE)
    if oflags & OFLAG_TRUNC:
        need |= int(Rights.PATH_FILESTAT_SET_SIZE)
    d = _dir(w, fd, need)
    if d.rights & need != need:
        raise Fail(_NOTCAPABLE)
    if opened + 4 > len(view):
        raise Fail(_FAULT)
    name = _path(view, path, path_len)
    w.fds.room()
    # A new descriptor never has more rights than its directory lets it inherit.
    rights &= d.inheriting
    inheriting &= d.inheriting
    reading = bool(rights & RIGHTS_READ_MODE)
    writing = bool(rights & RIGHTS_WRITE_MODE) or bool(fdflags & FDFLAG_APPEND)
    flags = os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NOCTTY
    if oflags & OFLAG_DIRECTORY:
        flags |= os.O_DIRECTORY | os.O_RDONLY
    elif writing:
        flags |= os.O_RDWR if reading else os.O_WRONLY
    else:
        flags |= os.O_RDONLY
    if oflags & OFLAG_CREAT:
        flags |= os.O_CREAT
    if oflags & OFLAG_EXCL:
        flags |= os.O_EXCL
    if oflags & OFLAG_TRUNC:
        flags |= os.O_TRUNC
    for wasi_flag, os_flag in _FDFLAG_OS:
        if fdflags & wasi_flag:
            flags |= os_flag
    # O_CREAT|O_EXCL never follows a final symlink (POSIX): the kernel says EEXIST.
    follow = bool(dirflags & LOOKUP_SYMLINK_FOLLOW) and not (oflags & OFLAG_CREAT and oflags & OFLAG_EXCL)
    with resolve(d.fd, name, follow=follow) as r:
        if r.must_be_dir:
            flags |= os.O_DIRECTORY
        host_fd = os.open(r.name, flags, 0o666, dir_fd=r.dir_fd)
    try:
        st = os.fstat(host_fd)
        if stat.S_ISDIR(st.st_mode):
            entry = Directory(host_fd, rights & RIGHTS_DIR, inheriting, fdflags)
        else:
            entry = HostFile(host_fd, filetype_of(st.st_mode), rights & RIGHTS_FILE, fdflags)
        new_fd = w.fds.add(entry)
    except BaseException:
        os.close(host_fd)
        raise
    put_u32(view, opened, new_fd)
    return 0


# ---- directories and names ---------------------------------------------------------------------

def path_create_directory(w, caller, fd, path, path_len):
    view = w.memory.view(caller)
    d = _dir(w, fd, int(Rights.PATH_CREATE_DIRECTORY))
    with resolve(d.fd, _path(view, path, path_len), follow=False) as r:
        os.mkdir(r.name, 0o777, dir_fd=r.dir_fd)
    return 0


def path_remove_directory(w, caller, fd, path, path_len):
    view = w.memory.view(caller)
    d = _dir(w, fd, int(Rights.PATH_REMOVE_DIRECTORY))
    with resolve(d.fd, _path(view, path, path_len), follow=False) as r:
        os.rmdir(r.name, dir_fd=r.dir_fd)
    return 0


def path_unlink_file(w, caller, fd, path, path_len):
    view = w.memory.view(caller)
    d = _dir(w, fd, int(Rights.PATH_UNLINK_FILE))
    with resolve(d.fd, _path(view, path, path_len), follow=False) as r:
        if r.must_be_dir:  # 'x/': a directory is EISDIR, anything else ENOTDIR
            raise Fail(int(Errno.ISDIR) if stat.S_ISDIR(_lstat(r).st_mode) else int(Errno.NOTDIR))
        os.unlink(r.name, dir_fd=r.dir_fd)
    return 0


def path_rename(w, caller, fd, old_path, old_len, new_fd, new_path, new_len):
    view = w.memory.view(caller)
    src = _dir(w, fd, int(Rights.PATH_RENAME_SOURCE))
    dst = _dir(w, new_fd, int(Rights.PATH_RENAME_TARGET))
    old = _path(view, old_path, old_len)
    new = _path(view, new_path, new_len)
    with resolve(src.fd, old, follow=False) as a, resolve(dst.fd, new, follow=False) as b:
        if (a.must_be_dir or b.must_be_dir) and not stat.S_ISDIR(_lstat(a).st_mode):
            raise Fail(int(Errno.NOTDIR))  # 'x/' or '-> y/' only rename a directory
        os.rename(a.name, b.name, src_dir_fd=a.dir_fd, dst_dir_fd=b.dir_fd)
    return 0


def path_link(w, caller, old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len):
    view = w.memory.view(caller)
    if old_flags & ~LOOKUP_SYMLINK_FOLLOW:
        raise Fail(_INVAL)
    src = _dir(w, old_fd, int(Rights.PATH_LINK_SOURCE))
    dst = _dir(w, new_fd, int(Rights.PATH_LINK_TARGET))
    old = _path(view, old_path, old_len)
    new = _path(view, new_path, new_len)
    follow = bool(old_flags & LOOKUP_SYMLINK_FOLLOW)
    with resolve(src.fd, old, follow=follow) as a, resolve(dst.fd, new, follow=False) as b:
        if b.must_be_dir:
            raise Fail(int(Errno.NOENT))
        # The source was already resolved (through symlinks if asked): link that name
        # itself, never what a symlink there might point to now.
        os.link(a.name, b.name, src_dir_fd=a.dir_fd, dst_dir_fd=b.dir_fd, follow_symlinks=False)
    return 0


def path_symlink(w, caller, old_path, old_len, fd, new_path, new_len):
    """Create a symlink. Its target is stored as given, but an absolute target is
    refused (ENOTCAPABLE): the guest could never follow it, and a link to a host path
    left in the directory would be a trap for whoever uses the directory later."""
    view = w.memory.view(caller)
    d = _dir(w, fd, int(Rights.PATH_SYMLINK))
    target = _path(view, old_path, old_len)
    check_path(target)
    new = _path(view, new_path, new_len)
    with resolve(d.fd, new, follow=False) as r:
        if r.must_be_dir:
            raise Fail(int(Errno.NOENT))
        os.symlink(target, r.name, dir_fd=r.dir_fd)
    return 0


def path_readlink(w, caller, fd, path, path_len, buf, buf_len, bufused):
    view = w.memory.view(caller)
    d = _dir(w, fd, int(Rights.PATH_READLINK))
    out = span(view, buf, buf_len)
    if bufused + 4 > len(view):
        raise Fail(_FAULT)
    with resolve(d.fd, _path(view, path, path_len), follow=False) as r:
        target = os.readlink(r.name, dir_fd=r.dir_fd)
    n = min(len(target), buf_len)  # cut off, as readlink(2) does
    out[:n] = target[:n]
    put_u32(view, bufused, n)
    return 0


# ---- metadata ------------------------------------------------------------------------------

def path_filestat_get(w, caller, fd, flags, path, path_len, buf):
    view = w.memory.view(caller)
    if flags & ~LOOKUP_SYMLINK_FOLLOW:
        raise Fail(_INVAL)
    d = _dir(w, fd, int(Rights.PATH_FILESTAT_GET))
    if buf + FILESTAT.size > len(view):
        raise Fail(_FAULT)
    with resolve(d.fd, _path(view, path, path_len), follow=bool(flags & LOOKUP_SYMLINK_FOLLOW)) as r:
        st = _lstat(r)
    if r.must_be_dir and not stat.S_ISDIR(st.st_mode):
        raise Fail(int(Errno.NOTDIR))
    put(FILESTAT, view, buf, *stat_tuple(st))
    return 0


def path_filestat_set_times(w, caller, fd, flags, path, path_len, atim, mtim, fst_flags):
    view = w.memory.view(caller)
    if flags & ~LOOKUP_SYMLINK_FOLLOW:
        raise Fail(_INVAL)
    d = _dir(w, fd, int(Rights.PATH_FILESTAT_SET_TIMES))
    a, m = times(atim, mtim, fst_flags)
    with resolve(d.fd, _path(view, path, path_len), follow=bool(flags & LOOKUP_SYMLINK_FOLLOW)) as r:
        if a is None or m is None:
            st = _lstat(r)
            a = st.st_atime_ns if a is None else a
            m = st.st_mtime_ns if m is None else m
        os.utime(r.name, ns=(a, m), dir_fd=r.dir_fd, follow_symlinks=False)
    return 0
