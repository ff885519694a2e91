"""Quick-start demo: compile plugins to native code, run them sandboxed, survive a hostile one.

    python examples/quickstart/demo.py [--out DIR]

1. Builds `plugins/checksum.c` to WebAssembly with clang (wasm32, no libc).
2. Compiles it and `plugins/hostile.wat` with `aot compile`, once per memory strategy.
3. Loads each `.so`, writes 1 MiB into the plugin's own memory, checks its CRC-32
   against Python's zlib, and times it under `guard` and `bounds`.
4. Runs every attack of the hostile plugin: each one ends as a `runtime.Trap`,
   and the host and the other plugins keep working.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a source checkout without installing

import runtime  # noqa: E402

CLANG_FLAGS = ["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", "-Wl,--export-dynamic"]


def sh(*cmd: str) -> None:
    print("  $", " ".join(cmd))
    subprocess.run(cmd, check=True)


def build(out: Path) -> dict[str, Path]:
    """Every plugin as .wasm, built from source."""
    wasm = {}
    clang = shutil.which("clang")
    if not clang:
        sys.exit("demo: clang is needed to build the C plugin: apt-get install clang lld")
    wasm["checksum"] = out / "checksum.wasm"
    sh(clang, *CLANG_FLAGS, "-o", str(wasm["checksum"]), str(HERE / "plugins" / "checksum.c"))
    wasm["hostile"] = out / "hostile.wasm"
    sh("wasm-tools", "parse", str(HERE / "plugins" / "hostile.wat"), "-o", str(wasm["hostile"]))
    return wasm


def compile_all(wasm: dict[str, Path], out: Path) -> dict[tuple[str, str], Path]:
    sos = {}
    for name, path in wasm.items():
        for strategy in ("guard", "bounds"):
            so = out / f"{name}.{strategy}.so"
            sh(sys.executable, "-m", "aot.cli", "compile", str(path), "--memory", strategy, "-o", str(so))
            sos[name, strategy] = so
    return sos


def run_checksum(so: Path, strategy: str, payload: bytes) -> float:
    inst = runtime.load(so).instantiate()
    ex = inst.exports
    ptr = ex.buffer_ptr()
    mem = ex.memory
    mem.write(ptr, payload)
    got = ex.crc32(ptr, len(payload)) & 0xFFFFFFFF
    want = zlib.crc32(payload)
    if got != want:
        sys.exit(f"demo: crc32 mismatch under {strategy}: {got:#x} != {want:#x}")
    t0 = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        ex.crc32(ptr, len(payload))
    per_mib = (time.perf_counter() - t0) / rounds * (1 << 20) / len(payload)
    calls = 100_000
    t0 = time.perf_counter()
    for _ in range(calls):
        ex.add(1, 2)
    per_call = (time.perf_counter() - t0) / calls
    print(f"  {strategy:6}  crc32 = {got:#010x} (matches zlib)   {per_mib * 1e3:6.2f} ms/MiB"
          f"   Python->Wasm call add(1, 2): {per_call * 1e6:.2f} us")
    return per_mib


def run_hostile(so: Path, strategy: str) -> None:
    ex = runtime.load(so).instantiate().exports
    attacks = [("read 8 GiB past the base", lambda: ex.read_far()),
               ("write past the end of memory", lambda: ex.write_past_end()),
               ("recurse forever", lambda: ex.dive(0)),
               ("call through a forged signature", lambda: ex.forge_call()),
               ("divide INT_MIN by -1", lambda: ex.divide(-2**31, -1))]
    for what, attack in attacks:
        try:
            attack()
        except runtime.Trap as trap:
            print(f"  {strategy:6}  {what:34} -> trapped: {trap.message} (in {trap.func_name or 'function ' + str(trap.func_index)})")
        else:
            sys.exit(f"demo: the hostile plugin was not stopped: {what}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE.parents[1] / "demo-output"), help="where the .wasm and .so files go")
    out = Path(ap.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

    print("1. building plugins from source")
    wasm = build(out)
    print("2. compiling them to native shared objects, in both memory strategies")
    sos = compile_all(wasm, out)
    print("3. running the checksum plugin on 1 MiB of data in its own memory")
    payload = os.urandom(1 << 20)
    speed = {s: run_checksum(sos["checksum", s], s, payload) for s in ("guard", "bounds")}
    print(f"  bounds / guard time: {speed['bounds'] / speed['guard']:.2f}x")
    print("4. running the hostile plugin: every attack must end as a trap")
    for s in ("guard", "bounds"):
        run_hostile(sos["hostile", s], s)
    print("   the host is still alive; the checksum plugin still works:",
          hex(runtime.load(sos["checksum", "guard"]).instantiate().exports.add(40, 2)))
    print(f"done: plugins and .so files are in {out}")


if __name__ == "__main__":
    main()
