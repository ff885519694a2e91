"""Initial-memory images: a module whose data segments sit at constant offsets inside its
initial memory gets them mapped copy-on-write at instantiation instead of copied. The
result must be exactly what applying the segments in order gives, per instance."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import runtime
from runtime import Trap, TrapCode

WASM_TOOLS = shutil.which("wasm-tools") or os.path.join(os.path.dirname(sys.executable), "wasm-tools")
pytestmark = pytest.mark.skipif(not os.path.exists(WASM_TOOLS), reason="wasm-tools is needed to write test modules")

_ENV = {"env": {"at": runtime.Global(runtime.GlobalType(runtime.ValType.I32, False), 0)}}
CHUNK = 40_000  # two segments of this size exceed the 64 KiB threshold of the image path


def _bytes(seed: int, n: int) -> bytes:
    return bytes((i * 7 + seed) % 251 for i in range(n))


def _wat_data(b: bytes) -> str:
    return "".join(f"\\{x:02x}" for x in b)


def _module(offset_expr: str = "(i32.const 70000)", pages: int = 3) -> str:
    a, b, c = _bytes(1, CHUNK), _bytes(2, CHUNK), _bytes(3, 100)
    return f"""(module
      (import "env" "at" (global i32))
      (memory (export "memory") {pages})
      (data (i32.const 16) "{_wat_data(a)}")
      (data {offset_expr} "{_wat_data(b)}")
      (data (i32.const 30000) "{_wat_data(c)}")   ;; overlaps the first: applied after it
      (data $passive "passive")
      (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "init_passive") (memory.init $passive (i32.const 0) (i32.const 0) (i32.const 7)))
      (func (export "init_active") (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 1))))"""


def _expected(pages: int = 3, second_at: int = 70000) -> bytearray:
    mem = bytearray(pages * 65536)
    mem[16:16 + CHUNK] = _bytes(1, CHUNK)
    mem[second_at:second_at + CHUNK] = _bytes(2, CHUNK)
    mem[30000:30100] = _bytes(3, 100)
    return mem


@pytest.fixture(scope="module")
def wasm_of(tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("cache"))

    def load(text: str, strategy: str = "guard"):
        wasm = subprocess.run([WASM_TOOLS, "parse", "-"], input=text.encode(), capture_output=True,
                              check=True).stdout
        return runtime.load(wasm, memory=strategy, cache_dir=cache)
    return load


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_contents_are_the_segments_applied_in_order(wasm_of, strategy):
    m = wasm_of(_module(), strategy)
    assert (m.memory_image() is not None) == (strategy == "guard")
    for _ in range(2):
        inst = m.instantiate(_ENV)
        assert inst.exports.memory.read(0, 3 * 65536) == bytes(_expected())


def test_instances_do_not_share_writes(wasm_of):
    m = wasm_of(_module())
    a, b = m.instantiate(_ENV), m.instantiate(_ENV)
    a.exports.poke(20, 0xAB)
    a.exports.poke(100_000, 0xCD)
    assert a.exports.memory.read(20, 1) == b"\xab"
    assert b.exports.memory.read(20, 1) == _bytes(1, CHUNK)[4:5]
    assert b.exports.memory.read(100_000, 1) == bytes([_expected()[100_000]])
    c = m.instantiate(_ENV)  # later instances still start from the image
    assert c.exports.memory.read(0, 3 * 65536) == bytes(_expected())


def test_grow_and_segments_behave_as_after_copying(wasm_of):
    m = wasm_of(_module())
    inst = m.instantiate(_ENV)
    e = inst.exports
    assert e.grow(2) == 3
    assert e.memory.read(3 * 65536, 65536) == bytes(65536)
    e.poke(5 * 65536 - 1, 9)
    with pytest.raises(Trap) as t:
        e.init_active()  # an active segment is dropped after instantiation
    assert t.value.kind is TrapCode.MEMORY_OUT_OF_BOUNDS
    e.init_passive()
    assert e.memory.read(0, 7) == b"passive"


def test_modules_that_do_not_qualify_copy(wasm_of):
    # A segment past the initial memory: instantiation must trap after applying the
    # earlier ones, so no image.
    m = wasm_of(_module("(i32.const 190000)"))
    assert m.memory_image() is None
    with pytest.raises(Trap) as t:
        m.instantiate(_ENV)
    assert t.value.kind is TrapCode.MEMORY_OUT_OF_BOUNDS
    # A segment at an imported global's offset: no image, same contents.
    m = wasm_of(_module("(global.get 0)"))
    assert m.memory_image() is None
    at = runtime.Global(runtime.GlobalType(runtime.ValType.I32, False), 70000)
    inst = m.instantiate({"env": {"at": at}})
    assert inst.exports.memory.read(0, 3 * 65536) == bytes(_expected())
