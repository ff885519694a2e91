"""A hostile guest calling WASI with bad pointers, lengths, descriptors and flags gets an
errno (EFAULT, EINVAL, EBADF, ...), never a Python exception or a host crash, and a
failed call has no effect."""
from __future__ import annotations

import os
import random
import struct

import pytest

import runtime
from runtime.wasi._imports import SIGNATURES, functype
from tests.wasi.guest import OUT, READ, RIGHTS_ALL, WRITE, Errno, Guest

E = Errno
PAGE = 65536
TOP = PAGE  # one past the last byte of a 1-page memory


@pytest.fixture
def captured(proxy, tmp_path):
    inst, wasi = proxy(runtime.WasiConfig(preopens={"/d": str(tmp_path)}, stdout="capture",
                                          stderr="capture", stdin=b"0123456789"))
    return Guest(inst), wasi


def test_fd_write_bad_iovecs(captured):
    g, wasi = captured
    p, n = g.put(b"hello")
    iov, _ = g.put(struct.pack("<II", p, n))
    x = g.x
    assert E(x.fd_write(1, TOP - 4, 1, OUT)) == E.FAULT  # the iovec array runs off the end
    assert E(x.fd_write(1, 0xFFFFFFF8, 1, OUT)) == E.FAULT
    assert E(x.fd_write(1, iov, 0xFFFFFFFF, OUT)) == E.INVAL  # more than IOV_MAX iovecs
    assert E(x.fd_write(1, iov, 1025, OUT)) == E.INVAL
    assert E(x.fd_write(1, 20000, 1024, OUT)) == E.SUCCESS  # 1024 zeroed iovecs: 0 bytes
    bad = [struct.pack("<II", TOP - 2, 3), struct.pack("<II", 0xFFFFFFFF, 1),
           struct.pack("<II", 0, 0xFFFFFFFF), struct.pack("<II", 0x80000000, 0x80000000)]
    for b in bad:
        arr, _ = g.put(struct.pack("<II", p, n) + b)  # a good one first: nothing may be written
        assert E(x.fd_write(1, arr, 2, OUT)) == E.FAULT
    assert E(x.fd_write(1, iov, 1, TOP - 3)) == E.FAULT  # nwritten out of bounds
    assert E(x.fd_write(1, iov, 1, 0xFFFFFFFF)) == E.FAULT
    assert wasi.stdout == b""  # none of the failed calls wrote anything
    assert E(x.fd_write(1, iov, 1, TOP - 4)) == E.SUCCESS  # the very last 4 bytes are fine
    assert g.u32(TOP - 4) == 5 and wasi.stdout == b"hello"


def test_fd_read_bad_buffers_consume_nothing(captured):
    g, wasi = captured
    for iov in (struct.pack("<II", TOP - 4, 8), struct.pack("<II", 0xFFFFFFF0, 4)):
        arr, _ = g.put(iov)
        assert E(g.x.fd_read(0, arr, 1, OUT)) == E.FAULT
    assert g.read(0, 4) == (E.SUCCESS, b"0123")  # stdin still has all its bytes


def test_out_pointers_everywhere(captured):
    g, _ = captured
    x = g.x
    for bad in (TOP - 1, TOP, 0xFFFFFFFF, 0x80000000):
        assert E(x.args_sizes_get(bad, OUT)) == E.FAULT
        assert E(x.args_sizes_get(OUT, bad)) == E.FAULT
        assert E(x.environ_sizes_get(bad, OUT)) == E.FAULT
        assert E(x.clock_time_get(1, 0, bad)) == E.FAULT
        assert E(x.clock_res_get(0, bad)) == E.FAULT
        assert E(x.fd_fdstat_get(1, bad)) == E.FAULT
        assert E(x.fd_filestat_get(3, bad)) == E.FAULT
        assert E(x.fd_prestat_get(3, bad)) == E.FAULT
        assert E(x.fd_prestat_dir_name(3, bad, 2)) == E.FAULT
        assert E(x.fd_tell(3, bad)) == E.NOTCAPABLE  # a directory has no position
        assert E(x.random_get(bad, 16)) == E.FAULT
        assert E(x.fd_readdir(3, bad, 100, 0, OUT)) == E.FAULT
        assert E(x.fd_readdir(3, OUT, 100, 0, bad)) == E.FAULT
        assert E(x.poll_oneoff(bad, 2048, 1, OUT)) == E.FAULT
    assert E(x.random_get(0, TOP + 1)) == E.FAULT
    assert E(x.random_get(0, 0xFFFFFFFF)) == E.FAULT
    assert E(x.random_get(TOP - 16, 16)) == E.SUCCESS
    assert E(x.args_get(TOP, TOP)) == E.SUCCESS  # no arguments: nothing to write anywhere


def test_args_and_environ_bounds(proxy):
    inst, _ = proxy(runtime.WasiConfig(argv=["prog", "a" * 100], env={"K": "v"}))
    g = Guest(inst)
    assert E(g.x.args_sizes_get(16, 20)) == E.SUCCESS
    assert (g.u32(16), g.u32(20)) == (2, 5 + 101)
    assert E(g.x.args_get(TOP - 4, 0)) == E.FAULT  # 2 pointers do not fit
    assert E(g.x.args_get(0, TOP - 100)) == E.FAULT  # the strings do not fit
    assert E(g.x.args_get(TOP - 8, TOP - 114)) == E.SUCCESS  # both exactly fit
    assert g.mem.read(TOP - 114, 106) == b"prog\0" + b"a" * 100 + b"\0"
    assert struct.unpack("<II", g.mem.read(TOP - 8, 8)) == (TOP - 114, TOP - 109)
    assert E(g.x.environ_get(100, 200)) == E.SUCCESS
    assert g.mem.read(200, 4) == b"K=v\0" and g.u32(100) == 200


def test_paths_bounds(captured, tmp_path):
    g, _ = captured
    x = g.x
    assert E(x.path_open(3, 1, TOP - 2, 10, 0, READ, READ, 0, OUT)) == E.FAULT
    assert E(x.path_open(3, 1, 0, 0xFFFFFFFF, 0, READ, READ, 0, OUT)) == E.NAMETOOLONG
    p, n = g.put(b"file")
    assert E(x.path_open(3, 1, p, n, 1, READ | WRITE, 0, 0, TOP - 1)) == E.FAULT
    assert not os.listdir(tmp_path)  # the failed open created nothing
    assert E(x.path_create_directory(3, 0xFFFFFF00, 0x100)) == E.FAULT
    assert E(x.path_unlink_file(3, 0, 0)) == E.NOENT  # the empty path
    assert E(x.path_readlink(3, p, n, TOP - 4, 8, OUT)) == E.FAULT
    assert E(x.path_filestat_get(3, 0, p, n, TOP - 63)) == E.FAULT


def test_bad_descriptors_and_flags(captured):
    g, _ = captured
    x = g.x
    for fd in (7, 1000, 0x7FFFFFFF, 0xFFFFFFFF):
        assert E(x.fd_close(fd)) == E.BADF
        assert E(x.fd_write(fd, 0, 0, OUT)) == E.BADF
        assert E(x.fd_read(fd, 0, 0, OUT)) == E.BADF
        assert E(x.fd_seek(fd, 0, 0, OUT)) == E.BADF
        assert E(x.fd_fdstat_get(fd, OUT)) == E.BADF
        assert E(x.fd_prestat_get(fd, OUT)) == E.BADF
        assert E(x.fd_renumber(1, fd)) == E.BADF
        assert E(x.fd_renumber(fd, 1)) == E.BADF
        assert E(x.path_open(fd, 0, 0, 1, 0, 0, 0, 0, OUT)) == E.BADF
    p, n = g.put(b"f")
    assert E(x.path_open(3, 0xFFFF, p, n, 0, READ, READ, 0, OUT)) == E.INVAL  # lookup flags
    assert E(x.path_open(3, 1, p, n, 0x10, READ, READ, 0, OUT)) == E.INVAL  # oflags
    assert E(x.path_open(3, 1, p, n, 0, READ, READ, 0x20, OUT)) == E.INVAL  # fdflags
    assert E(x.fd_fdstat_set_flags(1, 0x100)) == E.INVAL
    assert E(x.fd_seek(0, 0, 3, OUT)) == E.INVAL  # whence
    assert E(x.clock_time_get(4, 0, OUT)) == E.INVAL
    assert E(x.clock_time_get(0xFFFFFFFF, 0, OUT)) == E.INVAL
    assert E(x.clock_res_get(99, OUT)) == E.INVAL
    assert E(x.fd_advise(1, 0, 0, 6)) == E.INVAL
    assert E(x.poll_oneoff(0, 1024, 0, OUT)) == E.INVAL  # no subscriptions
    assert E(x.poll_oneoff(0, 1024, 0xFFFFFFFF, OUT)) == E.INVAL
    err, fd = g.open(b"f", 1)
    assert err == E.SUCCESS
    assert E(x.fd_seek(fd, (1 << 64) - 1, 0, OUT)) == E.INVAL  # offset -1 from the start
    assert E(x.fd_seek(fd, 1 << 63, 1, OUT)) == E.INVAL
    assert E(x.fd_pread(fd, 0, 0, 1 << 63, OUT)) == E.INVAL
    assert E(x.fd_filestat_set_size(fd, (1 << 64) - 1)) == E.INVAL
    assert E(x.fd_allocate(fd, (1 << 63) - 1, 2)) == E.INVAL
    assert E(x.fd_filestat_set_times(fd, 0, 0, 1 | 2)) == E.INVAL  # ATIM with ATIM_NOW
    assert E(x.fd_filestat_set_times(fd, 1 << 63, 0, 1)) == E.INVAL
    assert E(x.fd_fdstat_set_rights(fd, 1 << 40, 0)) == E.NOTCAPABLE  # rights never grow


def test_rights_only_shrink_and_are_enforced(captured):
    g, _ = captured
    x = g.x
    err, fd = g.open(b"r.txt", 1, READ | WRITE)
    assert g.write(fd, b"abc") == (E.SUCCESS, 3)
    assert E(x.fd_fdstat_set_rights(fd, READ, 0)) == E.NOTCAPABLE  # FD_READDIR: not a file's
    assert E(x.fd_fdstat_set_rights(fd, 1 << 1, 0)) == E.SUCCESS  # FD_READ alone
    assert g.write(fd, b"abc")[0] == E.BADF
    assert E(x.fd_fdstat_set_rights(fd, (1 << 1) | (1 << 6), 0)) == E.NOTCAPABLE
    assert E(x.fd_filestat_set_size(fd, 0)) == E.NOTCAPABLE
    # A directory that may not create files cannot be used to create one.
    assert E(x.fd_fdstat_set_rights(3, (1 << 13) | (1 << 14), RIGHTS_ALL + 1)) == E.NOTCAPABLE
    assert E(x.fd_fdstat_set_rights(3, (1 << 13) | (1 << 14), RIGHTS_ALL)) == E.SUCCESS  # PATH_OPEN|READDIR
    assert g.open(b"new.txt", 1, READ | WRITE)[0] == E.NOTCAPABLE
    assert g.mkdir(b"newdir") == E.NOTCAPABLE
    assert g.open(b"r.txt", 0, READ)[0] == E.SUCCESS
    assert E(x.fd_fdstat_get(3, OUT)) == E.SUCCESS
    assert struct.unpack_from("<QQ", g.mem.read(OUT + 8, 16)) == ((1 << 13) | (1 << 14), RIGHTS_ALL)


def test_descriptor_limit(proxy, tmp_path):
    inst, wasi = proxy(runtime.WasiConfig(preopens={"/d": str(tmp_path)}, max_fds=8))
    g = Guest(inst)
    before = len(os.listdir("/proc/self/fd"))
    opened = []
    for i in range(10):
        err, fd = g.open(b"f%d" % i, 1, READ | WRITE)
        if err != E.SUCCESS:
            assert err == E.MFILE
            break
        opened.append(fd)
    assert opened == [4, 5, 6, 7]  # 0-2 stdio, 3 the preopen, lowest numbers first
    assert g.close(5) == E.SUCCESS
    assert g.open(b"again", 1, READ | WRITE) == (E.SUCCESS, 5)
    assert E(g.x.fd_renumber(7, 5)) == E.SUCCESS  # 5 is closed and replaced by 7
    assert g.open(b"x", 1, READ)[1] == 7
    wasi.close()
    assert len(os.listdir("/proc/self/fd")) == before - 1  # the preopen's descriptor too


def test_memory_growth_is_seen(proxy):
    inst, wasi = proxy(runtime.WasiConfig(stdout="capture"))
    g = Guest(inst)
    assert E(g.x.clock_time_get(1, 0, TOP)) == E.FAULT
    assert g.x.grow(3) == 1
    assert E(g.x.clock_time_get(1, 0, TOP)) == E.SUCCESS  # now inside the memory
    g.mem.write(4 * PAGE - 5, b"grown")
    g.mem.write(TOP, struct.pack("<II", 4 * PAGE - 5, 5))
    assert E(g.x.fd_write(1, TOP, 1, 4 * PAGE - 4)) == E.SUCCESS
    assert wasi.stdout == b"grown"


def test_unimplemented_calls_are_enosys(captured):
    g, _ = captured
    x = g.x
    assert E(x.sock_accept(3, 0, OUT)) == E.NOSYS
    assert E(x.sock_recv(3, 0, 0, 0, OUT, OUT)) == E.NOSYS
    assert E(x.sock_send(3, 0, 0, 0, OUT)) == E.NOSYS
    assert E(x.sock_shutdown(3, 0)) == E.NOSYS
    assert E(x.proc_raise(9)) == E.NOSYS


def test_proc_exit_unwinds_with_the_unsigned_code(captured):
    g, _ = captured
    for code in (0, 1, 255, 256, 0xFFFFFFFF):
        with pytest.raises(runtime.Exit) as info:
            g.x.proc_exit(code)
        assert info.value.code == code
    assert not isinstance(info.value, runtime.Trap) and not isinstance(info.value, runtime.Error)


def _random_value(rng: random.Random, t) -> int:
    small = [0, 1, 2, 3, 4, 5, 8, 16, 1023, 1024, 4095, 4096, PAGE - 8, PAGE - 1, PAGE, PAGE + 1]
    big32 = [0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFF]
    pick = rng.random()
    if pick < 0.5:
        return rng.choice(small)
    if pick < 0.7:
        return rng.choice(big32)
    if t.text == "i64" and pick < 0.85:
        return rng.choice([1 << 63, (1 << 64) - 1, (1 << 63) - 1])
    return rng.getrandbits(32 if t.text == "i32" else 64)


def test_fuzz_every_call_gives_an_errno(proxy, tmp_path):
    """Random arguments (pointers at the edges, huge lengths, random descriptors and flags)
    and random memory contents: every call returns an errno; the host tree outside the
    preopen is untouched."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    (sandbox / "a").write_text("a")
    (sandbox / "dir").mkdir()
    os.symlink("../outside", sandbox / "out")
    inst, wasi = proxy(runtime.WasiConfig(preopens={"/s": str(sandbox)}, stdout="capture",
                                          stderr="capture", stdin=b"input"))
    g = Guest(inst)
    rng = random.Random(1234)
    names = [n for n in SIGNATURES if n not in ("proc_exit", "poll_oneoff", "sched_yield")]
    # Memory holding plausible names and iovecs, so some calls get past the first checks.
    layout = b"a\0dir\0out/keep.txt\0new\0" + struct.pack("<II", 64, 16) * 4
    for i in range(3000):
        if i % 200 == 0:
            g.mem.write(0, bytes(rng.getrandbits(8) for _ in range(2048)))
            g.mem.write(0, layout)
        name = rng.choice(names)
        args = [_random_value(rng, t) for t in functype(name).params]
        if name.startswith(("fd_", "path_")) and rng.random() < 0.7:
            args[0] = rng.choice([0, 1, 2, 3, 4, 5])
        result = getattr(g.x, name)(*args)
        assert isinstance(result, int) and 0 <= result <= 76, (name, args, result)
    assert (outside / "keep.txt").read_text() == "keep"
    assert sorted(os.listdir(outside)) == ["keep.txt"]
    assert sorted(os.listdir(tmp_path)) == ["outside", "sandbox"]


def test_poll_oneoff(captured):
    g, _ = captured
    x = g.x
    sub = struct.Struct("<QB7xI4xQQH6x")  # userdata, tag, clock id, timeout, precision, flags
    # Two relative clocks: the nearer fires first, alone.
    g.mem.write(2048, sub.pack(11, 0, 1, 30_000_000, 0, 0) + sub.pack(22, 0, 1, 5_000_000_000, 0, 0))
    assert E(x.poll_oneoff(2048, 4096, 2, OUT)) == E.SUCCESS
    assert g.u32() == 1
    userdata, err, etype = struct.unpack_from("<QHB", g.mem.read(4096, 11))
    assert (userdata, err, etype) == (11, 0, 0)
    # A readable descriptor (bytes stdin) is reported at once, before any clock.
    fdsub = struct.pack("<QB7xI28x", 33, 1, 0)
    g.mem.write(2048, fdsub + sub.pack(44, 0, 1, 5_000_000_000, 0, 0))
    assert E(x.poll_oneoff(2048, 4096, 2, OUT)) == E.SUCCESS
    assert g.u32() == 1 and struct.unpack_from("<QHB", g.mem.read(4096, 11)) == (33, 0, 1)
    # Bad descriptor and unknown clock: events carrying the error.
    g.mem.write(2048, struct.pack("<QB7xI28x", 55, 1, 99) + sub.pack(66, 0, 7, 0, 0, 0))
    assert E(x.poll_oneoff(2048, 4096, 2, OUT)) == E.SUCCESS
    events = {struct.unpack_from("<QH", g.mem.read(4096 + 32 * i, 10)) for i in range(g.u32())}
    assert events == {(55, int(E.BADF)), (66, int(E.INVAL))}
    g.mem.write(2048, struct.pack("<QB", 1, 9))  # unknown subscription type
    assert E(x.poll_oneoff(2048, 4096, 1, OUT)) == E.INVAL


def test_host_files_with_odd_metadata(captured, tmp_path):
    """Whatever the host tree holds (timestamps before 1970, a FIFO, a socket) is
    reported, not a Python error."""
    import socket

    g, _ = captured
    old = tmp_path / "old.txt"
    old.write_text("x")
    os.utime(old, ns=(-10**18, -1))
    os.mkfifo(tmp_path / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        err, st = g.stat(b"old.txt")
        assert err == E.SUCCESS and st[6] == (1 << 64) - 1  # mtime -1 ns
        assert g.stat(b"fifo")[1][2] == 0 and g.stat(b"sock")[1][2] == 6  # UNKNOWN, SOCKET_STREAM
        err, fd = g.open(b".", 2)
        err, names = g.readdir(fd)
        assert sorted(names) == [b".", b"..", b"fifo", b"old.txt", b"sock"]
        err, fd = g.open(b"old.txt")
        assert E(g.x.fd_filestat_get(fd, OUT)) == E.SUCCESS
    finally:
        sock.close()
