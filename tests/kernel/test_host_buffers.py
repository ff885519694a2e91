"""Host buffers granted to plugins stay pinned exactly as long as needed, and never
crash the interpreter: a grant over a memoryview slice, a plugin that traps while
holding it, and the garbage collector clearing the whole cycle (kernel, plugin, trap,
grant) used to free the memoryview while cffi still held its buffer (a segfault)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.kernel.wat import wasm_file

ROOT = Path(__file__).resolve().parents[2]

TRAPPER = """(module
  (import "kernel" "grant_write" (func $gw (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (func (export "write_then_trap") (param $g i32) (param $h i32) (result i32)
    (drop (call $gw (local.get $h) (i32.const 0) (i32.const 0) (i32.const 8)))
    (i32.store (i32.const 0xFFFFFFF0) (i32.const 1))
    (i32.const 0)))"""


def test_a_trapping_plugin_holding_a_memoryview_grant_is_collected_cleanly(tmp_path):
    wasm = wasm_file(tmp_path, "trapper", TRAPPER)
    script = textwrap.dedent(f"""
        import gc, sys
        sys.path.insert(0, {str(ROOT)!r})
        from kernel import Kernel
        from runtime import Trap
        for strategy in ("guard", "bounds"):
            for _ in range(5):
                k = Kernel(strategy=strategy, memory_limit=4)
                p = k.load({str(wasm)!r})
                host = bytearray(400)
                g = k.grant(memoryview(host)[100:300], "w")
                try:
                    p.call("write_then_trap", g, g)
                except Trap:
                    pass
                assert p.dead
                g.release()
                k.close()
                del k, p, g
                gc.collect()
        print("survived")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "survived"
    assert "BufferError" not in done.stderr


def test_revoke_unpins_and_close_releases_every_buffer(tmp_path):
    from kernel import Kernel
    k = Kernel(memory_limit=4)
    part = memoryview(bytearray(64))[8:16]
    g = k.grant(part, "rw")
    assert k._pins
    g.revoke()
    assert not k._pins and not g.alive
    part.release()  # would raise BufferError if cffi still held an export of it
    whole = memoryview(bytearray(64))
    k.grant(whole, "r")
    k.close()
    assert not k._pins
    whole.release()
