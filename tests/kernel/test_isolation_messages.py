"""Isolation: messages. Replies larger than the sender's buffers, double replies,
receives into memory the plugin does not have, caps carried by messages (the receiver
gets working caps of its own), forged caps inside a message's caps array."""
from __future__ import annotations

import struct

import pytest

from kernel.kernel import CONSTANTS as K
from runtime import Trap
from tests.kernel.fixtures import *  # noqa: F401,F403 (fixtures)

EBADCAP, EFAULT, ERANGE, EAGAIN, EINVAL, EPERM, EDEAD = (
    K["K_EBADCAP"], K["K_EFAULT"], K["K_ERANGE"], K["K_EAGAIN"], K["K_EINVAL"], K["K_EPERM"],
    K["K_EDEAD"])
MSG_LEN, MSG_NCAPS, REPLY_LEN, REPLY_NCAPS = (K["K_MSG_LEN"], K["K_MSG_NCAPS"],
                                              K["K_MSG_REPLY_LEN"], K["K_MSG_REPLY_NCAPS"])


def u32s(b: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(b) // 4}I", b))


def test_host_message_receive_and_reply(kern, wasm):
    p = kern.load(wasm("caps"), name="hostile")
    buf, capbuf = p.call("buf_addr"), p.call("capbuf_addr")
    m = kern.message(b"abcdef", reply_size=8)
    assert p.call("m_info", m, MSG_LEN) == 6 and p.call("m_info", m, MSG_NCAPS) == 0
    assert p.call("m_info", m, REPLY_LEN) == EAGAIN
    assert p.call("m_info", m, 99) == EINVAL
    assert p.call("m_recv", m, buf, 64, capbuf, 4) == 6
    assert p.memory.read(buf, 6) == b"abcdef"
    assert p.call("m_recv", m, buf + 100, 3, capbuf, 4) == 6  # truncated, full length returned
    assert p.memory.read(buf + 100, 4) == b"abc\0"
    p.memory.write(buf, b"0123456789")
    assert p.call("m_reply", m, buf, 9, 0, 0) == ERANGE  # bigger than the host's reply_size
    assert m.reply() is None
    assert p.call("m_reply", m, buf, 8, 0, 0) == 0
    assert m.reply() == (b"01234567", [])
    assert p.call("m_reply", m, buf, 2, 0, 0) == EAGAIN  # a double reply
    assert m.reply() == (b"01234567", [])
    assert p.call("m_info", m, REPLY_LEN) == 8 and p.call("m_info", m, REPLY_NCAPS) == 0


def test_receive_and_reply_outside_memory(kern, wasm):
    p = kern.load(wasm("caps"), name="hostile")
    size = p.call("mem_pages") * 65536
    buf, capbuf = p.call("buf_addr"), p.call("capbuf_addr")
    g = kern.grant(bytearray(4), "r")
    m = kern.message(b"x" * 16, caps=[g], reply_size=64, reply_caps=2)
    for dst in (0xFFFFFFF0, size - 8, size, 0xFFFFFFFF):
        assert p.call("m_recv", m, dst, 64, capbuf, 1) == EFAULT, dst
    for cdst in (0xFFFFFFFE, size - 2, size):
        assert p.call("m_recv", m, buf, 16, cdst, 1) == EFAULT, cdst
    assert p.live_caps == 0  # nothing delivered by a failed receive
    for src in (0xFFFFFF00, size - 4):
        assert p.call("m_reply", m, src, 16, 0, 0) == EFAULT
    assert p.call("m_reply", m, buf, 0, 0xFFFFFFFC, 1) == EFAULT
    assert m.reply() is None  # none of it counts as the reply
    assert p.call("m_reply", m, buf, 1, 0, 0) == 0
    # a message whose reply buffers are outside the sender's memory is refused at creation
    assert p.call("m_create", 4, 0, size - 2, 4, 0) == 0 and p.call("err") == EFAULT
    assert p.call("m_create", 4, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0) == 0 and p.call("err") == EFAULT
    assert p.call("m_create", 0x7FFFFFFF, 0, buf, 4, 0) == 0 and p.call("err") == EINVAL
    assert p.call("m_create", 4, 65, buf, 4, 0) == 0 and p.call("err") == EINVAL
    assert p.live_caps == 0 and not p.dead


def test_host_message_caps_become_the_receivers_own(kern, wasm):
    p = kern.load(wasm("caps"), name="hostile")
    buf, capbuf = p.call("buf_addr"), p.call("capbuf_addr")
    data = bytearray(b"granted!")
    g = kern.grant(data, "rw")
    m = kern.message(b"hi", caps=[g], reply_caps=1)
    g.release()  # the message holds its own reference
    assert p.call("m_recv", m, buf, 2, capbuf, 4) == 2
    c = u32s(p.memory.read(capbuf, 4))[0]
    assert c != 0 and p.live_caps == 1
    assert p.call("kind_of", c) == K["K_KIND_GRANT"]
    assert p.call("g_read", c, 0, buf, 8) == 8 and p.memory.read(buf, 8) == b"granted!"
    # it is the plugin's own cap, not lent: it outlives the call and can be released
    assert p.call("g_size", c) == 8
    assert p.call("release", c) == 0 and p.call("g_size", c) == EBADCAP
    # a reply carrying a handle of the plugin's reaches the host as a host cap
    h = p.call("make_handle", 99, 7)
    p.memory.write(capbuf, struct.pack("<I", h))
    assert p.call("m_reply", m, buf, 0, capbuf, 1) == 0
    _, caps = m.reply()
    assert len(caps) == 1 and caps[0].kind == "handle"
    assert p.call("badge_read", caps[0], 7) == 99
    other = kern.load(wasm("caps"), name="other")
    assert other.call("badge_read", caps[0], 7) == EPERM


def test_forged_caps_inside_messages(kern, wasm):
    p = kern.load(wasm("caps"), name="hostile")
    buf, capbuf = p.call("buf_addr"), p.call("capbuf_addr")
    h = p.call("make_handle", 1, 7)
    gone = p.call("make_handle", 2, 7)
    p.call("release", gone)
    p.call("make_handle", 3, 7)  # takes gone's slot back: now p's own
    gone = p.call("make_handle", 4, 7)
    spare = p.call("make_handle", 5, 7)
    p.call("release", gone)
    p.call("release", spare)  # the lent message below takes this slot; gone stays free
    for forged in (gone, 2**31, 0xFFFFFFFF, 65536, 17):
        p.memory.write(capbuf, struct.pack("<II", h, forged))
        live = p.live_caps
        assert p.call("m_create", 4, 2, buf, 4, 0) == 0 and p.call("err") == EBADCAP, forged
        assert p.live_caps == live
        m = kern.message(b"", reply_caps=2)
        assert p.call("m_reply", m, buf, 0, capbuf, 2) == EBADCAP
        assert m.reply() is None
    # CAP_NULL in a caps array is an empty slot
    p.memory.write(capbuf, struct.pack("<II", h, 0))
    mc = p.call("m_create", 4, 2, buf, 4, 0)
    assert mc and p.call("m_info", mc, MSG_NCAPS) == 2


def test_messages_between_plugins(linked):
    k, client, server = linked
    buf, capbuf = client.call("buf_addr"), client.call("capbuf_addr")
    rbuf = buf + 1024
    client.memory.write(buf, struct.pack("<ii", 0x1234, 0x5678))
    client.call("poke", buf + 512, 0x600D)
    g = client.call("g_create", buf + 512, 4, K["K_RIGHT_READ"])
    client.memory.write(capbuf, struct.pack("<I", g))
    m = client.call("m_create", 8, 1, rbuf, 4, 1)
    assert m and client.call("m_info", m, MSG_NCAPS) == 1
    # the server receives: the data, and a grant cap of its own
    assert client.call("c_answer", m, 0, 0) == 8 and client.call("err") == 0
    assert client.call("c_answer", m, 8, 0) == 0x1234
    kept = server.call("kept_cap")
    assert kept and server.call("kind", kept) == K["K_KIND_GRANT"]
    assert client.call("c_use_kept", 2) == 0x600D  # it reads the client's memory through it
    assert client.call("c_use_kept", 1) == 4
    # bad receives by the server
    assert client.call("c_answer", m, 3, 0) == EFAULT
    assert client.call("c_answer", m, 4, 0) == EFAULT
    assert client.call("c_answer", m, 5, 77) == EINVAL
    # replies: too big for the sender's buffers, from outside memory, a forged cap, twice
    client.memory.write(rbuf, b"\0" * 8)
    assert client.call("c_answer", m, 1, 5) == ERANGE
    assert client.call("c_answer", m, 1, 0x7FFFFFFF) == ERANGE
    assert client.call("c_answer", m, 6, 4) == EFAULT
    assert client.call("c_answer", m, 7, 12345) == EBADCAP
    assert client.call("c_answer", m, 7, 0xFFFFFFFF) == EBADCAP
    assert client.call("m_info", m, REPLY_LEN) == EAGAIN
    assert client.memory.read(rbuf, 8) == b"\0" * 8
    assert client.call("c_answer", m, 1, 4) == 0
    assert client.memory.read(rbuf, 8) == b"RRRR\0\0\0\0"  # exactly recv_len, no more
    assert client.call("c_answer", m, 1, 4) == EAGAIN
    assert client.call("c_answer", m, 2, 1) == EAGAIN
    assert client.call("m_info", m, REPLY_LEN) == 4
    # a reply carrying a cap: the client gets a cap of its own to the server's handle
    m2 = client.call("m_create", 0, 0, rbuf, 4, 1)
    assert client.call("c_answer", m2, 2, 55) == 0
    assert client.call("m_info", m2, REPLY_NCAPS) == 1
    c = u32s(client.memory.read(capbuf + 32 * 4, 4))[0]
    assert c and client.call("kind_of", c) == K["K_KIND_HANDLE"]
    assert client.call("badge_read", c, 7) == EPERM  # the server's, not the client's
    assert client.call("c_peek", c) == 55  # but the server opens it
    # more caps than the sender asked for
    m3 = client.call("m_create", 0, 0, rbuf, 4, 0)
    assert client.call("c_answer", m3, 2, 1) == ERANGE
    assert not client.dead and not server.dead


def test_a_message_made_by_a_dead_plugin_is_revoked(linked):
    k, client, server = linked
    buf = client.call("buf_addr")
    m = client.call("m_create", 4, 0, buf, 4, 0, cap_result=True)
    assert server.call("answer", m, 0, 0) == 4
    with pytest.raises(Trap):
        client.call("peek_mem", 0xFFFFFFF0)
    assert client.dead and not m.alive
    assert server.call("answer", m, 0, 0) == EDEAD  # the reply would go to a dead memory
    assert server.call("answer", m, 1, 1) == EDEAD
    assert server.call("answer", m, 5, 0) == EDEAD
    assert not server.dead
