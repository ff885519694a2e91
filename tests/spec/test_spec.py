"""One test per (spec file, memory strategy), compared both ways with the known-failure list.

A test fails on a command that fails but is not listed, on a listed command that now
passes, and on a crash or timeout unless the file is listed as `file.wast:* crash`.
SIMD files are part of it; `--spec-no-simd` leaves them out.
"""
from __future__ import annotations

import pytest

from tests.spec import known_failures as kf
from tests.spec.wast import SuiteError, wasm_tools, wast_files
from tests.spec.worker import run_isolated

pytestmark = [pytest.mark.spec, pytest.mark.slow]

STRATEGIES = ("guard", "bounds")
REPORT_LINES = 40  # the rest is in `python -m tests.spec --files F --verbose`


def _params(simd: bool) -> list:
    try:
        files = wast_files(simd=simd)
    except SuiteError as e:
        # The suite is external data; without it there is nothing to run.
        return [pytest.param(None, None, id="suite-missing", marks=pytest.mark.skip(reason=str(e)))]
    return [pytest.param(f, s, id=f"{f.stem}-{s}") for f in files for s in STRATEGIES]


def pytest_generate_tests(metafunc):
    if "wast" in metafunc.fixturenames:
        metafunc.parametrize(("wast", "strategy"), _params(not metafunc.config.getoption("spec_no_simd", False)))


def test_spec_file(wast, strategy):
    try:
        wasm_tools()
        known = kf.load(strategy)
    except (SuiteError, ValueError) as e:
        pytest.fail(str(e), pytrace=False)
    run = run_isolated(wast, strategy)
    comparison = kf.compare(run.file, run.results, run.crash, known)
    if not comparison.ok:
        lines = comparison.report().splitlines()
        more = len(lines) - REPORT_LINES
        report = "\n".join(lines[:REPORT_LINES]) + (f"\n... and {more} more" if more > 0 else "")
        pytest.fail(
            f"{run.file} [{strategy}]: {run.passed} passed, {run.failed} failed, "
            f"{run.skipped} skipped; differs from known_failures/{strategy}.txt:\n{report}",
            pytrace=False,
        )
