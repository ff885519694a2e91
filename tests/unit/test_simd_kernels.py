"""The SIMD benchmark kernels (benchmarks/simd) as an end-to-end test: C written with
wasm_simd128.h, compiled by clang to Wasm SIMD, then by us under both memory strategies,
must return the same checksums as the same C built natively and as scalar Wasm."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from benchmarks.simd.build import KERNELS, BuildError, build
from benchmarks.simd.runners import RUNNERS, open_session


def _clang_targets_wasm() -> bool:
    clang = shutil.which("clang")
    if not clang or not shutil.which("wasm-ld"):
        return False
    proc = subprocess.run([clang, "--print-targets"], capture_output=True, text=True, check=False)
    return "wasm32" in proc.stdout


pytestmark = pytest.mark.skipif(not _clang_targets_wasm(), reason="needs clang with the wasm32 target and wasm-ld")


@pytest.mark.parametrize("kernel", KERNELS, ids=[k.name for k in KERNELS])
def test_every_build_of_a_kernel_agrees(kernel, tmp_path):
    try:
        build(kernel, tmp_path)
    except BuildError as e:
        pytest.fail(str(e))
    checksums = {}
    for runner in RUNNERS:
        session = open_session(runner, kernel, tmp_path)
        session.setup(kernel.smoke_n)
        checksums[runner] = session.run()
        assert session.run() == checksums[runner], f"{runner}: run() is not repeatable"
    assert len(set(checksums.values())) == 1, checksums
