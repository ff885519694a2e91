"""Every module in `regressions/` is run in both memory strategies (-O0 and -O2) and
compared with Wasmtime, exactly as the differential campaign does.

A module's `.json` sidecar gives its `args_seed`, optionally `configs` to run besides
the default ones (e.g. "guard-O3" for a bug only -O3 showed) and, for an unfixed bug,
what is expected besides full agreement, checked both ways (an expectation that no longer
holds fails too, so the sidecar is updated when the bug is fixed):
- `open`: {config: [categories]} — the bug it must still show; categories are those
  of outcome.compare ('result', 'trap', 'memory'...) or 'crash'/'timeout' when that
  configuration kills the worker.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from .diff import CONFIGS, config_name
from .gen import missing_tools
from .pool import Worker
from .shrink import check_job

pytestmark = pytest.mark.skipif(missing_tools() is not None, reason=f"fuzzing: {missing_tools()}")
REGRESSIONS = Path(__file__).parent / "regressions"
FILES = sorted(REGRESSIONS.glob("*.wasm"))


@pytest.fixture(scope="module")
def worker():
    # A worker process, as in campaigns: a crash fails one test instead of pytest, and
    # Wasmtime's signal handler is installed before the runtime's (see engine_wasmtime).
    w = Worker()
    yield w
    w.stop()


def test_corpus_is_not_empty():
    assert FILES, f"no regression modules in {REGRESSIONS}"


def run_configs(worker, wasm: bytes, args_seed: int, extra=()) -> tuple[dict, dict]:
    """(report, {config: "crash"/"timeout"}) for all CONFIGS and `extra` ones. A
    configuration that kills the worker is recorded and the others are run again
    without it."""
    remaining = [config_name(*c) for c in CONFIGS]
    remaining += [c for c in extra if c not in remaining]
    dead: dict[str, str] = {}
    while True:
        res = worker.run(check_job(wasm, args_seed, remaining), 300)
        if res.status in ("crash", "timeout") and res.progress:
            dead[res.progress[-1]] = res.status
            remaining.remove(res.progress[-1])
            if remaining:
                continue
            return {"reference": "ok", "mismatches": {}}, dead
        assert res.status == "ok", f"{res.status} during {res.progress[-1:]}: {res.detail}"
        return res.result, dead


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_regression(path: Path, worker):
    side_path = path.with_suffix(".json")
    side = json.loads(side_path.read_text()) if side_path.exists() else {}
    r, dead = run_configs(worker, path.read_bytes(), side.get("args_seed", 0), side.get("configs", ()))
    assert r["reference"] == "ok", r["reference"]

    got = {cfg: {m.split(":", 1)[0] for m in ms} for cfg, ms in r["mismatches"].items()}
    for cfg, how in dead.items():
        got.setdefault(cfg, set()).add(how)
    open_bugs = {cfg: set(cats) for cfg, cats in side.get("open", {}).items()}
    unexpected = {cfg: sorted(cats - open_bugs.get(cfg, set())) for cfg, cats in got.items()
                  if cats - open_bugs.get(cfg, set())}
    assert not unexpected, (f"differences from Wasmtime: {unexpected}\n"
                            f"{json.dumps(r['mismatches'], indent=1)}")
    fixed = {cfg: sorted(cats - got.get(cfg, set())) for cfg, cats in open_bugs.items()
             if cats - got.get(cfg, set())}
    assert not fixed, f"open bugs no longer show: {fixed}: fixed? then update {side_path.name}"


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
@pytest.mark.parametrize("opt", [0, 2])
def test_simd_demote_of_promote_quiets_signalling_nans(strategy, opt, tmp_path):
    """regressions/simd_demote_of_promote_O0_abort: it compiles at every level (it aborted
    LLVM at -O0), and the round trip quiets a signalling NaN, keeps its payload and
    zeroes the upper lanes, whatever arguments the differential check happened to use."""
    import runtime
    from aot.compiler import compile_wasm

    wasm = (REGRESSIONS / "simd_demote_of_promote_O0_abort.wasm").read_bytes()
    so = tmp_path / "m.so"
    so.write_bytes(compile_wasm(wasm, memory=strategy, opt_level=opt))
    f = runtime.load(str(so)).instantiate({}).exports.f
    lanes = (0x7FA00001, 0xFFA00002, 0x3F800000, 0x7F800001)  # sNaN, -sNaN, 1.0, sNaN
    got = f(sum(v << (32 * i) for i, v in enumerate(lanes)))
    assert got == 0x7FE00001 | (0xFFE00002 << 32), hex(got)
