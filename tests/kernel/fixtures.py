"""Fixtures for the kernel's isolation tests: hostile plugins written in C against
kernel/include/kernel.h, built with clang into a session directory (each once).

Test modules import them (`from tests.kernel.fixtures import *`) rather than from a
conftest.py: pytest resolves a conftest here as `kernel.conftest` first, which imports
the real `kernel` package (and so the runtime) before pytest enables faulthandler;
faulthandler would then replace the runtime's SIGSEGV handler and a guard-memory trap
would crash the process instead of trapping.

`wasm("caps")` builds tests/kernel/plugins/hostile_caps.c and returns the .wasm path;
plugins/svc.kif is the interface between hostile_client.c and hostile_server.c (its
header is generated into the build directory). `strategy` runs a test under both
memory strategies, `translator` under both translators of a link.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

__all__ = ["wasm", "strategy", "translator", "make_kernel", "kern", "linked", "SVC_KIF"]

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = Path(__file__).resolve().parent / "plugins"
KERNEL_INCLUDE = ROOT / "kernel" / "include"
SVC_KIF = PLUGINS / "svc.kif"

# As examples/quickstart/demo.py and benchmarks/toolchain.py: wasm32, no libc;
# -mbulk-memory turns the loops clang recognises into memory.fill/copy, not libc calls.
CLANG_FLAGS = ["--target=wasm32", "-O2", "-nostdlib", "-mbulk-memory", "-Wl,--no-entry",
               "-Wl,--export-dynamic"]


def _clang() -> str | None:
    return shutil.which(os.environ.get("CLANG", "clang"))


@pytest.fixture(scope="session")
def wasm(tmp_path_factory):
    """wasm(name) -> Path of tests/kernel/plugins/hostile_<name>.c built to .wasm."""
    clang = _clang()
    out = tmp_path_factory.mktemp("kernel-plugins")
    built: dict[str, Path] = {}
    lock = threading.Lock()
    from kernel import headergen, idl
    (out / "svc.h").write_text(headergen.interface_header(idl.load(SVC_KIF), SVC_KIF.name))

    def build(name: str) -> Path:
        if clang is None:
            pytest.skip("clang (with the wasm32 target and wasm-ld) is needed to build the "
                        "hostile C plugins: apt-get install clang lld")
        with lock:
            if name not in built:
                src = PLUGINS / f"hostile_{name}.c"
                dst = out / f"hostile_{name}.wasm"
                r = subprocess.run([clang, *CLANG_FLAGS, "-I", str(KERNEL_INCLUDE), "-I", str(out),
                                    "-I", str(PLUGINS), "-o", str(dst), str(src)],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise RuntimeError(f"clang failed on {src.name}:\n{r.stderr}")
                built[name] = dst
            return built[name]
    return build


@pytest.fixture(params=["guard", "bounds"])
def strategy(request) -> str:
    return request.param


@pytest.fixture(params=["specialised", "generic"])
def translator(request) -> str:
    return request.param


@pytest.fixture
def make_kernel(strategy):
    """make_kernel(**options) -> a Kernel with the test's memory strategy (closed after)."""
    from kernel import Kernel
    kernels = []

    def make(**options):
        k = Kernel(strategy=strategy, **options)
        kernels.append(k)
        return k
    yield make
    for k in kernels:
        k.close()


@pytest.fixture
def kern(make_kernel):
    """A Kernel with default limits, under the test's memory strategy."""
    return make_kernel()


@pytest.fixture
def linked(kern, wasm, translator):
    """(kernel, client, server): hostile_client linked to hostile_server through svc.kif."""
    kern.interface(SVC_KIF)
    server = kern.load(wasm("server"), name="server")
    client = kern.load(wasm("client"), name="client", links={"svc": server}, translator=translator)
    return kern, client, server
