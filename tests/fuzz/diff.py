"""Differential check of one module: Wasmtime's outcome against ours, per configuration.

`check_module` is what a worker runs for each generated module, what the shrink
predicate runs on each candidate, and what the regression tests run: the same code
decides "mismatch" everywhere. Import `engine_wasmtime` and call
`init_before_runtime()` before anything imports `runtime` (see there why).
"""
from __future__ import annotations

import atexit
import gc
import os
import shutil
import tempfile
from dataclasses import dataclass, field

CONFIGS = tuple((s, o) for s in ("guard", "bounds") for o in (0, 2))
"""(memory strategy, opt level) pairs a module is run in, by default."""

CALLS_PER_EXPORT = 3


def config_name(strategy: str, opt_level: int) -> str:
    """('guard', 2) → 'guard-O2'."""
    return f"{strategy}-O{opt_level}"


def parse_config(text: str) -> tuple[str, int]:
    """'guard-O2' → ('guard', 2)."""
    strategy, _, opt = text.partition("-O")
    if strategy not in ("guard", "bounds") or opt not in ("0", "1", "2", "3"):
        raise ValueError(f"bad configuration {text!r}: use e.g. guard-O2 or bounds-O0")
    return strategy, int(opt)


@dataclass
class ModuleReport:
    """What checking one module found."""

    reference: str = "ok"  # "ok", or why Wasmtime could not run it (then nothing is compared)
    calls: int = 0  # calls made per configuration (by the reference)
    traps: int = 0  # of which trapped
    mismatches: dict[str, list[str]] = field(default_factory=dict)  # config → differences
    inconclusive: dict[str, str] = field(default_factory=dict)  # config → why not compared

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.reference == "ok"

    def to_json(self) -> dict:
        return {"reference": self.reference, "calls": self.calls, "traps": self.traps,
                "mismatches": self.mismatches, "inconclusive": self.inconclusive}

    def kinds(self) -> set[str]:
        """'<config>:<category>' for every mismatch (what a shrink must preserve)."""
        return {f"{cfg}:{m.split(':', 1)[0]}" for cfg, ms in self.mismatches.items() for m in ms}


class _Cache:
    """A private compile cache directory, emptied after each module (dlopen'ed files
    can be unlinked), so a long campaign does not fill the disk."""

    def __init__(self) -> None:
        self.path = tempfile.mkdtemp(prefix="aot-fuzz-cache-")
        atexit.register(shutil.rmtree, self.path, True)

    def clear(self) -> None:
        shutil.rmtree(os.path.join(self.path, "modules"), ignore_errors=True)


_cache: _Cache | None = None


def _run_volatile(wasm: bytes, config: tuple[str, int], order, args_seed: int,
                  calls_per_export: int):
    """Our outcome for a build whose memory accesses are all volatile (see `strict`)."""
    from . import engine_aot
    from .strict import volatile_memory_accesses

    path = os.path.join(_cache.path, "volatile")  # the cache key does not know the patch
    try:
        with volatile_memory_accesses():
            module = engine_aot.load(wasm, config[0], config[1], path)
        return engine_aot.run(module, order, args_seed, calls_per_export)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _worth_volatile(config: str, clean_configs: set[str]) -> bool:
    """A guard configuration's mismatch is worth the volatile re-run when bounds at the
    same level agreed: then the difference is likely in how guard accesses fault."""
    strategy, _, opt = config.partition("-O")
    return strategy == "guard" and f"bounds-O{opt}" in clean_configs


def check_module(wasm: bytes, args_seed: int, configs=CONFIGS, *,
                 calls_per_export: int = CALLS_PER_EXPORT, exact_nan: bool = True,
                 progress=None) -> ModuleReport:
    """Run `wasm` in Wasmtime and in each configuration of ours; report differences.

    `progress(config)` is called before each configuration, so a caller watching a
    worker knows which one crashed it.
    """
    global _cache
    import wasmtime

    from . import engine_aot, engine_wasmtime
    from .outcome import compare

    if _cache is None:
        _cache = _Cache()
    report = ModuleReport()
    try:
        ref = engine_wasmtime.run(wasm, args_seed, calls_per_export)
    except (wasmtime.WasmtimeError, ValueError) as e:
        report.reference = f"wasmtime cannot run it: {str(e).splitlines()[0]}"
        return report
    report.calls = len(ref.calls)
    report.traps = sum(c.trap is not None for c in ref.calls)
    order = [e.name for e in engine_wasmtime.describe_exports(wasm)]
    runs = {}  # config → comparison with the reference, for the volatile diagnosis
    try:
        for strategy, opt in configs:
            cfg = config_name(strategy, opt)
            if progress:
                progress(cfg)
            try:
                module = engine_aot.load(wasm, strategy, opt, _cache.path)
            except Exception as e:  # a valid module must compile: any error is a finding
                report.mismatches[cfg] = [f"compile: {type(e).__name__}: {e}"]
                continue
            got = engine_aot.run(module, order, args_seed, calls_per_export)
            c = compare(ref, got, exact_nan=exact_nan)
            if c.mismatches:
                report.mismatches[cfg] = c.mismatches
            if c.inconclusive:
                report.inconclusive[cfg] = c.inconclusive
            runs[cfg] = c
            del module
        clean = {cfg for cfg, c in runs.items() if not c.mismatches and not c.inconclusive}
        for cfg, c in runs.items():
            if not c.mismatches or not _worth_volatile(cfg, clean):
                continue
            # A diagnosis for whoever reads the finding, never an excuse: a guard build
            # that agrees once every access is volatile had an access moved or deleted
            # across a fault (a missing barrier in aot/translate/memory/guard.py).
            if progress:
                progress(cfg + " volatile")
            strict = _run_volatile(wasm, parse_config(cfg), order, args_seed, calls_per_export)
            sc = compare(ref, strict, exact_nan=exact_nan)
            report.mismatches[cfg].append(
                "note: persists with volatile memory accesses" if sc.mismatches or sc.inconclusive
                else "note: gone with volatile memory accesses: LLVM moved or deleted an access "
                     "across a fault (see aot/translate/memory/guard.py)")
    finally:
        gc.collect()  # instances hold guard reservations: release them before the next module
        _cache.clear()
    return report
