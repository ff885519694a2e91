"""Isolation: forged, released and foreign cap numbers, handle classes and owners, the
lent-cap rule, and instances of one module that share nothing.

Every case is a hostile plugin (tests/kernel/plugins/hostile_*.c) run under both memory
strategies, and through both translators where a link is involved. A bad cap must fail
validation with the documented error: never crash, never name another plugin's object.
"""
from __future__ import annotations

import pytest

from kernel import CapError
from tests.kernel.fixtures import *  # noqa: F401,F403 (fixtures)
from kernel.kernel import CONSTANTS as K

EBADCAP, EKIND, EPERM = K["K_EBADCAP"], K["K_EKIND"], K["K_EPERM"]

# probe(c, which, aux) in hostile_caps.c: every syscall that takes a cap
PROBES = {0: "cap_dup", 1: "cap_release", 2: "cap_kind", 3: "handle_badge", 4: "msg_recv",
          5: "msg_reply", 6: "msg_info", 7: "grant_read", 8: "grant_write", 9: "grant_size",
          10: "endpoint_call(ep)", 11: "endpoint_call(msg)", 12: "instance_create(loader)",
          13: "instance_export", 14: "msg_create(caps[])", 15: "msg_reply(caps[])",
          16: "instance_create(imports[])"}

FORGED = {"out-of-range 2**31": 2**31, "out-of-range 0xFFFFFFFF": 0xFFFFFFFF,
          "out-of-range 65536": 65536, "out-of-range 17": 17, "past the table": None}


def _aux(k, wasm, which):
    """A valid cap the probe needs besides the forged one (host-owned, lent for the call)."""
    if which == 11:
        return k.load(wasm("caps"), name="target").endpoint("on_msg")
    if which == 15:
        return k.message(b"hello")
    if which == 16:
        return k.loader({"x": wasm("caps")})
    return 0


def _expect_nothing(which: int, c: int) -> int:
    """What probe(c, which) returns when c names nothing in the caller's namespace."""
    if which == 2:
        return 0  # cap_kind: not a capability
    if c == 0 and which in (14, 15):
        return 0  # CAP_NULL inside a caps array is allowed (an empty slot)
    if c == 0 and which == 11:
        return 4242 + 1  # endpoint_call with no message
    return EBADCAP


def _probe_all(k, wasm, p, c):
    results = {}
    for which in PROBES:
        aux = _aux(k, wasm, which)
        results[which] = p.call("probe", c, which, aux)
    return results


@pytest.mark.parametrize("label", ["null 0", *FORGED])
def test_forged_numbers_fail_every_syscall(kern, wasm, label):
    p = kern.load(wasm("caps"), name="hostile")
    h = p.call("make_handle", 5, 7)  # the plugin holds one real cap
    assert h == 1
    c = 0 if label == "null 0" else FORGED[label]
    if c is None:
        c = p.namespace_size + 1  # past the table (the lent aux cap takes the next slot)
    live = p.live_caps
    got = _probe_all(kern, wasm, p, c)
    want = {w: _expect_nothing(w, c) for w in PROBES}
    assert got == want, {PROBES[w]: (got[w], want[w]) for w in PROBES if got[w] != want[w]}
    assert not p.dead and p.live_caps == live
    assert p.call("badge_read", h, 7) == 5  # its real cap is untouched


def test_released_cap_fails_every_syscall(kern, wasm):
    p = kern.load(wasm("caps"), name="hostile")
    h1, h2, h3 = (p.call("make_handle", v, 7) for v in (1, 2, 3))
    assert p.call("release", h2) == 0
    assert p.call("release", h3) == 0  # a lent aux cap takes h3's slot, so h2 stays free
    got = _probe_all(kern, wasm, p, h2)
    want = {w: _expect_nothing(w, h2) for w in PROBES}
    assert got == want, {PROBES[w]: (got[w], want[w]) for w in PROBES if got[w] != want[w]}
    assert p.call("release", h2) == EBADCAP  # a double release
    assert p.call("badge_read", h1, 7) == 1
    assert p.live_caps == 1


def test_a_number_from_another_instance_names_nothing_there(kern, wasm):
    a = kern.load(wasm("caps"), name="a")
    b = kern.load(wasm("caps"), name="b")
    for v in range(4):  # (b's lent aux cap takes b's slot 1: a's numbers must be above)
        a.call("make_handle", v, 7)
    ha = a.call("make_handle", 111, 7)
    ga = a.call("g_create", a.call("buf_addr"), 16, 3)
    assert (ha, ga) == (5, 6)
    for c in (ha, ga):
        got = _probe_all(kern, wasm, b, c)
        assert got == {w: _expect_nothing(w, c) for w in PROBES}
    assert b.live_caps == 0
    # once b has caps of its own, the same numbers name b's objects, never a's
    for v in range(4):
        b.call("make_handle", v, 7)
    hb = b.call("make_handle", 222, 7)
    assert hb == ha
    assert b.call("badge_read", ha, 7) == 222
    assert a.call("badge_read", ha, 7) == 111
    gb = b.call("g_create", b.call("buf_addr"), 4, 3)
    assert gb == ga and b.call("g_size", ga) == 4 and a.call("g_size", ga) == 16


def test_forged_cap_arguments_of_linked_calls(linked):
    k, client, server = linked
    own = client.call("make_handle", 5, 7)
    for c in (2**31, 0xFFFFFFFF, 65536, 17):
        for export in ("c_peek", "c_kind", "c_keep", "c_release_lent", "c_echo"):
            assert client.call(export, c) == 0, (export, c)
            assert client.call("err") == EBADCAP, (export, c)
        assert client.call("c_pass", c, 9) == 0 and client.call("err") == EBADCAP
    # released
    gone = client.call("make_handle", 6, 7)
    assert client.call("release", gone) == 0
    assert client.call("c_peek", gone) == 0 and client.call("err") == EBADCAP
    # CAP_NULL passes as CAP_NULL: the callee sees nothing
    assert client.call("c_kind", 0) == 0 and client.call("err") == 0
    assert client.call("c_peek", 0) == EBADCAP and client.call("err") == 0
    # a number valid only in the server's namespace
    for v in range(5):
        server.call("make", v)
    n = server.call("make", 77)
    assert server.call("peek", n) == 77
    assert n >= client.namespace_size
    assert client.call("c_peek", n) == 0 and client.call("err") == EBADCAP
    # ... or naming the client's own object, which the server cannot open
    assert client.call("c_peek", own) == EPERM and client.call("err") == 0
    assert not client.dead and not server.dead
    assert client.call("badge_read", own, 7) == 5 and server.call("peek", n) == 77


def test_handle_badge_wrong_class_and_wrong_kind(kern, wasm):
    p = kern.load(wasm("caps"), name="hostile")
    h = p.call("make_handle", 41, 7)
    assert p.call("badge_read", h, 7) == 41
    for cls in (0, 6, 8, 0xFFFFFFFF):
        assert p.call("badge_read", h, cls) == EKIND
    g = p.call("g_create", p.call("buf_addr"), 8, 1)
    assert p.call("badge_read", g, 7) == EKIND  # a grant is no handle
    m = kern.message(b"x")
    assert p.call("badge_read", m, 7) == EKIND
    assert p.call("badge_read", h, 7) == 41


def test_handle_badge_by_a_non_owner(linked, wasm):
    k, client, server = linked
    h = client.call("make_handle", 41, 7)
    # lent to the server: it may hold it, never open it
    assert client.call("c_peek", h) == EPERM
    assert client.call("c_keep", h) > 0
    assert client.call("c_use_kept", 3) == EPERM
    assert client.call("c_use_kept", 0) == K["K_KIND_HANDLE"]
    # moved to the host, then lent to others: only the owner gets the pointer back
    cap = client.call("make_handle", 42, 7, cap_result=True)
    assert cap.kind == "handle"
    other = k.load(wasm("caps"), name="other")
    assert other.call("badge_read", cap, 7) == EPERM
    assert server.call("peek", cap) == EPERM
    assert client.call("badge_read", cap, 7) == 42
    # a handle of the server's, held by the client: the client cannot open it
    sh = client.call("c_make", 43)
    assert client.call("badge_read", sh, 7) == EPERM
    assert client.call("c_peek", sh) == 43


def test_a_lent_cap_cannot_be_released_but_can_be_kept(linked):
    k, client, server = linked
    buf = client.call("buf_addr")
    client.call("poke", buf, 0x5EED)
    g = client.call("g_create", buf, 16, 3)
    live = server.live_caps
    assert client.call("c_release_lent", g) == EPERM
    assert client.call("kind_of", g) == K["K_KIND_GRANT"]  # still the client's
    dup = client.call("c_keep", g)
    assert dup > 0 and client.call("err") == 0
    assert server.live_caps == live + 1  # the dup stays, the lent cap went back
    assert client.call("release", g) == 0  # the client drops its own cap ...
    assert client.call("c_use_kept", 1) == 16  # ... the server's dup still works
    assert client.call("c_use_kept", 2) == 0x5EED
    assert client.call("c_use_kept", 4) == 0  # the server may release its dup
    assert server.live_caps == live


def test_a_lent_host_cap(kern, wasm):
    p = kern.load(wasm("server"), name="server")
    g = kern.grant(bytearray(b"\x01\x02\x03\x04" * 4), "r")
    assert p.call("release_lent", g) == EPERM
    assert g.alive and g.kind == "grant"
    assert p.call("keep", g) > 0
    g.release()
    with pytest.raises(CapError):
        g.kind
    assert p.call("use_kept", 1) == 16
    assert p.call("use_kept", 2) == 0x04030201
    assert p.live_caps == 1


def test_host_caps_cannot_be_forged_into_plugins(kern, wasm):
    from kernel import Cap
    p = kern.load(wasm("caps"), name="hostile")
    for n in (0, 7, 2**31):
        with pytest.raises(CapError):
            p.call("kind_of", Cap(kern, n))
    g = kern.grant(bytearray(4), "r")
    g.release()
    with pytest.raises(CapError):
        p.call("kind_of", g)
    assert p.call("kind_of", 0) == 0 and not p.dead


def test_instances_of_one_module_share_nothing(kern, wasm):
    a = kern.load(wasm("caps"), name="a")
    b = kern.load(wasm("caps"), name="b")
    buf = a.call("buf_addr")
    assert b.call("buf_addr") == buf
    a.call("poke", buf, 0x11223344)
    assert a.call("peek_mem", buf) == 0x11223344
    assert b.call("peek_mem", buf) == 0
    b.call("poke", buf, 7)
    assert a.call("peek_mem", buf) == 0x11223344
    assert a.memory.read(buf, 4) == (0x11223344).to_bytes(4, "little")
    assert b.memory.read(buf, 4) == (7).to_bytes(4, "little")
    assert a.call("grow", 1) >= 0
    assert a.call("mem_pages") == b.call("mem_pages") + 1
    # namespaces: a's caps are a's
    for v in range(5):
        a.call("make_handle", v, 7)
    assert a.live_caps == 5 and b.live_caps == 0
    for c in range(1, 6):
        assert b.call("kind_of", c) == 0
    # a trap kills one instance only
    from runtime import Trap
    with pytest.raises(Trap):
        a.call("peek_mem", 0xFFFFFFF0)
    assert a.dead and not b.dead
    assert b.call("peek_mem", buf) == 7
    assert b.call("badge_read", b.call("make_handle", 9, 7), 7) == 9


def test_forged_cap_results(linked, wasm):
    """A callee returning a number that is no cap of its own gives the caller nothing."""
    k, client, server = linked
    own = client.call("make_handle", 5, 7)
    for n in (own, 2**31, 0xFFFFFFFF, 65536, 17, server.namespace_size):
        assert client.call("c_forge", n) == 0 and client.call("err") == EBADCAP, n
    assert client.call("c_forge", 0) == 0 and client.call("err") == 0  # CAP_NULL: no cap
    assert client.live_caps == 1
    # a cap the server really has is moved (the server gave it away)
    n = server.call("make", 12)
    c = client.call("c_forge", n)
    assert c and client.call("c_peek", c) == 12
    assert server.call("kind", n) == 0 and server.live_caps == 0
    # the same from the host's side
    assert server.call("forge", 12345, cap_result=True) is None
    assert server.call("forge", 0, cap_result=True) is None
    cap = server.call("forge", server.call("make", 13), cap_result=True)
    assert cap.kind == "handle" and server.call("peek", cap) == 13 and server.live_caps == 0
