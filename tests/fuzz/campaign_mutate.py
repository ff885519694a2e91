"""The malformed-input campaign: mutate valid modules, judge each with `malformed`.

Base modules come from smith with the whole 2.0 feature set (SIMD included: decoding
and validating it is implemented) and no need to terminate, since nothing runs; a
few `wasm-tools mutate` variants (valid, semantically different) join them, and some
bases use proposals past 2.0, which must be refused as the reference refuses them. Each
base yields `MUTANTS_PER_BASE` inputs through `mutators.mutate`. Reproducible from
(seed, index) like the differential campaign.

The parent process holds only a bounded amount whatever the count: bases of at most
`MAX_BASE_BYTES` (smith, unlimited past 2.0, sometimes writes a data section of
megabytes), mutants of at most `mutators.MAX_INPUT_BYTES`, a few jobs in flight, and at
most `MAX_FINDINGS_SAVED` findings (later ones are counted and logged).
"""
from __future__ import annotations

import subprocess
import time

from . import gen, mutators
from .campaign import DEFAULT_FINDINGS, Summary, print_flush, Progress, save_finding
from .diff import CONFIGS, config_name
from .pool import Pool

MUTANTS_PER_BASE = 25
WORKER_MEMORY_MB = 4096  # a decoder that believes a huge count must fail, not eat the machine
MAX_BASE_BYTES = 1 << 20  # a larger smith module is redrawn
MAX_FINDINGS_SAVED = 1000  # per campaign; the rest are counted ("findings not saved")

_BASE_OPTIONS = (
    "--max-imports", "6", "--max-funcs", "8", "--max-instructions", "60", "--max-types", "10",
    "--max-memories", "1", "--max-tables", "3", "--max-data-segments", "4",
    "--max-element-segments", "4", "--export-everything", "true",
    "--exceptions-enabled", "false", "--gc-enabled", "false", "--compact-imports-enabled", "false",
    "--custom-descriptors-enabled", "false", "--custom-page-sizes-enabled", "false",
    "--memory64-enabled", "false", "--tail-call-enabled", "false", "--threads-enabled", "false",
    "--shared-everything-threads-enabled", "false", "--wide-arithmetic-enabled", "false",
    "--extended-const-enabled", "false", "--relaxed-simd-enabled", "false",
)


def base_module(seed: int, base_index: int) -> bytes:
    """The `base_index`-th valid module of campaign `seed`."""
    rng = gen.job_rng(seed, base_index, "mutate-base")
    if rng.random() < 0.15:
        # Proposals past 2.0 (smith's defaults: GC, exceptions, tail calls, memory64,
        # threads...): to be refused cleanly, in agreement with the reference.
        opts = ["--max-funcs", "8", "--max-instructions", "60", "--max-types", "10",
                "--export-everything", "true"]
    else:
        opts = list(_BASE_OPTIONS)
    opts += ["--simd-enabled", rng.choice(("true", "false"))]
    opts += ["--generate-custom-sections", rng.choice(("true", "false"))]
    opts += ["--min-uleb-size", rng.choice(("1", "1", "2", "5"))]
    for _ in range(5):
        try:
            wasm = gen.smith(rng.randbytes(rng.randrange(100, 3000)), opts)
        except (gen.GenerationError, subprocess.TimeoutExpired):
            continue
        if len(wasm) > MAX_BASE_BYTES:
            continue
        if rng.random() < 0.2:  # a valid neighbour: same shape, other code
            try:
                proc = subprocess.run([gen.wasm_tools(), "mutate", "--seed", str(rng.getrandbits(32))],
                                      input=wasm, capture_output=True, timeout=60)
            except subprocess.TimeoutExpired:
                return wasm
            if proc.returncode == 0 and proc.stdout and len(proc.stdout) <= MAX_BASE_BYTES:
                wasm = proc.stdout
        return wasm
    return b"\0asm\x01\0\0\0"


def input_for(seed: int, index: int, base: bytes) -> tuple[bytes, list[str]]:
    """The `index`-th input of campaign `seed`: `base` mutated; and the mutators used."""
    rng = gen.job_rng(seed, index, "mutate")
    return mutators.mutate(rng, base)


def run_mutate(*, seed: int, count: int, start: int = 0, jobs: int = 1, timeout: float = 60.0,
               out_dir: str = DEFAULT_FINDINGS, cli_every: int = 100, compile_every: int = 1,
               log=None, progress_every: float = 10.0) -> Summary:
    """Mutate and judge `count` inputs from `seed` (see malformed.check_input)."""
    log = log or print_flush
    summary = Summary("mutate", seed)
    cfg_names = [config_name(*c) for c in CONFIGS]

    def make_jobs():
        # Runs in the pool's feeder thread: an exception here would end it and leave the
        # pool waiting for jobs forever, so a generation bug is reported as a finding.
        base, base_index = b"", -1
        for i in range(start, start + count):
            try:
                if i // MUTANTS_PER_BASE != base_index:
                    base_index = i // MUTANTS_PER_BASE
                    base = base_module(seed, base_index)
                wasm, ops = input_for(seed, i, base)
            except Exception as e:  # noqa: BLE001 - reported, and the campaign goes on
                problem = f"generating input {i}: {type(e).__name__}: {e}"
                summary.findings.append(f"s{seed}-i{i}: {problem[:300]}")
                log(f"PROBLEM s{seed}-i{i}: {problem[:500]}")
                continue
            compile_cfg = cfg_names[i % len(cfg_names)] if compile_every and i % compile_every == 0 else None
            yield {"id": i, "kind": "malformed", "wasm": wasm.hex(), "compile": compile_cfg,
                   "cli": bool(cli_every) and i % cli_every == 0, "ops": ops, "base": base_index}

    progress = Progress(summary, count, log, progress_every)
    t0 = time.monotonic()
    with Pool(jobs, max_memory_mb=WORKER_MEMORY_MB, recycle=2000) as pool:
        for res in pool.run_all(make_jobs(), timeout):
            job = res.job
            summary.inputs += 1
            name = f"s{seed}-i{job['id']}"
            info = {"seed": seed, "index": job["id"], "ops": job["ops"], "compile": job["compile"],
                    "cli": job["cli"], "status": res.status}
            if res.status == "ok":
                r = res.result
                summary.counts[r["verdict"]] += 1
                if job["cli"]:
                    summary.counts["cli runs"] += 1
                if r.get("note"):
                    summary.counts[f"note: {r['note'].split(':')[0]}"] += 1
                if r["problem"] is None:
                    progress.tick()
                    continue
                info["report"] = r
                problem = r["problem"]
            else:
                info["detail"] = res.detail[-4000:]
                info["progress"] = res.progress
                problem = f"{res.status}: {res.detail.strip()[:300]}"
            if len(summary.findings) < MAX_FINDINGS_SAVED:
                path = save_finding(out_dir, f"malformed-{name}", bytes.fromhex(job["wasm"]), info)
                summary.findings.append(f"{path}: {problem[:300]}")
            else:
                summary.counts["findings not saved"] += 1
            log(f"PROBLEM {name} ({'+'.join(job['ops'])}): {problem[:500]}")
            progress.tick()
    summary.seconds = time.monotonic() - t0
    progress.tick(force=True)
    return summary
