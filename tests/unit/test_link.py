"""aot/link.py: which linker links a module, and that its output loads."""
from __future__ import annotations

import shutil

import pytest

from aot import link
from aot.link import linker_command


def test_aot_linker_overrides(monkeypatch):
    monkeypatch.setenv("AOT_LINKER", "my-ld --flag")
    assert linker_command("x86_64-unknown-linux-gnu") == ["my-ld", "--flag"]


def test_host_prefers_gnu_ld_and_cross_prefers_lld(monkeypatch):
    """GNU ld first for the host (start-up dominates a one-object link: Debian's ld.lld
    loads the shared libLLVM first), ld.lld first for a foreign target."""
    monkeypatch.delenv("AOT_LINKER", raising=False)
    monkeypatch.setattr(link, "_host_arch", lambda: "x86_64")
    monkeypatch.setattr(link.shutil, "which", lambda name, **kw: f"/usr/bin/{name}")
    assert linker_command("x86_64-unknown-linux-gnu") == ["ld", "-shared"]
    assert linker_command("aarch64-unknown-linux-gnu") == ["ld.lld", "-shared"]
    # no GNU ld: ld.lld for the host too
    monkeypatch.setattr(link.shutil, "which", lambda name, **kw: None if name == "ld" else f"/usr/bin/{name}")
    assert linker_command("x86_64-unknown-linux-gnu") == ["ld.lld", "-shared"]


@pytest.mark.skipif(shutil.which("ld") is None or shutil.which("ld.lld") is None,
                    reason="needs both GNU ld and ld.lld")
def test_both_linkers_make_a_module_that_runs(monkeypatch, tmp_path):
    import runtime
    from aot.compiler import compile_wasm
    from tests.unit.translate_harness import wat_to_wasm

    wasm = wat_to_wasm('(module (func (export "add") (param i32 i32) (result i32) '
                       '(i32.add (local.get 0) (local.get 1))))')
    for ld in ("ld -shared", "ld.lld -shared"):
        monkeypatch.setenv("AOT_LINKER", ld)
        so = compile_wasm(wasm)
        assert runtime.load(so, cache_dir=str(tmp_path)).instantiate().exports.add(2, 40) == 42
