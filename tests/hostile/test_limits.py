"""Resource limits and leaks: per-instance memory and table limits, address-space
exhaustion as a clear ResourceError, many live guard instances, RSS and mapped address
space flat over instantiate/release cycles.

The measurements run in a subprocess (a clean process whose /proc/self/status and
address space no other test disturbs); they print their figures (`pytest -s`).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import runtime
from runtime import GrowError, Instance, ResourceError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

GROWER = """
(module
  (memory (export "memory") 2 100)
  (table (export "table") 1 50 funcref)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "tgrow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
  (func (export "tsize") (result i32) (table.size))
  (func (export "poke") (param i32) (i32.store8 (local.get 0) (i32.const 1))))
"""


def _module(to_wasm, module_cache, strategy="guard"):
    return runtime.load(to_wasm(GROWER), memory=strategy, cache_dir=module_cache)


# ---- memory limits ---------------------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_memory_limit_caps_grow_below_the_declared_maximum(to_wasm, module_cache, strategy):
    m = _module(to_wasm, module_cache, strategy)
    e = Instance(m, memory_limit=5).exports
    assert e.grow(3) == 2  # 2 -> 5: at the limit
    assert e.grow(1) == -1  # past it: -1 as if the maximum were 5
    assert e.size() == 5
    with pytest.raises(GrowError):
        e.memory.grow(1)
    e.poke(5 * 65536 - 1)
    with pytest.raises(runtime.Trap):
        e.poke(5 * 65536)
    # without a limit the declared maximum applies
    e2 = Instance(m).exports
    assert e2.grow(98) == 2 and e2.grow(1) == -1


def test_memory_starting_above_the_limit_is_refused(to_wasm, module_cache):
    m = _module(to_wasm, module_cache)
    with pytest.raises(ResourceError, match="starts at 2 pages, above the limit of 1"):
        Instance(m, memory_limit=1)
    with pytest.raises(ValueError):
        Instance(m, memory_limit=-1)


# ---- table limits ----------------------------------------------------------------------------

def test_table_limit_caps_table_grow(to_wasm, module_cache):
    m = _module(to_wasm, module_cache)
    e = Instance(m, table_limit=4).exports
    assert e.tgrow(3) == 1
    assert e.tgrow(1) == -1
    assert e.tsize() == 4
    with pytest.raises(GrowError):
        e.table.grow(1)
    assert e.table.max == 50  # the declared type is unchanged (import matching uses it)
    e2 = Instance(m).exports
    assert e2.tgrow(49) == 1 and e2.tgrow(1) == -1


def test_table_starting_above_the_limit_is_refused(to_wasm, module_cache):
    m = _module(to_wasm, module_cache)
    with pytest.raises(ResourceError, match="table starts at 1 elements, above the limit of 0"):
        Instance(m, table_limit=0)
    with pytest.raises(ValueError):
        Instance(m, table_limit="big")


# ---- helpers for the subprocess measurements -------------------------------------------------

def _run(code: str, *, env_extra=None, timeout=600, preexec=None) -> dict:
    """Run `code` in a fresh interpreter; it prints one JSON line last."""
    env = dict(os.environ, PYTHONPATH=ROOT, **(env_extra or {}))
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=timeout, preexec_fn=preexec)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


PRELUDE = """
import gc, json, os, sys, time
import runtime
def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
"""


def _so(to_wasm, module_cache, strategy="guard") -> str:
    return _module(to_wasm, module_cache, strategy).path


# ---- address space exhaustion -----------------------------------------------------------------

def test_address_space_exhaustion_is_a_clear_error(to_wasm, module_cache):
    """Under `ulimit -v` (8 GiB here: not even one more guard reservation fits), a guard
    instance fails with ResourceError naming the bounds strategy; a bounds instance
    of the same module still works."""
    guard, bounds = _so(to_wasm, module_cache, "guard"), _so(to_wasm, module_cache, "bounds")
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))

    out = _run(PRELUDE + f"""
try:
    runtime.load({guard!r}).instantiate()
    guard = "ok"
except runtime.ResourceError as e:
    guard = str(e)
e = runtime.load({bounds!r}).instantiate().exports
print(json.dumps({{"guard": guard, "bounds": e.grow(1)}}))
""", preexec=limit)
    assert "compile" in out["guard"] and "bounds" in out["guard"], out
    assert out["bounds"] == 2


# ---- many live guard instances ----------------------------------------------------------------

LIVE = PRELUDE + """
m = runtime.load(sys.argv[2])
target = int(sys.argv[3])
live, error = [], None
t0 = time.perf_counter()
while len(live) < target:
    try:
        live.append(m.instantiate())
    except runtime.ResourceError as e:
        error = str(e)
        break
took = time.perf_counter() - t0
# every one of them still works, and traps stay traps
for i in (0, len(live) // 2, len(live) - 1):
    e = live[i].exports
    assert e.grow(1) == 2
    try:
        e.poke(3 * 65536)
        raise SystemExit("no trap")
    except runtime.Trap:
        pass
print(json.dumps({"live": len(live), "error": error, "seconds": took,
                  "vmsize_tib": status("VmSize") / (1 << 40)}))
"""


def _live(to_wasm, module_cache, target: int) -> dict:
    so = _so(to_wasm, module_cache)
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-c", LIVE, "", so, str(target)], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=1200)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_ten_thousand_live_guard_instances(to_wasm, module_cache):
    out = _live(to_wasm, module_cache, 10_000)
    print(f"\n10,000 live guard instances: {out['seconds']:.1f} s, VmSize {out['vmsize_tib']:.1f} TiB")
    assert out["live"] == 10_000, out


@pytest.mark.slow
def test_most_live_guard_instances(to_wasm, module_cache):
    """Instantiate until the runtime says no: the limit must be a ResourceError."""
    out = _live(to_wasm, module_cache, 1_000_000)
    print(f"\nmost live guard instances: {out['live']} ({out['error']}), "
          f"{out['seconds']:.1f} s, VmSize {out['vmsize_tib']:.1f} TiB")
    assert out["live"] >= 10_000 and out["error"], out


# ---- leaks: RSS and mapped address space over instantiate/release cycles ----------------------

CYCLES = PRELUDE + """
m = runtime.load(sys.argv[2])
n = int(sys.argv[3])
def cycle():
    inst = m.instantiate()
    e = inst.exports
    e.grow(1)
    e.poke(65536 * 2)
    try:
        e.poke(65536 * 4)
    except runtime.Trap:
        pass
    del e, inst
warm = max(n // 10, 200)
for _ in range(warm):
    cycle()
gc.collect()
rss0, vm0 = status("VmRSS"), status("VmSize")
t0 = time.perf_counter()
for i in range(n):
    cycle()
gc.collect()
print(json.dumps({"cycles": n, "rss_before": rss0, "rss_after": status("VmRSS"),
                  "vm_before": vm0, "vm_after": status("VmSize"),
                  "seconds": time.perf_counter() - t0}))
"""


def _cycles(to_wasm, module_cache, strategy: str, n: int) -> dict:
    so = _so(to_wasm, module_cache, strategy)
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-c", CYCLES, "", so, str(n)], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=3600)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    mib = 1 << 20
    print(f"\n{strategy}: {n} instantiate/release cycles in {out['seconds']:.1f} s: RSS "
          f"{out['rss_before'] / mib:.1f} -> {out['rss_after'] / mib:.1f} MiB, VmSize "
          f"{out['vm_before'] / mib:.0f} -> {out['vm_after'] / mib:.0f} MiB")
    return out


def _assert_flat(out: dict) -> None:
    assert out["rss_after"] - out["rss_before"] < 8 << 20, out
    # the address space of every instance (8 GiB each for guard) is given back
    assert out["vm_after"] - out["vm_before"] < 64 << 20, out


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_rss_and_address_space_flat_over_cycles(to_wasm, module_cache, strategy):
    _assert_flat(_cycles(to_wasm, module_cache, strategy, 5_000))


@pytest.mark.slow
def test_rss_and_address_space_flat_over_100k_cycles(to_wasm, module_cache):
    _assert_flat(_cycles(to_wasm, module_cache, "guard", 100_000))
