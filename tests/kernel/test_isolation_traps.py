"""Isolation: a callee that traps (unreachable, out-of-bounds load, divide by zero) or
recurses without end. The caller gets 0 and K_ETRAPPED; the callee is dead, later calls
into it fail with K_EDEAD, every cap it made is revoked; the caller, the host and the
other plugins keep working."""
from __future__ import annotations

import pytest

from kernel import PluginDead
from kernel.kernel import CONSTANTS as K
from runtime import Trap, TrapCode
from tests.kernel.fixtures import *  # noqa: F401,F403 (fixtures)
from tests.kernel.fixtures import SVC_KIF

ETRAPPED, EDEAD, EBADCAP = K["K_ETRAPPED"], K["K_EDEAD"], K["K_EBADCAP"]
R, W = K["K_RIGHT_READ"], K["K_RIGHT_WRITE"]

CRASHES = {"unreachable": (0, TrapCode.UNREACHABLE),
           "out-of-bounds load": (1, TrapCode.MEMORY_OUT_OF_BOUNDS),
           "divide by zero": (2, TrapCode.INTEGER_DIVIDE_BY_ZERO),
           "endless recursion": (3, TrapCode.CALL_STACK_EXHAUSTED)}


@pytest.mark.parametrize("crash", list(CRASHES))
def test_a_callee_that_traps(linked, wasm, translator, crash):
    k, client, server = linked
    how, code = CRASHES[crash]
    # a bystander pair, linked the same way
    server2 = k.load(wasm("server"), name="server2")
    client2 = k.load(wasm("client"), name="client2", links={"svc": server2}, translator=translator)
    # caps the server made, held by the client (a handle, a grant, a dup of each) and the host
    h = client.call("c_make", 21)
    g = client.call("c_make_grant", 16, R | W)
    hd, gd = client.call("dup", h), client.call("dup", g)
    host_h = client.call("c_make", 22, cap_result=True)
    assert client.call("c_peek", h) == 21 and client.call("g_size", g) == 16
    own = client.call("make_handle", 5, 7)
    # the server keeps a cap of the client's: lent to it, dup'd
    assert client.call("c_keep", own) > 0

    assert client.call("c_crash", how) == 0
    assert client.call("err") == ETRAPPED
    assert server.dead and not client.dead
    assert server.trap is not None and server.trap.kind == code
    # later calls into it
    for export, args in [("c_peek", (h,)), ("c_crash", (99,)), ("c_make", (1,)),
                         ("c_pass", (own, 3)), ("c_kind", (0,))]:
        assert client.call(export, *args) == 0, export
        assert client.call("err") == EDEAD, export
    with pytest.raises(PluginDead):
        server.call("peek", 0)
    # everything it made is revoked, dups included; the client's caps still name them
    buf = client.call("buf_addr")
    for c in (h, hd):
        assert client.call("kind_of", c) == EDEAD
        assert client.call("dup", c) == 0 and client.call("err") == EDEAD
    for c in (g, gd):
        assert client.call("kind_of", c) == EDEAD
        assert client.call("g_size", c) == EDEAD
        assert client.call("g_read", c, 0, buf, 4) == EDEAD
        assert client.call("g_write", c, 0, buf, 4) == EDEAD
    assert not host_h.alive
    assert client.call("release", h) == 0  # the dead caps can still be dropped
    # the caller keeps working, and so does everyone else
    assert client.call("badge_read", own, 7) == 5
    assert client.call("churn_handles", 100) == 0
    assert client2.call("c_peek", client2.call("c_make", 31)) == 31
    assert client2.call("c_crash", 7) == 7 and client2.call("err") == 0
    assert not server2.dead and not client2.dead
    # a new instance of the dead module starts clean
    fresh = k.load(wasm("server"), name="fresh")
    assert fresh.call("peek", fresh.call("make", 4)) == 4


@pytest.mark.parametrize("crash", list(CRASHES))
def test_a_plugin_that_traps_when_the_host_calls_it(kern, wasm, crash):
    how, code = CRASHES[crash]
    server = kern.load(wasm("server"), name="server")
    other = kern.load(wasm("server"), name="other")
    h = server.call("make", 1, cap_result=True)
    with pytest.raises(Trap) as info:
        server.call("crash", how)
    assert info.value.kind == code
    assert server.dead and not h.alive
    with pytest.raises(PluginDead):
        server.call("crash", 99)
    with pytest.raises(PluginDead):
        server.endpoint("peek")
    # a dead plugin's caps lent elsewhere are revoked
    assert other.call("kind", h) == EDEAD
    assert other.call("peek", other.call("make", 8)) == 8


def test_a_caller_that_traps_leaves_the_callee_alone(linked):
    k, client, server = linked
    h = client.call("make_handle", 9, 7)
    assert client.call("c_keep", h) > 0  # the server holds a cap to the client's handle
    assert client.call("c_use_kept", 0) == K["K_KIND_HANDLE"]
    with pytest.raises(Trap):
        client.call("poke", 0xFFFFFFF0, 1)
    assert client.dead and not server.dead
    assert server.call("use_kept", 0) == EDEAD  # revoked with its maker
    assert server.call("peek", server.call("make", 3)) == 3


def test_endpoint_calls_into_a_plugin_that_traps(kern, wasm):
    caller = kern.load(wasm("caps"), name="caller")
    for a0, code in [(0, TrapCode.UNREACHABLE), (1, TrapCode.MEMORY_OUT_OF_BOUNDS)]:
        target = kern.load(wasm("caps"), name="target")
        ok = target.endpoint("on_msg")
        boom = target.endpoint("on_msg_trap")
        m = kern.message(b"four")
        assert caller.call("ep_call", ok, 0, 1) == 4243
        assert caller.call("ep_call", ok, m, 0) == 4
        assert caller.call("ep_call", boom, 0, a0) == 0
        assert caller.call("err") == ETRAPPED
        assert target.dead and target.trap.kind == code
        assert caller.call("ep_call", ok, 0, 1) == 0 and caller.call("err") == EDEAD
        assert caller.call("ep_call", ok, m, 1) == 0 and caller.call("err") == EDEAD
        assert not caller.dead
        assert caller.call("badge_read", caller.call("make_handle", 3, 7), 7) == 3
    # the wrong kind, forged and released caps as the endpoint or the message
    target = kern.load(wasm("caps"), name="target")
    ok = target.endpoint("on_msg")
    h = caller.call("make_handle", 1, 7)
    assert caller.call("ep_call", h, 0, 0) == 0 and caller.call("err") == K["K_EKIND"]
    assert caller.call("ep_call", ok, h, 0) == 0 and caller.call("err") == K["K_EKIND"]
    assert caller.call("ep_call", 0xFFFFFFFF, 0, 0) == 0 and caller.call("err") == EBADCAP
    assert caller.call("ep_call", ok, 0xFFFFFFFF, 0) == 0 and caller.call("err") == EBADCAP


def test_a_callee_that_traps_through_a_host_call(kern, wasm):
    """The host calls the client, the client calls the server, the server dies: the
    host's call returns normally (the client handled it), the server alone is dead."""
    kern.interface(SVC_KIF)
    server = kern.load(wasm("server"), name="server")
    client = kern.load(wasm("client"), name="client", links={"svc": server})
    g = kern.grant(bytearray(8), "r")
    assert client.call("c_keep", g) > 0
    assert client.call("c_crash", 3) == 0 and client.call("err") == ETRAPPED
    assert server.dead and g.alive and g.kind == "grant"
    assert client.call("g_size", g) == 8


def test_a_plugin_that_dies_while_it_is_itself_a_caller_further_up(kern, wasm):
    """host -> a.ep_call -> b.on_msg_fwd -> a.on_msg_trap: a dies while its own frame is
    still below b's. b gets K_ETRAPPED and returns into dead a, which finishes without
    kernel service; the host gets PluginDead; b lives on."""
    a = kern.load(wasm("caps"), name="a")
    b = kern.load(wasm("caps"), name="b")
    assert b.call("keep_ep", a.endpoint("on_msg_trap")) > 0
    fwd = b.endpoint("on_msg_fwd")
    with pytest.raises(PluginDead):
        a.call("ep_call", fwd, 0, 0)
    assert a.dead and not b.dead
    assert a.trap is not None and a.trap.kind == TrapCode.UNREACHABLE
    assert b.call("on_msg_fwd", 0, 0, 0, 0, 0) == 100000 * EDEAD
    assert b.call("badge_read", b.call("make_handle", 6, 7), 7) == 6
    # and through a plain re-entry that does not trap, all is well
    c = kern.load(wasm("caps"), name="c")
    d = kern.load(wasm("caps"), name="d")
    assert d.call("keep_ep", c.endpoint("on_msg")) > 0
    m = kern.message(b"12345")
    assert c.call("ep_call", d.endpoint("on_msg_fwd"), m, 0) == 5
    assert c.call("ep_call", d.endpoint("on_msg_fwd"), 0, 8) == 4250
