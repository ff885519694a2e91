"""The SIGSEGV/SIGBUS handler: only Wasm guard faults become traps; everything else is
chained to the handler installed before the runtime (each case in its own process)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PREVIOUS_HANDLER_C = r"""
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void with_info(int sig, siginfo_t *info, void *ctx) {
    (void)info; (void)ctx;
    const char *m = sig == SIGBUS ? "PREVIOUS SIGINFO HANDLER: SIGBUS\n" : "PREVIOUS SIGINFO HANDLER: SIGSEGV\n";
    write(1, m, strlen(m));
    _exit(42);
}

static void plain(int sig) {
    (void)sig;
    const char m[] = "PREVIOUS PLAIN HANDLER\n";
    write(1, m, sizeof m - 1);
    _exit(43);
}

int install(int use_plain) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (use_plain) {
        sa.sa_handler = plain;
    } else {
        sa.sa_sigaction = with_info;
        sa.sa_flags = SA_SIGINFO;
    }
    return sigaction(SIGSEGV, &sa, 0) | sigaction(SIGBUS, &sa, 0);
}
"""


@pytest.fixture(scope="module")
def handler_lib(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    d = tmp_path_factory.mktemp("prevhandler")
    src = d / "prev.c"
    src.write_text(PREVIOUS_HANDLER_C)
    out = d / "libprev.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(out), str(src)], check=True)
    return str(out)


def run(code: str, *extra_args, timeout=120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("PYTHONFAULTHANDLER", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *extra_args],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)


def test_fault_outside_any_reservation_reaches_previous_siginfo_handler(handler_lib):
    out = run("""
        import ctypes, sys
        ctypes.CDLL(sys.argv[1]).install(0)
        import runtime                      # installs its handler on top, chaining
        runtime.Memory(1)                   # a guard reservation exists
        ctypes.string_at(16)                # fault far from it
        print("NOT REACHED")
    """, handler_lib)
    assert out.returncode == 42, out.stderr
    assert "PREVIOUS SIGINFO HANDLER: SIGSEGV" in out.stdout


def test_fault_reaches_previous_plain_handler(handler_lib):
    out = run("""
        import ctypes, sys
        ctypes.CDLL(sys.argv[1]).install(1)
        import runtime
        ctypes.string_at(16)
    """, handler_lib)
    assert out.returncode == 43, out.stderr
    assert "PREVIOUS PLAIN HANDLER" in out.stdout


def test_fault_in_guard_region_from_non_wasm_code_is_not_a_trap(handler_lib):
    # The address is inside a registered reservation, but the pc is in ctypes/libc,
    # not in compiled code: a real bug, so it goes to the previous handler.
    out = run("""
        import ctypes, sys
        ctypes.CDLL(sys.argv[1]).install(0)
        import runtime
        from runtime._native_loader import ffi
        m = runtime.Memory(1)
        past_end = int(ffi.cast("uintptr_t", m._ptr.base)) + m.data_len + 100
        ctypes.memset(past_end, 0, 1)
        print("NOT REACHED")
    """, handler_lib)
    assert out.returncode == 42, out.stderr
    assert "NOT REACHED" not in out.stdout


def test_sigbus_is_chained_too(handler_lib):
    out = run("""
        import ctypes, mmap, os, sys, tempfile
        ctypes.CDLL(sys.argv[1]).install(0)
        import runtime
        fd, path = tempfile.mkstemp()
        os.write(fd, b"x" * 4096)
        mm = mmap.mmap(fd, 4096)
        os.ftruncate(fd, 0)                # the page now lies past end of file
        os.unlink(path)
        ctypes.string_at(ctypes.addressof(ctypes.c_char.from_buffer(mm)), 1)
    """, handler_lib)
    assert out.returncode == 42, out.stderr
    assert "SIGBUS" in out.stdout


def test_default_action_when_no_previous_handler():
    out = run("""
        import ctypes
        import runtime
        ctypes.string_at(16)
    """)
    assert out.returncode == -signal.SIGSEGV


def test_sent_sigsegv_still_kills():
    # kill() is not a fault: returning from the handler would not repeat it.
    out = run("""
        import os, signal
        import runtime
        os.kill(os.getpid(), signal.SIGSEGV)
        import time; time.sleep(5)
        print("NOT REACHED")
    """)
    assert out.returncode == -signal.SIGSEGV
    assert "NOT REACHED" not in out.stdout


def test_faulthandler_enabled_before_import_keeps_working():
    out = run("""
        import ctypes, faulthandler
        faulthandler.enable()
        import runtime
        ctypes.string_at(16)
    """)
    assert out.returncode == -signal.SIGSEGV
    assert "Fatal Python error: Segmentation fault" in out.stderr
    assert "line 5" in out.stderr  # the Python traceback of the faulting line


def test_handler_stays_installed():
    out = run("""
        import runtime
        from runtime._native_loader import lib
        print(lib.aot_signal_handler_installed())
    """)
    assert out.stdout.strip() == "1", out.stderr


def test_loading_warns_when_the_handler_was_replaced(tmp_path):
    wasm = tmp_path / "empty.wasm"
    wasm.write_bytes(b"\0asm\x01\0\0\0")
    out = run("""
        import faulthandler, sys, warnings
        import runtime
        faulthandler.enable()               # replaces the runtime's handler
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            runtime.load(sys.argv[1], cache_dir=sys.argv[2])
        print([str(w.message)[:40] for w in seen])
    """, str(wasm), str(tmp_path / "cache"))
    assert out.returncode == 0, out.stderr
    assert "another SIGSEGV/SIGBUS handler" in out.stdout
