"""Campaign loops: jobs out to the worker pool, tallies and findings back.

Both campaigns are reproducible from (seed, index): the same seed and count run the
same inputs. A finding is written to the findings directory as `<name>.wasm` plus
`<name>.json` (everything needed to replay it: args seed, configurations, what was
seen), and is listed in the summary.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from . import gen
from .diff import CONFIGS, config_name
from .pool import Pool

DEFAULT_FINDINGS = os.path.join(tempfile.gettempdir(), "aot-fuzz-findings")


@dataclass
class Summary:
    """What a campaign did and found."""

    kind: str
    seed: int
    inputs: int = 0
    seconds: float = 0.0
    counts: Counter = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)  # one line each, with its file

    @property
    def failed(self) -> bool:
        return bool(self.findings)

    def text(self) -> str:
        rate = self.inputs / self.seconds if self.seconds else 0.0
        lines = [f"{self.kind} campaign, seed {self.seed}: {self.inputs} inputs in "
                 f"{self.seconds:.1f} s ({rate:.1f}/s)"]
        lines += [f"  {k}: {v}" for k, v in sorted(self.counts.items())]
        lines.append(f"  findings: {len(self.findings)}")
        lines += [f"    {f}" for f in self.findings]
        return "\n".join(lines)


class Progress:
    """Prints a progress line at most every `every` seconds."""

    def __init__(self, summary: Summary, total: int, log, every: float = 10.0):
        self.summary, self.total, self.log, self.every = summary, total, log, every
        self.t0 = time.monotonic()
        self.last = self.t0

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        s = self.summary
        elapsed = now - self.t0
        interesting = ", ".join(f"{k} {v}" for k, v in sorted(s.counts.items())
                                if k not in ("modules", "calls", "traps", "inputs"))
        self.log(f"[{s.inputs}/{self.total}] {elapsed:.0f} s, {s.inputs / max(elapsed, 1e-9):.1f}/s, "
                 f"findings {len(s.findings)}" + (f"; {interesting}" if interesting else ""))


def print_flush(text: str) -> None:
    print(text, flush=True)  # campaigns run for hours with their output in a file


def save_finding(out_dir: str, name: str, wasm: bytes, info: dict) -> str:
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name + ".wasm")
    with open(path, "wb") as f:
        f.write(wasm)
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(info, f, indent=2)
    return path


# ---- differential ------------------------------------------------------------------

def args_seed_for(seed: int, index: int) -> int:
    return gen.job_rng(seed, index, "args").getrandbits(32)


def run_diff(*, seed: int, count: int, start: int = 0, configs=CONFIGS, jobs: int = 1,
             timeout: float = 120.0, out_dir: str = DEFAULT_FINDINGS, log=None,
             progress_every: float = 10.0, simd: bool = False, rotate_opt: bool = False) -> Summary:
    """Generate `count` modules from `seed` and check each (see diff.check_module).

    `rotate_opt`: module i runs only the configurations of the i-th optimisation level
    of `configs` (in turn), so every level is covered at a fraction of the cost."""
    log = log or print_flush
    summary = Summary("diff", seed)
    levels = sorted({opt for _, opt in configs})

    def configs_for(i: int) -> list[str]:
        if not rotate_opt:
            return [config_name(*c) for c in configs]
        level = levels[i % len(levels)]
        return [config_name(s, o) for s, o in configs if o == level]

    lock = threading.Lock()

    def make_jobs():
        for i in range(start, start + count):
            try:
                wasm, profile = gen.generate(seed, i, simd)
            except gen.GenerationError:
                with lock:
                    summary.counts["smith failed"] += 1
                continue
            yield {"id": i, "kind": "check", "wasm": wasm.hex(), "args_seed": args_seed_for(seed, i),
                   "configs": configs_for(i), "profile": profile.name}

    progress = Progress(summary, count, log, progress_every)
    t0 = time.monotonic()
    with Pool(jobs) as pool:
        for res in pool.run_all(make_jobs(), timeout):
            job = res.job
            wasm = bytes.fromhex(job["wasm"])
            cfg_names = job["configs"]
            name = f"s{seed}-i{job['id']}"
            info = {"seed": seed, "index": job["id"], "simd": simd, "args_seed": job["args_seed"],
                    "profile": job["profile"], "configs": cfg_names, "status": res.status}
            summary.inputs += 1
            summary.counts["modules"] += 1
            for cfg in cfg_names:
                summary.counts[f"modules ({cfg})"] += 1
            if res.status == "ok":
                r = res.result
                summary.counts["calls"] += r["calls"] * len(cfg_names)
                summary.counts["traps"] += r["traps"] * len(cfg_names)
                if r["reference"] != "ok":
                    summary.counts["wasmtime refused"] += 1
                    log(f"warning: {name}: {r['reference']}")
                for cfg in r["inconclusive"]:
                    summary.counts[f"inconclusive ({cfg})"] += 1
                if r["mismatches"]:
                    info["report"] = r
                    path = save_finding(out_dir, "mismatch-" + name, wasm, info)
                    first = next(iter(r["mismatches"].items()))
                    summary.findings.append(f"mismatch {path}: {first[0]}: {first[1][0][:200]}")
                    log(f"MISMATCH {name} ({job['profile']}): {first[0]}: {first[1][0][:300]}")
            else:
                info["detail"] = res.detail[-4000:]
                info["progress"] = res.progress
                path = save_finding(out_dir, f"{res.status}-{name}", wasm, info)
                where = res.progress[-1] if res.progress else "wasmtime"
                summary.findings.append(f"{res.status} {path}: during {where}: "
                                        f"{res.detail.strip().splitlines()[0] if res.detail.strip() else ''}")
                log(f"{res.status.upper()} {name} during {where}: {res.detail.strip()[-600:]}")
            progress.tick()
    summary.seconds = time.monotonic() - t0
    progress.tick(force=True)
    return summary
