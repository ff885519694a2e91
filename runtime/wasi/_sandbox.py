"""Capability-style path resolution: a guest path never leaves the directory it is
relative to.

A WASI path is always relative to a directory descriptor, and that directory is the
root of everything the path can reach. We resolve it one component at a time on real
directory descriptors, never handing a path with more than one component to the
kernel:

- each directory step is `openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW)`, so the
  kernel never follows a symlink or a `..` for us;
- `..` pops our own stack of directory descriptors; popping past the root is
  ENOTCAPABLE (so is an absolute path);
- a symlink met on the way (or as the last component when the caller follows it) is
  read with readlinkat and its target spliced into the components still to walk, so
  it is subject to the same rules: an absolute target, or one that climbs above the
  root, is ENOTCAPABLE; more than 40 links is ELOOP.

The result is (directory fd, last name): every operation then acts on that single name
with an *at() call that does not follow symlinks (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW).
A host process changing the tree concurrently can make a resolution fail, never
escape: no step trusts an earlier lookup of a name, it only uses descriptors.
"""
from __future__ import annotations

import errno as _host
import os

from ._abi import Errno
from ._errors import Fail, from_os_error

PATH_MAX = 4096  # as Linux: a longer path (with its NUL) is ENAMETOOLONG
MAX_SYMLINKS = 40  # as Linux's limit on links followed in one lookup
KEEP_FDS = 16  # directory descriptors held open per resolution (deeper ones are reopened)

_DIR_STEP = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NOTCAPABLE = int(Errno.NOTCAPABLE)


class Resolved:
    """The directory (`dir_fd`) that holds the last component `name` of a path, and
    whether the path ended in '/' (`must_be_dir`). Close it (or use `with`) to release
    the directory descriptors the walk opened."""

    __slots__ = ("dir_fd", "name", "must_be_dir", "_walk")

    def __init__(self, walk: "_Walk", name: bytes, must_be_dir: bool):
        self._walk = walk
        self.dir_fd = walk.fd
        self.name = name
        self.must_be_dir = must_be_dir

    def close(self) -> None:
        self._walk.close()

    def __enter__(self) -> "Resolved":
        return self

    def __exit__(self, *exc) -> None:
        self._walk.close()


class _Walk:
    """The stack of directories from the root to where the walk is. Only the deepest
    KEEP_FDS hold a descriptor; popping back to one that does not reopens it from the
    root through the recorded names (each step again a no-follow directory open), so a
    deep path cannot make us hold hundreds of host descriptors."""

    __slots__ = ("root", "names", "fds")

    def __init__(self, root: int):
        self.root = root
        self.names: list[bytes] = []
        self.fds: list[int | None] = []

    @property
    def fd(self) -> int:
        return self.fds[-1] if self.fds else self.root

    def push(self, name: bytes, fd: int) -> None:
        self.names.append(name)
        self.fds.append(fd)
        drop = len(self.fds) - 1 - KEEP_FDS
        if drop >= 0 and self.fds[drop] is not None:
            os.close(self.fds[drop])
            self.fds[drop] = None

    def pop(self) -> None:
        if not self.names:
            raise Fail(_NOTCAPABLE)  # '..' above the directory the path is relative to
        self.names.pop()
        fd = self.fds.pop()
        if fd is not None:
            os.close(fd)
        if self.fds and self.fds[-1] is None:
            self._reopen()

    def _reopen(self) -> None:
        names = self.names
        self.close()
        self.names = []
        for name in names:
            self.push(name, _open_dir(self.fd, name))

    def close(self) -> None:
        fds, self.fds = self.fds, []
        for fd in fds:
            if fd is not None:
                os.close(fd)


def _open_dir(dir_fd: int, name: bytes) -> int:
    try:
        return os.open(name, _DIR_STEP, dir_fd=dir_fd)
    except OSError as e:
        raise Fail(from_os_error(e)) from None


def read_link(dir_fd: int, name: bytes) -> bytes | None:
    """The target of symlink `name` in `dir_fd`, or None when it is not a symlink (or
    does not exist)."""
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError as e:
        if e.errno in (_host.EINVAL, _host.ENOENT):
            return None
        raise Fail(from_os_error(e)) from None


def check_path(path: bytes) -> None:
    """Refuse what no resolution can accept: empty, NUL bytes, too long, absolute."""
    if not path:
        raise Fail(int(Errno.NOENT))
    if len(path) >= PATH_MAX:
        raise Fail(int(Errno.NAMETOOLONG))
    if b"\0" in path:
        raise Fail(int(Errno.INVAL))
    if path[:1] == b"/":
        raise Fail(_NOTCAPABLE)


def _components(path: bytes) -> list[bytes]:
    """The names to walk, in reverse order (for pop()): empty names and '.' dropped,
    except a last '.', which stays so that 'dir/.' names 'dir' itself, as '.'."""
    parts = path.split(b"/")
    names = [c for c in parts[:-1] if c and c != b"."]
    if parts[-1]:
        names.append(parts[-1])
    names.reverse()
    return names


def resolve(root_fd: int, path: bytes, *, follow: bool) -> Resolved:
    """Walk `path` below directory `root_fd` (see the module docstring). `follow`: if
    the last component is a symlink, resolve through it too (a trailing '/' also
    asks for that, as in POSIX)."""
    check_path(path)
    must_be_dir = path.endswith((b"/", b"/.", b"/..")) or path in (b".", b"..")
    follow = follow or must_be_dir
    pending = _components(path)
    walk = _Walk(root_fd)
    links = 0
    try:
        while pending:
            name = pending.pop()
            last = not pending
            if name == b"..":
                walk.pop()
                continue
            if name == b"." and not last:  # a link target's last '.', now mid-path
                continue
            if last:
                target = read_link(walk.fd, name) if follow and name != b"." else None
                if target is None:
                    return Resolved(walk, name, must_be_dir)
            else:
                try:
                    walk.push(name, os.open(name, _DIR_STEP, dir_fd=walk.fd))
                    continue
                except OSError as e:
                    if e.errno not in (_host.ENOTDIR, _host.ELOOP):
                        raise Fail(from_os_error(e)) from None
                # Not a directory: a symlink to follow, or really not a directory.
                target = read_link(walk.fd, name)
                if target is None:
                    raise Fail(int(Errno.NOTDIR))
            links += 1
            if links > MAX_SYMLINKS:
                raise Fail(int(Errno.LOOP))
            if not target:
                raise Fail(int(Errno.NOENT))
            if target[:1] == b"/":
                raise Fail(_NOTCAPABLE)  # an absolute target names a host path: never inside
            if last and target.endswith((b"/", b"/.", b"/..")):
                must_be_dir = True
            pending.extend(_components(target))
        # The path ended with '..' (or a link to a directory like '.'): it names the
        # directory the walk is in.
        return Resolved(walk, b".", True)
    except BaseException:
        walk.close()
        raise
