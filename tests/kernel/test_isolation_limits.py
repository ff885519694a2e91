"""Isolation: limits. A plugin cannot grow past its memory limit; a module whose memory
starts above it is refused; cap churn keeps the namespace small; hoarding caps hits the
cap limit and hoarding messages the kernel-memory allowance, and the host is fine."""
from __future__ import annotations

import pytest

from kernel.kernel import CONSTANTS as K
from runtime import ResourceError
from tests.kernel.fixtures import *  # noqa: F401,F403 (fixtures)
from tests.kernel.fixtures import SVC_KIF

ENOMEM, EINVAL = K["K_ENOMEM"], K["K_EINVAL"]
CHURN = 1_000_000


def test_memory_grow_stops_at_the_limit(make_kernel, wasm):
    L = 9
    k = make_kernel(memory_limit=L)
    p = k.load(wasm("caps"), name="hostile")
    start = p.call("mem_pages")
    assert start < L - 2
    assert p.call("grow", L - start + 1) == -1  # one page too many: refused whole
    assert p.call("mem_pages") == start
    assert p.call("grow", 1) == start
    assert p.call("grow", L - start - 1) == start + 1  # exactly up to the limit
    assert p.call("mem_pages") == L
    for pages in (1, 2, 1 << 15, 0x7FFFFFFF, -1):
        assert p.call("grow", pages) == -1, pages
    assert p.call("grow", 0) == L
    assert p.memory.size == L
    top = L * 65536 - 4
    p.call("poke", top, 42)  # the memory it has is usable
    assert p.call("peek_mem", top) == 42
    from runtime import Trap
    with pytest.raises(Trap):
        p.call("peek_mem", L * 65536)
    # a plugin's own limit at load time
    q = k.load(wasm("caps"), name="small", memory_limit=start + 1)
    assert q.call("grow", 2) == -1 and q.call("grow", 1) == start
    # the syscalls see the grown memory, and no more
    g = k.load(wasm("caps"), name="grants")
    size = g.call("mem_pages") * 65536
    assert g.call("g_create", size, 4, 1) == 0 and g.call("err") == K["K_EFAULT"]
    g.call("grow", 1)
    assert g.call("g_create", size, 4, 1) != 0


def test_a_module_whose_memory_starts_above_the_limit_is_refused(make_kernel, wasm, strategy):
    import runtime
    pages = runtime.load(wasm("bigmem"), memory=strategy).manifest["memories"][0]["min"]
    assert pages > 64  # 4 MiB of data and a stack
    k = make_kernel(memory_limit=16)
    with pytest.raises(ResourceError, match=rf"starts at {pages} pages, above the limit of 16 pages"):
        k.load(wasm("bigmem"), name="big")
    with pytest.raises(ResourceError, match=f"limit of {pages - 1} pages"):
        k.load(wasm("bigmem"), name="big", memory_limit=pages - 1)
    assert len([p for p in k.plugins() if p.name == "big"]) == 0
    big = k.load(wasm("bigmem"), name="big", memory_limit=pages)
    assert big.call("touch", 5) == 0 and big.call("touch", 5) == 1
    # nor can a plugin get it loaded through a loader cap with a small limit
    p = k.load(wasm("caps"), name="loader-user")
    loader = k.loader({"x": wasm("bigmem")}, memory_limit=8)
    assert p.call("probe", loader, 12, 0) == EINVAL  # instance_create(loader, "x")
    assert not p.dead


def test_churn_handles_keeps_the_namespace_small(kern, wasm):
    p = kern.load(wasm("caps"), name="churner")
    keep = [p.call("make_handle", v, 7) for v in range(3)]
    live, size = p.live_caps, p.namespace_size
    assert p.call("churn_handles", CHURN) == 0
    assert p.live_caps == live
    assert p.namespace_size == size + 1 < 16
    assert [p.call("badge_read", c, 7) for c in keep] == [0, 1, 2]


def test_churn_calls_with_a_cap_keeps_both_namespaces_small(linked):
    k, client, server = linked
    live_c, live_s = client.live_caps, server.live_caps
    assert client.call("churn_calls", CHURN) == 0
    assert client.live_caps == live_c and server.live_caps == live_s
    assert client.namespace_size < 16 and server.namespace_size < 16
    # and with caps moved back and forth
    for i in range(1000):
        c = client.call("c_make", i)
        assert client.call("c_peek", c) == i
        assert client.call("release", c) == 0
    assert client.live_caps == live_c and server.live_caps == live_s
    assert client.namespace_size < 16 and server.namespace_size < 16


def test_hoarding_caps_hits_the_cap_limit(make_kernel, wasm, translator):
    k = make_kernel(cap_limit=100)
    k.interface(SVC_KIF)
    server = k.load(wasm("server"), name="server")
    p = k.load(wasm("client"), name="hoarder", links={"svc": server}, translator=translator)
    assert p.call("hoard", CHURN) == 100
    assert p.call("err") == ENOMEM
    assert p.live_caps == 100 and p.namespace_size <= 101
    # every way to get one more cap fails cleanly
    assert p.call("make_handle", 1, 7) == 0 and p.call("err") == ENOMEM
    assert p.call("dup", 1) == 0 and p.call("err") == ENOMEM
    assert p.call("c_make", 1) == 0 and p.call("err") == ENOMEM  # a cap result it cannot take
    g = k.grant(bytearray(4), "r")
    from kernel import CapError
    with pytest.raises(CapError, match="no room"):
        p.call("kind_of", g)  # the host cannot even lend it one
    m = k.message(b"", caps=[g])
    p.call("unhoard")  # (the message is made after: release some room first)
    assert p.call("hoard", 99) == 99
    assert p.call("kind_of", m) == K["K_KIND_MESSAGE"]  # the lend takes the last slot
    assert p.call("m_recv", m, 0, 0, p.call("capbuf_addr"), 1) == 0
    assert p.call("err") == ENOMEM  # the message's cap could not be delivered ...
    assert p.call("unhoard") == 0
    assert p.live_caps == 0 and not p.dead
    assert p.call("badge_read", p.call("make_handle", 8, 7), 7) == 8


def test_a_cap_result_the_caller_cannot_take_is_not_left_in_the_callee(make_kernel, wasm,
                                                                        translator):
    """A hoarding client must not make the server leak: each cap the server returns and
    the full client cannot take has to be released, or the client fills the server's
    namespace and the server can serve nobody else."""
    k = make_kernel(cap_limit=50)
    k.interface(SVC_KIF)
    server = k.load(wasm("server"), name="server")
    hoarder = k.load(wasm("client"), name="hoarder", links={"svc": server}, translator=translator)
    honest = k.load(wasm("client"), name="honest", links={"svc": server}, translator=translator)
    assert hoarder.call("hoard", CHURN) == 50
    for i in range(10):
        assert hoarder.call("c_make", i) == 0 and hoarder.call("err") == ENOMEM
    assert server.live_caps == 0  # (today: 10, one leaked per call)
    for i in range(60):
        assert hoarder.call("c_make", i) == 0
    c = honest.call("c_make", 5)
    assert c and honest.call("c_peek", c) == 5


def test_a_full_callee_namespace_fails_the_call_not_the_callee(make_kernel, wasm, translator):
    k = make_kernel(cap_limit=8)
    k.interface(SVC_KIF)
    server = k.load(wasm("server"), name="server")
    client = k.load(wasm("client"), name="client", links={"svc": server}, translator=translator)
    h = client.call("make_handle", 1, 7)
    for v in range(8):
        assert server.call("make", v) > 0
    assert server.call("make", 9) == 0
    assert client.call("c_pass", h, 5) == 0 and client.call("err") == ENOMEM  # no room to lend
    assert client.call("c_kind", 0) == 0 and client.call("err") == 0  # no cap: fine
    assert not server.dead and not client.dead
    server.call("release_lent", 1)  # the server's own cap: it may release it
    assert client.call("c_pass", h, 5) == 5


def test_hoarding_messages_hits_the_kernel_memory_allowance(make_kernel, wasm):
    k = make_kernel(kernel_memory=1 << 20)
    p = k.load(wasm("caps"), name="flooder")
    n = p.call("msg_flood", 65536, CHURN)
    assert 0 < n < 16 and p.call("err") == ENOMEM
    assert p.call("msg_flood", 65536, 1) == 0 and p.call("err") == ENOMEM
    assert p.call("msg_flood", 0, 1) in (0, 1)  # only a header's room may remain
    assert p.call("unhoard") == 0
    assert p.live_caps == 0
    assert p.call("msg_flood", 65536, CHURN) == n  # released messages gave their room back
    p.call("unhoard")
    # another plugin's allowance is its own
    q = k.load(wasm("caps"), name="other")
    assert q.call("msg_flood", 65536, CHURN) == n
    # messages of tiny size in a loop: bounded by the allowance too, never by the host
    assert 0 < p.call("msg_flood", 0, 60000) < 60000 and p.call("err") == ENOMEM
    assert p.call("unhoard") == 0


def test_huge_messages_in_a_loop(kern, wasm):
    """16 MiB messages (the largest allowed) against the default 64 MiB allowance."""
    p = kern.load(wasm("caps"), name="flooder")
    assert p.call("grow", 257) > 0
    assert p.call("msg_flood", 16 << 20, CHURN) == 3 and p.call("err") == ENOMEM
    assert p.call("msg_flood", (16 << 20) + 1, 1) == 0 and p.call("err") == EINVAL
    assert p.call("unhoard") == 0
    assert p.call("msg_flood", 16 << 20, CHURN) == 3
    assert p.call("unhoard") == 0 and p.live_caps == 0


START_WAT = """(module
  (import "kernel" "grant_create" (func $gc (param i32 i32 i32) (result i32)))
  (import "kernel" "k_error" (func $err (result i32)))
  (import "kernel" "instance_create" (func $ic (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (global $i (mut i32) (i32.const 0))
  (func $start
    (global.set $i (call $ic (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (global.set $g (call $gc (i32.const 0) (i32.const 4) (i32.const 1))))
  (start $start)
  (func (export "from_start") (result i32) (global.get $g))
  (func (export "ic_from_start") (result i32) (global.get $i))
  (func (export "grant") (result i32) (call $gc (i32.const 0) (i32.const 4) (i32.const 1))))"""


def test_syscalls_from_a_start_function_do_not_break_load(kern, tmp_path):
    """A start function runs before load() has registered the plugin: a syscall served
    in Python (instance_create) used to raise KeyError out of Kernel.load."""
    from tests.kernel.wat import wasm_file
    p = kern.load(wasm_file(tmp_path, "start", START_WAT), name="start")
    assert p.call("ic_from_start") == 0
    assert p.call("grant") > 0 and not p.dead


def test_a_start_function_can_use_its_own_memory_in_syscalls(kern, tmp_path):
    from tests.kernel.wat import wasm_file
    p = kern.load(wasm_file(tmp_path, "start", START_WAT), name="start")
    assert p.call("from_start") > 0


def test_a_link_error_leaves_the_kernel_usable(kern, wasm):
    """(The plugin's namespace made before the link failed is freed, not leaked.)"""
    kern.interface(SVC_KIF)
    for _ in range(100):
        with pytest.raises(Exception, match="nothing links it"):
            kern.load(wasm("client"), name="client", links={})
    server = kern.load(wasm("server"), name="server")
    client = kern.load(wasm("client"), name="client", links={"svc": server})
    assert client.call("c_peek", client.call("c_make", 2)) == 2
    assert [p.name for p in kern.plugins()] == ["server", "client"]
