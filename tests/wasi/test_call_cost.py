"""Hot WASI calls stay cheap: no per-byte Python work, no copies of the guest's data
on the way to a host descriptor. (Exact figures: `python -m tests.wasi.measure_calls`.)"""
from __future__ import annotations

import runtime


def _costs(corpus, load, memory, n: int) -> dict[str, float]:
    module = load(corpus.wasm("bench_calls"), memory)
    with runtime.Wasi(runtime.WasiConfig(argv=["bench", str(n)], stdout="null", stderr="capture")) as w:
        assert w.run(module) == 0
        report = w.stderr.decode()
    costs = {}
    for line in report.splitlines():
        name, fields = line[:28].strip(), line[28:].split()
        costs[name] = float(fields[3])  # thread-CPU ns per call
    return costs


def test_big_writes_cost_what_small_ones_do(corpus, load, memory):
    costs = _costs(corpus, load, memory, 20_000)
    # 1 MiB through Python byte by byte, or even copied once, would cost far more
    # than this (a copy alone is tens of microseconds); zero-copy costs the same.
    assert costs["fd_write 1 MiB"] < costs["fd_write 1 byte"] + 20_000, costs
    # Generous bounds, far above what any machine measures (about 2 us and 1.5 us):
    # they catch a call path that went badly wrong, not a slow machine.
    assert costs["fd_write 1 byte"] < 100_000, costs
    assert costs["clock_time_get"] < 100_000, costs
