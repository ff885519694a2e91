"""Build every artifact the runners need into a build directory, skipping what is current.

Layout under the build dir (default `build/benchmarks` in the repo):

    wasm/<name>.wasm                  clang --target=wasm32 (toolchain.WASM_CFLAGS)
    native/<name>.so                  clang -shared (toolchain.NATIVE_CFLAGS)
    aot/<name>.<guard|bounds>.so      this project's compiler, -O2
    wasm2c/<name>/module.c            wasm2c's translation
    wasm2c/<name>.<guard|bounds>.so   module.c + glue + wasm-rt-impl.c, NATIVE_CFLAGS
    wasmtime/<name>.cwasm             wasmtime's precompiled module (its own cache format)
    expected.json                     {program: {n: checksum}} from the native build

Each output has a `<output>.key` next to it: a hash of everything that went into it
(source, flags, tool version, our compiler's sources). Equal key, no rebuild.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import toolchain
from .catalog import PROGRAMS_DIR, Program

REPO = Path(__file__).resolve().parent.parent
NATIVE_DIR = Path(__file__).resolve().parent / "native"
DEFAULT_BUILD_DIR = REPO / "build" / "benchmarks"

EMBED = "embed"  # the embedding-cost module (benchmarks/native/embed.c)
DATA1M = "data1m"  # the module with 1 MiB of data segments (benchmarks/wasmgen.py)
STRATEGIES = ("guard", "bounds")
AOT_OPT_LEVEL = 2
# AOT_BENCH_INTERRUPT_CHECKS=1 builds the aot runners with polled interrupt checks
# (aot compile --interrupt-checks), to measure what the checks cost.
INTERRUPT_CHECKS_ENV = "AOT_BENCH_INTERRUPT_CHECKS"


def _interrupt_checks() -> bool:
    return os.environ.get(INTERRUPT_CHECKS_ENV, "0") == "1"


@dataclass(frozen=True)
class Layout:
    """Paths of the artifacts in one build directory."""

    root: Path

    def wasm(self, name: str) -> Path:
        return self.root / "wasm" / f"{name}.wasm"

    def native(self, name: str) -> Path:
        return self.root / "native" / f"{name}.so"

    def aot(self, name: str, strategy: str) -> Path:
        return self.root / "aot" / f"{name}.{strategy}.so"

    def wasm2c(self, name: str, strategy: str) -> Path:
        return self.root / "wasm2c" / f"{name}.{strategy}.so"

    def cwasm(self, name: str) -> Path:
        return self.root / "wasmtime" / f"{name}.cwasm"

    @property
    def expected(self) -> Path:
        return self.root / "expected.json"

    @property
    def cache(self) -> Path:
        """The runtime.load cache dir used by the load-cached benchmark."""
        return self.root / "cache"

    @property
    def info(self) -> Path:
        return self.root / "build-info.json"


@dataclass
class BuildResult:
    """What was built, and which runners could not be (runner -> reason)."""

    skipped: dict[str, str] = field(default_factory=dict)
    info: dict = field(default_factory=dict)


Log = Callable[[str], None]


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()


def _current(out: Path, key: str) -> bool:
    stamp = out.with_name(out.name + ".key")
    return out.exists() and stamp.exists() and stamp.read_text() == key


def _stamp(out: Path, key: str) -> None:
    out.with_name(out.name + ".key").write_text(key)


def _compiler_digest() -> str:
    """A hash of our compiler's sources: a change to aot/ must rebuild the .so files."""
    h = hashlib.sha256()
    for path in sorted((REPO / "aot").rglob("*.py")):
        h.update(str(path.relative_to(REPO)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _c_inputs(source: Path) -> bytes:
    """The bytes of a C source and the shared header it includes."""
    return source.read_bytes() + (PROGRAMS_DIR / "bench.h").read_bytes()


def build_wasm(layout: Layout, name: str, source: Path, exports: list[str], log: Log) -> Path:
    out = layout.wasm(name)
    flags = toolchain.WASM_CFLAGS + [f"-Wl,--export={e}" for e in exports]
    cc = toolchain.clang()
    key = _digest(_c_inputs(source), flags, toolchain.version(cc))
    if not _current(out, key):
        log(f"wasm      {name}")
        out.parent.mkdir(parents=True, exist_ok=True)
        toolchain.run([cc, *flags, "-o", str(out), str(source)])
        _stamp(out, key)
    return out


def build_native(layout: Layout, name: str, source: Path, log: Log) -> Path:
    out = layout.native(name)
    cc = toolchain.clang()
    flags = toolchain.NATIVE_CFLAGS + ["-fPIC", "-shared"]
    key = _digest(_c_inputs(source), flags, toolchain.version(cc))
    if not _current(out, key):
        log(f"native    {name}")
        out.parent.mkdir(parents=True, exist_ok=True)
        toolchain.run([cc, *flags, "-o", str(out), str(source)])
        _stamp(out, key)
    return out


def build_data_module(layout: Layout, log: Log) -> Path:
    from .wasmgen import data_module

    out = layout.wasm(DATA1M)
    key = _digest(Path(__file__).with_name("wasmgen.py").read_bytes())
    if not _current(out, key):
        log(f"wasm      {DATA1M}")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data_module())
        _stamp(out, key)
    return out


def build_aot(layout: Layout, name: str, strategy: str, compiler_digest: str, log: Log) -> Path:
    from aot.compiler import compile_wasm

    wasm = layout.wasm(name).read_bytes()
    out = layout.aot(name, strategy)
    checks = _interrupt_checks()
    key = _digest(wasm, strategy, AOT_OPT_LEVEL, compiler_digest, *(("interrupt-checks",) if checks else ()))
    if not _current(out, key):
        log(f"aot       {name} --memory {strategy}{' --interrupt-checks' if checks else ''}")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(compile_wasm(wasm, memory=strategy, opt_level=AOT_OPT_LEVEL,
                                     interrupt_checks=checks))
        _stamp(out, key)
    return out


def build_wasm2c(layout: Layout, name: str, strategy: str, log: Log) -> Path:
    wasm = layout.wasm(name)
    out = layout.wasm2c(name, strategy)
    w2c, cc, rt = toolchain.wasm2c(), toolchain.clang(), toolchain.wasm_rt_dir()
    glue = NATIVE_DIR / "wasm2c_glue.c"
    flags = toolchain.NATIVE_CFLAGS + toolchain.WASM2C_MODES[strategy] + [
        "-fPIC", "-shared", "-fvisibility=hidden", "-w"]  # -w: wasm2c's output is not ours to lint
    key = _digest(wasm.read_bytes(), glue.read_bytes(), flags, toolchain.version(w2c),
                  toolchain.version(cc), rt)
    if _current(out, key):
        return out
    log(f"wasm2c    {name} ({strategy})")
    src_dir = layout.root / "wasm2c" / name
    src_dir.mkdir(parents=True, exist_ok=True)
    toolchain.run([w2c, str(wasm), "-n", "prog", "-o", str(src_dir / "module.c")])
    header = (src_dir / "module.h").read_text()
    if "w2c_prog_setup" in header:
        flags.append("-DW2C_NEW_NAMES")
    includes = ["-I", str(src_dir), "-I", rt]
    toolchain.run([cc, *flags, *includes, "-o", str(out), str(src_dir / "module.c"), str(glue),
                   os.path.join(rt, "wasm-rt-impl.c"), "-lm"])
    _stamp(out, key)
    return out


def build_cwasm(layout: Layout, name: str, log: Log) -> Path:
    wasm = layout.wasm(name)
    out = layout.cwasm(name)
    key = _digest(wasm.read_bytes(), toolchain.wasmtime_version())
    if not _current(out, key):
        log(f"wasmtime  {name}")
        out.parent.mkdir(parents=True, exist_ok=True)
        # In a child process: creating a wasmtime Engine installs wasmtime's SIGSEGV
        # handler in the process for good, and the builder may be a process (a test run)
        # that relies on our runtime's handler.
        code = ("import sys, wasmtime; src, dst = sys.argv[1:]; "
                "data = wasmtime.Module(wasmtime.Engine(), open(src, 'rb').read()).serialize(); "
                "open(dst, 'wb').write(data)")
        toolchain.run([sys.executable, "-c", code, str(wasm), str(out)])
        _stamp(out, key)
    return out


def expected_checksums(layout: Layout, programs: list[Program], log: Log) -> dict:
    """{program: {str(n): checksum}} from the native build at each program's size n."""
    import ctypes

    path = layout.expected
    table = json.loads(path.read_text()) if path.exists() else {}
    changed = False
    for p in programs:
        so = layout.native(p.name)
        key = _digest(so.read_bytes())
        entry = table.get(p.name, {})
        if entry.get("key") != key or str(p.n) not in entry:
            log(f"checksum  {p.name} (native, n={p.n})")
            lib = ctypes.CDLL(str(so))
            lib.run.restype = ctypes.c_uint64
            lib.setup(ctypes.c_int(p.n))
            entry = {"key": key, str(p.n): int(lib.run())}
            table[p.name] = entry
            changed = True
    if changed:
        path.write_text(json.dumps(table, indent=1))
    return table


def build(layout: Layout, programs: list[Program], runners: set[str], *, embed: bool,
          log: Log = print) -> BuildResult:
    """Build what `runners` need for `programs` (and the embedding modules if `embed`).

    Runners whose tools are missing are left out and named in `BuildResult.skipped`.
    """
    result = BuildResult()
    t0 = time.perf_counter()
    names = [p.name for p in programs]
    for p in programs:
        build_wasm(layout, p.name, p.source, ["setup", "run"], log)
        build_native(layout, p.name, p.source, log)
    if embed:
        src = NATIVE_DIR / "embed.c"
        build_wasm(layout, EMBED, src, ["noop", "add", "call_host"], log)
        build_native(layout, EMBED, src, log)
        build_data_module(layout, log)
        names_embed = [EMBED, DATA1M]
    else:
        names_embed = []
    aot_strategies = [s for s in STRATEGIES if f"aot-{s}" in runners]
    if aot_strategies or names_embed:
        digest = _compiler_digest()
        for name in names:
            for strategy in aot_strategies:
                build_aot(layout, name, strategy, digest, log)
        for name in names_embed:  # the embedding benchmarks use both strategies
            for strategy in STRATEGIES:
                build_aot(layout, name, strategy, digest, log)
    for strategy in STRATEGIES:
        if f"wasm2c-{strategy}" not in runners:
            continue
        try:
            for name in names:
                build_wasm2c(layout, name, strategy, log)
        except toolchain.MissingTool as e:
            result.skipped[f"wasm2c-{strategy}"] = str(e)
    if "wasmtime" in runners or embed:
        if toolchain.wasmtime_version() is None:
            result.skipped["wasmtime"] = "the wasmtime Python package is not installed: pip install wasmtime"
        else:
            for name in names + names_embed:
                build_cwasm(layout, name, log)
    if programs:
        expected_checksums(layout, programs, log)
    result.info = {
        "clang": toolchain.version(toolchain.clang()),
        "wasm2c": toolchain.version(shutil.which("wasm2c")) if shutil.which("wasm2c") else None,
        "wasmtime": toolchain.wasmtime_version(),
        "native_cflags": " ".join(toolchain.NATIVE_CFLAGS),
        "wasm_cflags": " ".join(toolchain.WASM_CFLAGS),
        "wasm_bytes": {n: layout.wasm(n).stat().st_size for n in names + names_embed},
        "build_seconds": round(time.perf_counter() - t0, 2),
    }
    return result
