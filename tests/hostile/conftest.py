"""Fixtures for the hostile-module tests: modules written in WAT, compiled through the
runtime's cache (one cache directory per test session)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

WASM_TOOLS = shutil.which("wasm-tools") or os.path.join(os.path.dirname(sys.executable), "wasm-tools")


def wat(text: str) -> bytes:
    """The binary of a module in the text format (via `wasm-tools parse`)."""
    if not os.path.exists(WASM_TOOLS):
        pytest.skip("wasm-tools is needed to write test modules")
    return subprocess.run([WASM_TOOLS, "parse", "-"], input=text.encode(), capture_output=True,
                          check=True).stdout


@pytest.fixture(scope="session")
def module_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("hostile-cache"))


@pytest.fixture
def instantiate(module_cache):
    """instantiate(wat_text, strategy="guard", imports=None) -> Instance"""
    import runtime

    def _instantiate(text: str, strategy: str = "guard", imports=None):
        return runtime.load(wat(text), memory=strategy, cache_dir=module_cache).instantiate(imports)
    return _instantiate


@pytest.fixture
def to_wasm():
    """The `wat` function, for tests that need module bytes rather than an instance."""
    return wat
