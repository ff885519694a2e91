"""The canvas example end to end: C plugins built to Wasm here, a server owning canvases,
a client drawing through caps, with ordinary calls and with the message convention,
in both memory strategies and with both translators."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from kernel import Kernel

ROOT = Path(__file__).resolve().parents[2]

if shutil.which("clang") is None:
    pytest.skip("clang is needed to build the canvas plugins (apt-get install clang lld)",
                allow_module_level=True)


def _demo():
    spec = importlib.util.spec_from_file_location("canvas_demo", ROOT / "examples" / "canvas" / "canvas_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = _demo()


@pytest.fixture(scope="module")
def wasm(tmp_path_factory):
    return demo.build(tmp_path_factory.mktemp("canvas"))


@pytest.fixture(params=["guard", "bounds"])
def strategy(request):
    return request.param


@pytest.mark.parametrize("translator", ["specialised", "generic"])
@pytest.mark.parametrize("export", ["draw", "draw_msg"])
def test_client_draws_through_caps(wasm, strategy, translator, export):
    kernel = Kernel(strategy=strategy, memory_limit=512)
    server, client = demo.load(kernel, wasm, translator)
    assert demo.draw(kernel, client, export) == demo.expected_image()
    # Nothing stays behind: the client released every cap it made, the server holds
    # none of the client's (lent caps are taken back after each call).
    assert client.call("caps_held") == 0
    assert client.live_caps == 0
    assert server.live_caps == 0
    assert not server.dead and not client.dead


def test_drawing_twice_reuses_namespace_slots(wasm, strategy):
    kernel = Kernel(strategy=strategy, memory_limit=512)
    server, client = demo.load(kernel, wasm)
    demo.draw(kernel, client, "draw")
    demo.draw(kernel, client, "draw_msg")  # holds one cap more at once (the message)
    size = (client.namespace_size, server.namespace_size)
    assert max(size) <= 4
    for _ in range(5):
        demo.draw(kernel, client, "draw_msg")
        demo.draw(kernel, client, "draw")
    assert (client.namespace_size, server.namespace_size) == size


def test_a_freed_canvas_fails_cleanly(wasm, strategy):
    kernel = Kernel(strategy=strategy, memory_limit=512)
    _, client = demo.load(kernel, wasm)
    assert client.call("use_after_free") == -1  # K_EBADCAP from the server


def test_host_gets_a_canvas_cap_it_cannot_open(wasm, strategy):
    """A cap moved to the host names the server's canvas; the host can hand it to the
    client, but its number is the host's own, and badge works only in the server."""
    kernel = Kernel(strategy=strategy, memory_limit=512)
    server, client = demo.load(kernel, wasm)
    cap = server.call("canvas_new", 4, 4, cap_result=True)
    assert cap.kind == "handle"
    assert server.live_caps == 0  # moved out of the server's namespace
    buf = bytearray(4 * 4 * 4)
    grant = kernel.grant(buf, "rw")
    assert server.call("canvas_fill_rect", cap, 0, 0, 4, 4, 0x11223344) == 0
    assert server.call("canvas_export", cap, grant) == len(buf)
    assert bytes(buf) == bytes.fromhex("44332211") * 16


def test_a_read_only_grant_cannot_be_written(wasm, strategy):
    kernel = Kernel(strategy=strategy, memory_limit=512)
    server, _ = demo.load(kernel, wasm)
    cap = server.call("canvas_new", 2, 2, cap_result=True)
    buf = bytearray(16)
    grant = kernel.grant(buf, "r")
    assert server.call("canvas_export", cap, grant) == -5  # K_EPERM
    assert buf == bytearray(16)
