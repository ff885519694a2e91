"""Smoke test of the benchmark suite (benchmarks/): one program built three ways (native
C, Wasm through our compiler, Wasm through wasm2c; plus Wasmtime when installed) must give
the same checksum from every runner, and that checksum must be the true SHA-256.

No timing here: speed is measured by `python -m benchmarks run`, never in unit tests.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

from benchmarks import build, runners, specs, verify
from benchmarks.catalog import BY_NAME


def _has_wasm32_clang() -> bool:
    clang = shutil.which("clang")
    if not clang:
        return False
    proc = subprocess.run([clang, "--target=wasm32", "-print-target-triple"], capture_output=True)
    return proc.returncode == 0 and shutil.which("wasm-ld") is not None


pytestmark = pytest.mark.skipif(not _has_wasm32_clang(), reason="clang with the wasm32 target and wasm-ld needed")

MASK64 = (1 << 64) - 1


def _splitmix_bytes(seed: int, n: int) -> bytes:
    """The bytes bench.h's rng_next() makes (top byte of each output), in Python."""
    s, out = seed, bytearray(n)
    for i in range(n):
        s = (s + 0x9E3779B97F4A7C15) & MASK64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        out[i] = (z ^ (z >> 31)) >> 56
    return bytes(out)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    layout = build.Layout(tmp_path_factory.mktemp("bench-build"))
    wanted = {r for r in runners.RUNNER_NAMES if runners.unavailable(r) is None}
    result = build.build(layout, [BY_NAME["sha256"]], wanted, embed=False, log=lambda _msg: None)
    return layout, [r for r in runners.RUNNER_NAMES if r in wanted and r not in result.skipped]


def test_all_runners_agree_with_native_and_hashlib(built):
    layout, available = built
    assert {"native", "aot-guard", "aot-bounds"} <= set(available)
    n = BY_NAME["sha256"].smoke_n
    got = verify.checksums(layout, "sha256", available, n)
    truth = int.from_bytes(hashlib.sha256(_splitmix_bytes(13, n)).digest()[:8], "big")
    assert got == {r: truth for r in available}


def test_run_is_repeatable_after_one_setup(built):
    # The harness times several run() calls per setup(): each must give the same answer.
    layout, _ = built
    session = runners.open_session("aot-bounds", layout, "sha256")
    session.setup(1000)
    assert session.run() == session.run()


def test_every_benchmark_name_is_unique_and_filterable():
    names = [s.name for s in specs.all_specs()]
    assert len(names) == len(set(names))
    only = specs.select(specs.all_specs(), ["program/fib/"], skipped={})
    assert {s.runner for s in only} == set(runners.RUNNER_NAMES) and {s.item for s in only} == {"fib"}
    assert not any(s.runner == "wasmtime" for s in specs.select(specs.all_specs(), None, {"wasmtime": "x"}))
