"""Isolation: grants used past their bounds, against their rights, with pointers outside
the caller's memory, after revocation; and a plugin writing a host buffer exactly."""
from __future__ import annotations

import pytest

from kernel.kernel import CONSTANTS as K
from tests.kernel.fixtures import *  # noqa: F401,F403 (fixtures)

EFAULT, ERANGE, EPERM, EINVAL, EKIND = (K["K_EFAULT"], K["K_ERANGE"], K["K_EPERM"],
                                      K["K_EINVAL"], K["K_EKIND"])
R, W = K["K_RIGHT_READ"], K["K_RIGHT_WRITE"]

# (offset, length) pairs outside a 32-byte grant, several of which wrap around 2**32
PAST_BOUNDS = [(30, 4), (32, 1), (33, 0), (0, 33), (0xFFFFFFFF, 2), (1, 0xFFFFFFFF),
               (0xFFFFFFF0, 0x20), (0x80000000, 0x80000000), (0xFFFFFFFF, 0xFFFFFFFF)]


@pytest.fixture
def hostile(kern, wasm):
    return kern.load(wasm("caps"), name="hostile")


def test_a_plugin_writes_a_host_buffer_exactly(kern, hostile):
    data = bytearray(32)
    g = kern.grant(data, "rw")
    buf = hostile.call("buf_addr")
    hostile.memory.write(buf, b"hello, host!")
    assert hostile.call("g_size", g) == 32
    assert hostile.call("g_write", g, 3, buf, 12) == 12
    assert data == b"\0\0\0hello, host!" + bytes(17)
    assert hostile.call("g_write", g, 20, buf, 12) == 12  # up to the last byte
    assert data == b"\0\0\0hello, host!" + bytes(5) + b"hello, host!"
    data[0:4] = b"ABCD"
    assert hostile.call("g_read", g, 0, buf + 100, 4) == 4
    assert hostile.memory.read(buf + 100, 4) == b"ABCD"
    assert hostile.call("g_read", g, 32, buf, 0) == 0  # empty, at the end: fine


@pytest.mark.parametrize("off,n", PAST_BOUNDS)
def test_grant_use_past_its_bounds(kern, hostile, off, n):
    data = bytearray(range(32))
    g = kern.grant(data, "rw")
    buf = hostile.call("buf_addr")
    hostile.memory.write(buf, b"\xee" * 64)
    assert hostile.call("g_read", g, off, buf, n) == ERANGE
    assert hostile.call("g_write", g, off, buf, n) == ERANGE
    assert data == bytearray(range(32))
    assert hostile.memory.read(buf, 64) == b"\xee" * 64
    assert not hostile.dead


def test_grant_use_against_its_rights(kern, hostile):
    buf = hostile.call("buf_addr")
    ro, wo = bytearray(b"r" * 8), bytearray(b"w" * 8)
    gr, gw = kern.grant(ro, "r"), kern.grant(wo, "w")
    hostile.memory.write(buf, b"XXXXXXXX")
    assert hostile.call("g_write", gr, 0, buf, 8) == EPERM
    assert hostile.call("g_read", gw, 0, buf, 8) == EPERM
    assert ro == b"r" * 8 and wo == b"w" * 8
    assert hostile.call("g_read", gr, 0, buf, 8) == 8 and hostile.memory.read(buf, 8) == b"r" * 8
    hostile.memory.write(buf, b"XXXXXXXX")
    assert hostile.call("g_write", gw, 0, buf, 8) == 8 and wo == b"XXXXXXXX"
    with pytest.raises(ValueError):
        kern.grant(b"immutable", "w")  # the host cannot grant write over read-only bytes


def test_grant_pointers_outside_the_callers_memory(kern, hostile):
    data = bytearray(range(32))
    g = kern.grant(data, "rw")
    size = hostile.call("mem_pages") * 65536
    for dst, n in [(0xFFFFFFF0, 16), (size - 4, 8), (size, 1), (0xFFFFFFFF, 2), (size - 8, 16)]:
        assert hostile.call("g_read", g, 0, dst, n) == EFAULT, (dst, n)
        assert hostile.call("g_write", g, 0, dst, n) == EFAULT, (dst, n)
    assert data == bytearray(range(32))
    assert hostile.call("g_read", g, 0, size - 4, 4) == 4  # the last bytes are its own
    assert hostile.memory.read(size - 4, 4) == bytes(range(4))
    assert not hostile.dead


def test_grant_create_checks_memory_and_rights(hostile):
    size = hostile.call("mem_pages") * 65536
    buf = hostile.call("buf_addr")
    for ptr, n in [(size, 1), (size - 1, 2), (0xFFFFFFFF, 2), (0, size + 1), (1, 0xFFFFFFFF)]:
        assert hostile.call("g_create", ptr, n, R) == 0 and hostile.call("err") == EFAULT
    for rights in (0, 4, 0xFFFFFFFF, R | W | 8):
        assert hostile.call("g_create", buf, 8, rights) == 0 and hostile.call("err") == EINVAL
    assert hostile.live_caps == 0
    g = hostile.call("g_create", 0, size, R | W)  # all of its own memory is fine
    assert hostile.call("g_size", g) == size


def test_a_revoked_host_grant(kern, hostile):
    data = bytearray(b"secret!!" * 4)
    g = kern.grant(data, "rw")
    buf = hostile.call("buf_addr")
    hostile.memory.write(buf, b"\0" * 32)
    assert hostile.call("g_read", g, 0, buf, 8) == 8
    g.revoke()
    hostile.memory.write(buf, b"overwrite" * 4)
    assert hostile.call("g_read", g, 0, buf + 64, 8) in (EPERM, ERANGE)
    assert hostile.call("g_write", g, 0, buf, 8) in (EPERM, ERANGE)
    assert hostile.call("g_read", g, 0, buf, 0) in (EPERM, ERANGE, 0)
    assert hostile.call("g_size", g) == 0
    assert data == b"secret!!" * 4
    assert hostile.memory.read(buf + 64, 8) == bytes(8)
    # a plugin that kept a dup of the grant is revoked with it
    assert hostile.call("dup", g) > 0
    d = hostile.call("dup", g)
    assert hostile.call("g_write", d, 0, buf, 8) in (EPERM, ERANGE)
    assert data == b"secret!!" * 4


def test_grants_between_plugins(linked):
    k, client, server = linked
    buf = client.call("buf_addr")
    gr = client.call("c_make_grant", 16, R)
    assert gr and client.call("kind_of", gr) == K["K_KIND_GRANT"]
    assert client.call("g_size", gr) == 16
    assert client.call("g_read", gr, 0, buf, 16) == 16
    assert client.memory.read(buf, 16) == bytes(range(16))  # the server's region
    assert client.call("g_write", gr, 0, buf, 4) == EPERM
    for off, n in PAST_BOUNDS:
        assert client.call("g_read", gr, off, buf, n) in (ERANGE,), (off, n)
    assert client.call("g_read", gr, 0, 0xFFFFFFF0, 16) == EFAULT
    grw = client.call("c_make_grant", 16, R | W)
    client.memory.write(buf, b"\xAA\xBB\xCC\xDD")
    assert client.call("g_write", grw, 4, buf, 4) == 4
    assert client.call("g_read", grw, 0, buf + 32, 8) == 8
    assert client.memory.read(buf + 32, 8) == bytes(range(4)) + b"\xAA\xBB\xCC\xDD"
    assert client.call("g_write", grw, 12, buf, 8) == ERANGE
    # the server's own grants cannot reach past its memory either
    assert client.call("c_make_grant", 0x7FFFFFFF, R) == 0
    assert not server.dead and not client.dead


def test_a_grant_held_by_the_wrong_kind_of_call(kern, hostile):
    h = hostile.call("make_handle", 1, 7)
    buf = hostile.call("buf_addr")
    assert hostile.call("g_read", h, 0, buf, 1) == EKIND
    assert hostile.call("g_write", h, 0, buf, 1) == EKIND
    assert hostile.call("g_size", h) == EKIND
    m = kern.message(b"abc")
    assert hostile.call("g_size", m) == EKIND


def test_every_pointer_a_syscall_takes_is_checked(kern, wasm, hostile):
    """Pointers and lengths outside the caller's memory: K_EFAULT (or K_EINVAL for a
    count over the kernel's maximum), never a read or write elsewhere."""
    size = hostile.call("mem_pages") * 65536
    loader = kern.loader({"x": wasm("caps")})
    bad = [(0xFFFFFFF0, 16), (size, 1), (size - 2, 4), (0xFFFFFFFF, 0xFFFFFFFF)]
    for ptr, n in bad:
        # instance_create: the name, the import caps; msg_create: data, caps, reply buffers
        assert hostile.call("ptr_probe", 0, loader, ptr, n) in (EFAULT,), (ptr, n)
        assert hostile.call("ptr_probe", 1, loader, ptr, n) in (EFAULT, EINVAL), (ptr, n)
        for which in (3, 4, 5, 6):
            assert hostile.call("ptr_probe", which, 0, ptr, n) in (EFAULT, EINVAL), (which, ptr, n)
        assert hostile.call("ptr_probe", 7, 0, ptr, n) == EFAULT
    assert hostile.call("ptr_probe", 0, loader, hostile.call("buf_addr"), 0) == EINVAL  # name ""
    assert hostile.live_caps == 0 and not hostile.dead
    inst = hostile.call("probe", loader, 12, 0)  # instance_create(loader, "x"): a real child
    assert inst > 0 and hostile.call("kind_of", inst) == K["K_KIND_INSTANCE"]
    for ptr, n in bad:
        assert hostile.call("ptr_probe", 2, inst, ptr, n) == EFAULT, (ptr, n)
    assert hostile.call("ptr_probe", 2, inst, hostile.call("buf_addr"), 0) == EINVAL
