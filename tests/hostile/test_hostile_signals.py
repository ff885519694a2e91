"""Crashes outside Wasm are never swallowed as traps, even while Wasm is running
(each case in its own process, with Python's faulthandler as the previous handler)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MODULE = """
(module
  (import "env" "host" (func $host))
  (memory (export "mem") 1)
  (func (export "oob") (result i32) i32.const 70000 i32.load)
  (func (export "callhost") call $host))
"""

PRELUDE = """
import ctypes, faulthandler, sys, threading
faulthandler.enable()
import runtime
from aot.model import FuncType
module = runtime.load(open(sys.argv[1], "rb").read(), cache_dir=sys.argv[2])
"""


def run(tmp_path, to_wasm, body: str) -> subprocess.CompletedProcess:
    wasm = tmp_path / "m.wasm"
    wasm.write_bytes(to_wasm(MODULE))
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = PRELUDE + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code, str(wasm), str(tmp_path / "cache")],
                          capture_output=True, text=True, timeout=300, env=env, cwd=REPO)


def test_segfault_in_a_host_function_reaches_faulthandler(tmp_path, to_wasm):
    out = run(tmp_path, to_wasm, """
        def host():
            ctypes.string_at(16)            # a real bug, in Python/ctypes code
        inst = module.instantiate({"env": {"host": runtime.Func(host, FuncType((), ()))}})
        try:
            inst.exports.oob()              # a guard trap first: the handler works
        except runtime.Trap as t:
            print("TRAP", t.kind.name, flush=True)
        inst.exports.callhost()
        print("NOT REACHED", flush=True)
    """)
    assert out.returncode == -signal.SIGSEGV, out.stderr
    assert "TRAP MEMORY_OUT_OF_BOUNDS" in out.stdout and "NOT REACHED" not in out.stdout
    assert "Fatal Python error: Segmentation fault" in out.stderr
    assert "in host" in out.stderr  # faulthandler's traceback names the host function


def test_host_function_touching_a_guard_region_is_not_a_trap(tmp_path, to_wasm):
    # Inside a Wasm call, at an address inside a guard reservation, but the pc is in
    # ctypes, not compiled code: must crash, not become an "out of bounds" trap.
    out = run(tmp_path, to_wasm, """
        from runtime._native_loader import ffi
        holder = {}
        def host():
            mem = holder["mem"]
            ctypes.memset(int(ffi.cast("uintptr_t", mem._ptr.base)) + mem.data_len + 8, 0, 1)
        inst = module.instantiate({"env": {"host": runtime.Func(host, FuncType((), ()))}})
        holder["mem"] = inst.exports.mem
        try:
            inst.exports.callhost()
        except runtime.Trap as t:
            print("SWALLOWED AS TRAP", t, flush=True)
    """)
    assert out.returncode == -signal.SIGSEGV, out.stdout + out.stderr
    assert "SWALLOWED" not in out.stdout
    assert "Fatal Python error: Segmentation fault" in out.stderr


def test_segfault_on_another_thread_while_wasm_runs(tmp_path, to_wasm):
    out = run(tmp_path, to_wasm, """
        import time
        started = threading.Event()
        def host():
            started.set()
            time.sleep(30)                  # this thread is now inside a Wasm call
        inst = module.instantiate({"env": {"host": runtime.Func(host, FuncType((), ()))}})
        threading.Thread(target=inst.exports.callhost, daemon=True).start()
        started.wait()
        ctypes.string_at(16)                # the main thread, not in Wasm, crashes
        print("NOT REACHED", flush=True)
    """)
    assert out.returncode == -signal.SIGSEGV, out.stderr
    assert "NOT REACHED" not in out.stdout
    assert "Fatal Python error: Segmentation fault" in out.stderr
