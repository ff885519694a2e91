"""Instance and loader caps: a plugin holding a loader cap instantiates a module, binds
its imports to endpoint caps it holds, and calls it through an endpoint; and the host's
own messages and endpoints (the message convention from Python)."""
from __future__ import annotations

import pytest

from kernel import CapError, Kernel, PluginDead
from kernel._native import lib
from kernel.kernel import CONSTANTS

from tests.kernel.wat import wasm_file

SVC = """(module
  (memory (export "memory") 1)
  (func (export "svc") (param i32 i32 i32 i32 i32) (result i32)
    (i32.mul (local.get 1) (i32.const 10)))
  (func (export "crash") (param i32 i32 i32 i32 i32) (result i32) unreachable))"""

CHILD = """(module
  (import "deps" "svc" (func $svc (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "work") (param i32 i32 i32 i32 i32) (result i32)
    (i32.add (call $svc (i32.const 0) (i32.add (local.get 1) (i32.const 1))
                        (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 1)))
  (func (export "bad") (param i32) (result i32) (local.get 0)))"""

PARENT = """(module
  (import "kernel" "instance_create" (func $create (param i32 i32 i32 i32 i32) (result i32)))
  (import "kernel" "instance_export" (func $export (param i32 i32 i32) (result i32)))
  (import "kernel" "endpoint_call" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "kernel" "k_error" (func $err (result i32)))
  (import "kernel" "cap_kind" (func $kind (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "child")
  (data (i32.const 32) "work")
  (data (i32.const 48) "nope")
  (data (i32.const 64) "bad")
  ;; spawn(loader, ep) -> the child's answer to work(7), or an error
  (func (export "spawn") (param $loader i32) (param $ep i32) (result i32) (local $inst i32) (local $w i32)
    (i32.store (i32.const 0) (local.get $ep))
    (local.set $inst (call $create (local.get $loader) (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 1)))
    (if (i32.eqz (local.get $inst)) (then (return (call $err))))
    (if (i32.ne (call $kind (local.get $inst)) (i32.const 5)) (then (return (i32.const -100))))
    (local.set $w (call $export (local.get $inst) (i32.const 32) (i32.const 4)))
    (if (i32.eqz (local.get $w)) (then (return (call $err))))
    (call $call (local.get $w) (i32.const 0) (i32.const 7) (i32.const 0) (i32.const 0) (i32.const 0)))
  ;; try(loader, ep, name_ptr, name_len) -> k_error() after instance_create
  (func (export "try_create") (param i32 i32 i32 i32) (result i32)
    (i32.store (i32.const 0) (local.get 1))
    (drop (call $create (local.get 0) (local.get 2) (local.get 3) (i32.const 0) (i32.const 1)))
    (call $err))
  ;; export_error(loader, ep, name_ptr, name_len): k_error() after instance_export
  (func (export "export_error") (param i32 i32 i32 i32) (result i32) (local $inst i32)
    (i32.store (i32.const 0) (local.get 1))
    (local.set $inst (call $create (local.get 0) (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 1)))
    (drop (call $export (local.get $inst) (local.get 2) (local.get 3)))
    (call $err))
  (func (export "call_ep") (param i32) (result i32)
    (drop (call $call (local.get 0) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
    (call $err)))"""

MSG_SERVER = """(module
  (import "kernel" "msg_recv" (func $recv (param i32 i32 i32 i32 i32) (result i32)))
  (import "kernel" "msg_reply" (func $reply (param i32 i32 i32 i32 i32) (result i32)))
  (import "kernel" "cap_dup" (func $dup (param i32) (result i32)))
  (memory (export "memory") 1)
  ;; echo: reply with the message's bytes reversed... kept simple: upper-case ASCII,
  ;; plus a dup of the first cap it was sent
  (func (export "echo") (param $m i32) (param i32 i32 i32 i32) (result i32) (local $n i32) (local $i i32) (local $c i32)
    (local.set $n (call $recv (local.get $m) (i32.const 100) (i32.const 200) (i32.const 0) (i32.const 1)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (local.get $n))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $c (i32.load8_u (i32.add (i32.const 100) (local.get $i))))
      (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
        (then (i32.store8 (i32.add (i32.const 100) (local.get $i)) (i32.sub (local.get $c) (i32.const 32)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $reply (local.get $m) (i32.const 100) (local.get $n) (i32.const 0) (i32.const 1))))"""


@pytest.fixture(params=["guard", "bounds"])
def kernel(request):
    return Kernel(strategy=request.param, memory_limit=64)


def test_a_plugin_with_a_loader_cap_instantiates_and_calls_a_child(kernel, tmp_path):
    svc = kernel.load(wasm_file(tmp_path, "svc", SVC), name="svc")
    parent = kernel.load(wasm_file(tmp_path, "parent", PARENT), name="parent")
    loader = kernel.loader({"child": wasm_file(tmp_path, "child", CHILD)}, memory_limit=4)
    ep = svc.endpoint("svc")
    assert parent.call("spawn", loader, ep) == (7 + 1) * 10 + 1
    children = [p for p in kernel.plugins() if p.name == "parent/child"]
    assert len(children) == 1 and not children[0].dead
    assert children[0].memory.size == 1


def test_loader_refusals_are_errors_not_crashes(kernel, tmp_path):
    svc = kernel.load(wasm_file(tmp_path, "svc", SVC), name="svc")
    parent = kernel.load(wasm_file(tmp_path, "parent", PARENT), name="parent")
    loader = kernel.loader({"child": wasm_file(tmp_path, "child", CHILD)})
    ep = svc.endpoint("svc")
    einval, ebadcap, ekind, efault = (CONSTANTS[k] for k in ("K_EINVAL", "K_EBADCAP", "K_EKIND", "K_EFAULT"))
    assert parent.call("try_create", loader, ep, 48, 4) == einval  # no module "nope"
    assert parent.call("try_create", 77, ep, 16, 5) == ebadcap  # forged loader
    assert parent.call("try_create", ep, ep, 16, 5) == ekind  # an endpoint is not a loader
    assert parent.call("try_create", loader, loader, 16, 5) == ekind  # a loader is not an endpoint
    assert parent.call("try_create", loader, ep, 65530, 100) == efault  # name outside memory
    assert parent.call("export_error", loader, ep, 48, 4) == einval  # no export "nope"
    assert parent.call("export_error", loader, ep, 64, 3) == ekind  # not the message convention


def test_a_loader_allows_a_bounded_number_of_instances(kernel, tmp_path):
    svc = kernel.load(wasm_file(tmp_path, "svc", SVC), name="svc")
    parent = kernel.load(wasm_file(tmp_path, "parent", PARENT), name="parent")
    loader = kernel.loader({"child": wasm_file(tmp_path, "child", CHILD)}, max_instances=3)
    ep = svc.endpoint("svc")
    assert [parent.call("spawn", loader, ep) for _ in range(3)] == [81, 81, 81]
    assert parent.call("try_create", loader, ep, 16, 5) == CONSTANTS["K_ENOMEM"]


def test_an_endpoint_into_a_dead_plugin_fails_cleanly(kernel, tmp_path):
    svc = kernel.load(wasm_file(tmp_path, "svc", SVC), name="svc")
    parent = kernel.load(wasm_file(tmp_path, "parent", PARENT), name="parent")
    crash = svc.endpoint("crash")
    fine = svc.endpoint("svc")
    assert parent.call("call_ep", crash) == CONSTANTS["K_ETRAPPED"]
    assert svc.dead and svc.trap is not None and svc.trap.message == "unreachable"
    assert parent.call("call_ep", fine) == CONSTANTS["K_EDEAD"]
    assert not parent.dead
    assert not fine.alive  # revoked with its owner
    with pytest.raises(PluginDead):
        svc.call("svc", 0, 1, 0, 0, 0)


def test_host_messages_carry_data_and_caps_and_get_replies(kernel, tmp_path):
    server = kernel.load(wasm_file(tmp_path, "msg", MSG_SERVER), name="msg")
    grant = kernel.grant(bytearray(8), "r")
    msg = kernel.message(b"hello, kernel", [grant], reply_size=64, reply_caps=1)
    assert msg.reply() is None
    assert server.call("echo", msg, 0, 0, 0, 0) == 0
    data, caps = msg.reply()
    assert data == b"HELLO, KERNEL"
    assert len(caps) == 1 and caps[0].kind == "grant"
    assert server.live_caps == 1  # msg_recv gave it its own cap to the grant, kept
    assert server.call("echo", msg, 0, 0, 0, 0) == CONSTANTS["K_EAGAIN"]  # one reply only


def test_host_caps_are_checked(kernel, tmp_path):
    server = kernel.load(wasm_file(tmp_path, "msg", MSG_SERVER), name="msg")
    cap = kernel.grant(bytearray(4))
    cap.release()
    with pytest.raises(CapError):
        server.call("echo", cap, 0, 0, 0, 0)
    other = Kernel()
    with pytest.raises(CapError):
        server.call("echo", other.grant(bytearray(4)), 0, 0, 0, 0)


def test_c_constants_match_the_interface_file():
    """kcore.h defines every K_* constant of kernel.kif with the same value."""
    for name, value in CONSTANTS.items():
        assert getattr(lib, name) == value, name
