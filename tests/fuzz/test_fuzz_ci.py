"""The short, fixed-seed fuzzing pass for CI (the long campaigns: `python -m tests.fuzz`).

Runs 300 generated modules differentially against Wasmtime (both memory strategies,
-O0 and -O2), 4000 malformed inputs through decode, validate, compile and (for some)
`aot compile`, and a few extreme but valid shapes through the compiler, on two worker
processes: about 1 minute on a quiet 2-core machine, 2.5 at a load average of 6. Any
finding fails the test with the campaign summary, whose findings name the saved
reproducers. Skipped, saying why, without wasm-tools or the wasmtime package; Wasmtime
itself only ever runs in the worker processes (see README.md, "Where Wasmtime runs").
"""
from __future__ import annotations

import glob
import os
import sys
import tempfile

import pytest

from . import pathological
from .campaign import run_diff
from .campaign_mutate import run_mutate
from .gen import missing_tools
from .pool import Pool

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(missing_tools() is not None, reason=f"fuzzing: {missing_tools()}")]

DIFF_SEED, DIFF_COUNT = 8008, 300
MUTATE_SEED, MUTATE_COUNT = 8009, 4000


def test_pool_survives_crash_hang_and_errors(tmp_path, monkeypatch):
    jobs = [{"id": 1, "kind": "selftest", "action": "crash"},
            {"id": 2, "kind": "selftest", "action": "hang"},
            {"id": 3, "kind": "selftest", "action": "raise"},
            {"id": 4, "kind": "selftest", "action": "echo", "echo": 42}]
    # Workers' temporary directories in a directory of this test's own, so fuzzing run
    # by anything else on the machine at the same time cannot make it fail.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pattern = os.path.join(str(tmp_path), "aot-fuzz-worker-*")
    before = set(glob.glob(pattern))
    with Pool(1) as pool:
        got = {r.job["id"]: r for r in pool.run_all(iter(jobs), timeout=10)}
    assert set(glob.glob(pattern)) <= before  # killed workers leave no temporary files
    assert got[1].status == "crash" and "SIGABRT" in got[1].detail
    assert got[2].status == "timeout" and got[2].progress == ["selftest"]
    assert got[3].status == "error" and "RuntimeError: selftest" in got[3].detail
    assert got[4].status == "ok" and got[4].result == {"echo": 42}


def test_worker_keeps_the_runtime_signal_handler():
    """Wasmtime runs only in workers, where its handlers are installed before the
    runtime's: guard-memory faults still trap (in both engines), nothing warns."""
    # (module (memory 0 1) (func (export "f") (result i32) i32.const 8 i32.load))
    wasm = bytes.fromhex("0061736d010000000105016000017f03020100050401010001070501016600"
                         "000a0901070041082802000b")
    loaded_before = "wasmtime" in sys.modules  # other test directories may load it
    with Pool(1) as pool:
        [r] = pool.run_all(iter([{"id": 0, "kind": "selftest", "action": "handlers",
                                  "wasm": wasm.hex()}]), timeout=120)
    assert r.status == "ok", r.detail
    assert r.result["installed"] is True
    report = r.result["report"]
    assert report["reference"] == "ok" and report["traps"] == 3, report
    assert report["mismatches"] == {}, report
    assert loaded_before or "wasmtime" not in sys.modules  # the fuzzers never load it here


def test_pathological_shapes_compile():
    """Deep nesting, huge tables and bodies: compiled in a worker, within a time limit."""
    with Pool(2) as pool:
        jobs = [{"id": name, "kind": "malformed", "wasm": wasm.hex(), "compile": "guard-O0"}
                for name, wasm in pathological.shapes(10000).items()]
        results = list(pool.run_all(iter(jobs), timeout=120))
    assert len(results) == len(jobs)
    for r in results:
        assert r.status == "ok", f"{r.job['id']}: {r.status}: {r.detail[-1000:]}"
        assert r.result["verdict"] == "compiled" and r.result["problem"] is None, (r.job["id"], r.result)


def test_differential_short_pass(tmp_path):
    s = run_diff(seed=DIFF_SEED, count=DIFF_COUNT, jobs=2, out_dir=str(tmp_path),
                 log=lambda _: None)
    print(s.text())
    assert not s.findings, s.text()
    assert s.counts["modules"] >= DIFF_COUNT * 0.95, s.text()  # smith rarely gives up
    # The pass really ran code: calls were made, and most did not trap.
    assert s.counts["calls"] > 10 * DIFF_COUNT, s.text()
    assert s.counts["traps"] < 0.7 * s.counts["calls"], s.text()


def test_malformed_short_pass(tmp_path):
    s = run_mutate(seed=MUTATE_SEED, count=MUTATE_COUNT, jobs=2, out_dir=str(tmp_path),
                   cli_every=250, log=lambda _: None)
    print(s.text())
    assert not s.findings, s.text()
    assert s.inputs == MUTATE_COUNT
    # Every stage was reached: the pass is not just the decoder rejecting garbage.
    for verdict in ("decode-error", "validation-error", "compiled"):
        assert s.counts[verdict] > 0, s.text()
    assert s.counts["cli runs"] == MUTATE_COUNT // 250


def test_rotating_levels_cover_each_level_in_both_strategies(tmp_path):
    """`--rotate-opt`: module i runs at the i-th level only, in both strategies."""
    s = run_diff(seed=DIFF_SEED, count=4, jobs=1, out_dir=str(tmp_path), log=lambda _: None,
                 configs=(("guard", 0), ("bounds", 0), ("guard", 2), ("bounds", 2)), rotate_opt=True)
    assert not s.findings, s.text()
    ran = {k: v for k, v in s.counts.items() if k.startswith("modules (")}
    n = s.counts["modules"]
    assert sum(ran.values()) == 2 * n  # two configurations per module, not four
    assert ran["modules (guard-O0)"] == ran["modules (bounds-O0)"] >= 1
    assert ran["modules (guard-O2)"] == ran["modules (bounds-O2)"] >= 1


def _memory_fill_module(reserved: bytes) -> bytes:
    """(module (memory 1) (func i32.const 0 i32.const 0 i32.const 0 memory.fill RESERVED))"""
    body = b"\x00\x41\x00\x41\x00\x41\x00\xfc\x0b" + reserved + b"\x0b"
    code = bytes([1, len(body)]) + body
    return (b"\x00asm\x01\x00\x00\x00" + b"\x01\x04\x01\x60\x00\x00" + b"\x03\x02\x01\x00"
            + b"\x05\x03\x01\x00\x01" + b"\x0a" + bytes([len(code)]) + code)


def test_overlong_reserved_zero_is_a_note_not_a_finding():
    """Seed 20261127, input 376,890: we (and 2.0's binary.wast) say malformed, wasmparser
    says valid. Counted as a note; a real validity disagreement stays a problem."""
    jobs = [{"id": r.hex(), "kind": "malformed", "wasm": _memory_fill_module(r).hex(), "compile": None}
            for r in (b"\x80\x80\x80\x80\x00", b"\x00", b"\x01")]
    with Pool(1) as pool:
        got = {r.job["id"]: r for r in pool.run_all(iter(jobs), timeout=120)}
    overlong, plain, one = got["8080808000"].result, got["00"].result, got["01"].result
    assert overlong["verdict"] == "decode-error" and "zero byte expected" in overlong["message"]
    assert overlong["problem"] is None and overlong["note"] and overlong["reference_valid"] is True
    assert plain["verdict"] == "compiled" or plain["verdict"] == "valid"
    assert plain["problem"] is None and plain["note"] is None
    assert one["verdict"] == "decode-error" and one["problem"] is None and one["note"] is None
