"""Per-call cost of the hot WASI calls, measured from inside a guest.

    python -m tests.wasi.measure_calls [N] [--memory guard|bounds] [--stdout null|capture|inherit]

Builds programs/bench_calls.c for wasm32-wasi, runs it under runtime.Wasi and prints
what it measured (wall and thread-CPU ns per call; CPU time is the figure to trust on
a busy machine). The floor is what any Python host function costs to call from Wasm.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def build(out_dir: str) -> str:
    out = os.path.join(out_dir, "bench_calls.wasm")
    subprocess.run(["clang", "--target=wasm32-wasi", "-O2", os.path.join(HERE, "programs", "bench_calls.c"),
                    "-o", out], check=True)
    return out


def floor_ns(module_cache: str, n: int = 200_000) -> float:
    """Thread-CPU ns of one call of a Python host function that does nothing."""
    import runtime
    from runtime import FuncType, ValType as V
    from runtime._func import Func
    from tests.wasi.conftest import WASM_TOOLS

    text = """(module (import "env" "f" (func $f (param i32 i64 i32) (result i32)))
      (func (export "loop") (param $n i32)
        (loop $l (drop (call $f (i32.const 1) (i64.const 0) (i32.const 8)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"""
    wasm = subprocess.run([WASM_TOOLS, "parse", "-"], input=text.encode(), capture_output=True,
                          check=True).stdout
    m = runtime.load(wasm, cache_dir=module_cache)
    f = Func._raw_host(lambda caller, a, b, c: 0, FuncType((V.I32, V.I64, V.I32), (V.I32,)))
    loop = m.instantiate({"env": {"f": f}}).exports.loop
    loop(1000)
    t = time.thread_time_ns()
    loop(n)
    return (time.thread_time_ns() - t) / n


def main(argv=None) -> int:
    import runtime

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", nargs="?", type=int, default=200_000)
    p.add_argument("--memory", choices=["guard", "bounds"], default="guard")
    p.add_argument("--stdout", choices=["null", "capture", "inherit"], default="null")
    p.add_argument("--repeat", type=int, default=3, help="runs; the best of each figure is shown")
    args = p.parse_args(argv)
    best: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        module = runtime.load(build(tmp), memory=args.memory, cache_dir=tmp)
        floor = min(floor_ns(tmp) for _ in range(args.repeat))
        for _ in range(args.repeat):
            config = runtime.WasiConfig(argv=["bench", str(args.n)], stdout=args.stdout,
                                        stderr="capture", capture_limit=None)
            with runtime.Wasi(config) as wasi:
                wasi.run(module)
                for line in wasi.stderr.decode().splitlines():
                    name, rest = line[:28].strip(), line[28:].split()
                    wall, cpu = float(rest[0]), float(rest[3])
                    old = best.setdefault(name, [wall, cpu])
                    best[name] = [min(old[0], wall), min(old[1], cpu)]
    print(f"{'(floor: an empty host function)':34s} {'':>14s} {floor:7.0f} ns cpu")
    for name, (wall, cpu) in best.items():
        extra = "" if "buffered" in name else f"  ({cpu - floor:+.0f} over the floor)"
        print(f"{name:34s} {wall:7.0f} ns wall {cpu:7.0f} ns cpu{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
