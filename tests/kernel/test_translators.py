"""The specialised translators against the generic one and against the rules: for many
signature shapes (caps among i32/i64/f32/f64, up to 12 params), the same calls through
both give the same results, scalars arrive bit for bit, caps arrive as live caps of the
callee's own namespace and go back to being the caller's."""
from __future__ import annotations

import random
import struct

import pytest

from kernel import Kernel
from kernel.translators import shape_name, translator_c

from tests.kernel.wat import wasm_file

WASM = {"c": "i32", "i": "i32", "I": "i64", "f": "f32", "F": "f64"}
KIF = {"c": "cap", "i": "i32", "I": "i64", "f": "f32", "F": "f64"}

SHAPES = [("", ""), ("c", "i"), ("i", "c"), ("cc", "c"), ("ciIfF", "i"), ("FfIic", "F"),
          ("iiiiiiiiiiic", "I"), ("cIcIcf", "f"), ("f", "f"), ("I", "I"), ("cccccc", "i")]


def _server(shapes) -> str:
    """Export k<n>: the i32 result is sum(i32 params) + 1000 * (live caps among params)
    + 7 * (each cap's number is not the caller's); i64 result: sum of i64 params; f32/f64
    result: the last param of that type (bit-exact); cap result: the first cap param
    (moved back), or a new handle if there is none; no result: nothing."""
    funcs = []
    for n, (params, result) in enumerate(shapes):
        ps = " ".join(WASM[c] for c in params)
        body = []
        if result == "i":
            body.append("(i32.const 0)")
            for i, c in enumerate(params):
                if c == "i":
                    body.append(f"(local.get {i}) i32.add")
                elif c == "c":
                    body.append(f"(i32.gt_s (call $kind (local.get {i})) (i32.const 0)) "
                                "(i32.const 1000) i32.mul i32.add")
        elif result == "I":
            body.append("(i64.const 0)")
            body += [f"(local.get {i}) i64.add" for i, c in enumerate(params) if c == "I"]
        elif result in ("f", "F"):
            last = max(i for i, c in enumerate(params) if c == result)
            body.append(f"(local.get {last})")
        elif result == "c":
            caps = [i for i, c in enumerate(params) if c == "c"]
            body.append(f"(local.get {caps[0]})" if caps else "(call $hc (i32.const 64) (i32.const 3))")
        res = f"(result {WASM[result]})" if result else ""
        funcs.append(f'(func (export "k{n}") (param {ps}) {res} {" ".join(body)})')
    return ("(module (import \"kernel\" \"cap_kind\" (func $kind (param i32) (result i32)))\n"
            "(import \"kernel\" \"handle_create\" (func $hc (param i32 i32) (result i32)))\n"
            "(memory 1)\n" + "\n".join(funcs) + ")")


def _client(shapes) -> str:
    """Export c<n> with the same signature, calling the import k<n> with its params."""
    imports, funcs = [], []
    for n, (params, result) in enumerate(shapes):
        ps = " ".join(WASM[c] for c in params)
        res = f"(result {WASM[result]})" if result else ""
        imports.append(f'(import "shapes" "k{n}" (func $k{n} (param {ps}) {res}))')
        args = " ".join(f"(local.get {i})" for i in range(len(params)))
        funcs.append(f'(func (export "c{n}") (param {ps}) {res} (call $k{n} {args}))')
    return "(module\n" + "\n".join(imports) + "\n(memory 1)\n" + "\n".join(funcs) + ")"


def _kif(shapes) -> str:
    lines = ["interface shapes"]
    for n, (params, result) in enumerate(shapes):
        ps = ", ".join(f"{KIF[c]} p{i}" for i, c in enumerate(params))
        lines.append(f"fn k{n}({ps})" + (f" -> {KIF[result]}" if result else ""))
    return "\n".join(lines) + "\n"


def _args(params: str, rng: random.Random, caps: list[int]) -> list:
    out = []
    for c in params:
        if c == "c":
            out.append(rng.choice(caps))
        elif c == "i":
            out.append(rng.randrange(-2**31, 2**31))
        elif c == "I":
            out.append(rng.randrange(-2**63, 2**63))
        elif c == "f":
            out.append(rng.choice([1.5, -0.0, float("inf"), 3.4e38, 1e-45]))
        else:
            out.append(rng.choice([2.5, -0.0, float("-inf"), 1e308, 5e-324]))
    return out


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    d = tmp_path_factory.mktemp("shapes")
    return wasm_file(d, "server", _server(SHAPES)), wasm_file(d, "client", _client(SHAPES))


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_specialised_and_generic_translators_agree(plugins, strategy):
    server_wasm, client_wasm = plugins
    outcomes = {}
    for translator in ("specialised", "generic"):
        k = Kernel(strategy=strategy, memory_limit=4)
        k.interface(_kif(SHAPES))
        server = k.load(server_wasm, name="server")
        client = k.load(client_wasm, name="client", links={"shapes": server}, translator=translator)
        grant = k.grant(bytearray(8))
        # Caps the client itself holds: lend the host grant, so the client sees numbers
        # of its own; forged numbers (0 = CAP_NULL, 9999) are mixed in.
        rng = random.Random(7)
        results = []
        for n, (params, result) in enumerate(SHAPES):
            for _ in range(5):
                args = _args(params, rng, [grant, 0, 9999])
                results.append(client.call(f"c{n}", *args))
        outcomes[translator] = results
        assert client.live_caps == 0 or any(r == "c" for _, r in SHAPES)
        assert server.live_caps == 0  # lent caps taken back; cap results moved out
        assert not server.dead and not client.dead
    assert outcomes["specialised"] == outcomes["generic"]


def test_scalars_pass_bit_for_bit_and_caps_are_translated(plugins):
    server_wasm, client_wasm = plugins
    k = Kernel(memory_limit=4)
    k.interface(_kif(SHAPES))
    server = k.load(server_wasm, name="server")
    client = k.load(client_wasm, name="client", links={"shapes": server})
    grant = k.grant(bytearray(8))
    n = SHAPES.index(("ciIfF", "i"))
    # one live cap (1000) + the i32 (5); the forged 9999 fails in the client: 0 + K_EBADCAP
    assert client.call(f"c{n}", grant, 5, 2**40, 1.5, 2.5) == 1005
    assert client.call(f"c{n}", 9999, 5, 2**40, 1.5, 2.5) == 0
    n = SHAPES.index(("FfIic", "F"))
    nan = struct.unpack("<d", struct.pack("<Q", 0x7FF4000000000001))[0]
    bits = client.export(f"c{n}").call_raw(struct.unpack("<Q", struct.pack("<d", nan))[0], 0, 0, 0, 0)
    assert bits == (0x7FF4000000000001,)  # a signalling NaN payload crosses unchanged
    n = SHAPES.index(("i", "c"))
    cap = client.call(f"c{n}", 1)  # the server's new handle, moved into the client
    assert cap > 0 and client.live_caps == 1 and server.live_caps == 0


def test_the_generated_c_covers_each_cap_with_an_undo_path():
    src = translator_c("ccc", "c")
    assert src.count("k_lend(callee") == 3
    assert src.count("k_unlend(callee, l0)") >= 3  # after the call, and undoing for l1, l2
    assert shape_name("", "") == "ktr_v_v"
    with pytest.raises(ValueError):
        translator_c("x", "")
