"""The translator benchmark (benchmarks/kernel) as a smoke test: its plugins build, and
a very short measurement of every link mode, under both memory strategies, returns the
same checksum (the one the C computes). Nothing here judges speed."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from benchmarks.kernel.__main__ import report, verify
from benchmarks.kernel.build import BuildError, build
from benchmarks.kernel.session import MODES, OPS, STRATEGIES, expected_checksum, open_session


def _clang_targets_wasm() -> bool:
    clang = shutil.which("clang")
    if not clang or not shutil.which("wasm-ld"):
        return False
    proc = subprocess.run([clang, "--print-targets"], capture_output=True, text=True, check=False)
    return "wasm32" in proc.stdout


pytestmark = pytest.mark.skipif(not _clang_targets_wasm(), reason="needs clang with the wasm32 target and wasm-ld")


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("kbench")
    try:
        build(d)
    except BuildError as e:
        pytest.fail(str(e))
    return d


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_link_mode_computes_the_same_checksum(build_dir, strategy):
    s = open_session(strategy, build_dir)
    try:
        for op in OPS:
            sums = {}
            for mode in MODES:
                seconds, sums[mode] = s.time(mode, op, 200, loops=2)
                assert seconds > 0
            assert set(sums.values()) == {expected_checksum(op, 200)}, (op, sums)
        # the lent caps went back: nothing leaks per call
        assert all(c.live_caps == 0 for c in s.clients.values())
        assert s.server.live_caps == 1  # its own handle (make() keeps one)
    finally:
        s.close()


def test_verify_and_report(build_dir):
    sums = verify(build_dir, n=50)
    assert len(sums) == len(OPS) * len(STRATEGIES) * len(MODES)

    class Fake:  # the part of pyperf.Benchmark that report() reads
        def __init__(self, ns):
            self._v = [ns * 1e-9, ns * 1.1e-9]

        def median(self):
            return sum(self._v) / 2

        def get_values(self):
            return self._v

        def stdev(self):
            return abs(self._v[1] - self._v[0])

    ns = {"direct": 2.0, "generic": 30.0, "specialised": 12.0}
    results = {(op, st, m): Fake(ns[m]) for op in OPS for st in STRATEGIES for m in MODES}
    text = report(results)
    assert "specialised adds" in text and "(met)" in text and "NOT met" not in text
