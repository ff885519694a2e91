"""Embedding costs: what it costs a Python host to cross into Wasm and back, to make an
instance, to load a cached module, and to compile one.

Each `make_*` function loads what it needs (untimed) and returns `time_it(loops) ->
seconds`, the shape pyperf's `bench_time_func` wants. `native` is the ctypes reference
(the cheapest crossing Python has); `wasmtime` is wasmtime-py doing the same thing.
"""
from __future__ import annotations

import ctypes
import time
from typing import Callable

from .build import DATA1M, EMBED, Layout

TimeFunc = Callable[[int], float]

HOST_CALLS = 1000  # Wasm -> host calls per timed call_host(); pyperf divides by this
OPS = ("call-noop", "call-add", "host-call", "instantiate-1MiB", "load-cached", "load-cached-1MiB")
RUNNERS = {
    "call-noop": ("native", "aot-guard", "aot-bounds", "wasmtime"),
    "call-add": ("native", "aot-guard", "aot-bounds", "wasmtime"),
    "host-call": ("native", "aot-guard", "aot-bounds", "wasmtime"),
    "instantiate-1MiB": ("aot-guard", "aot-bounds", "wasmtime"),
    "load-cached": ("aot-guard", "aot-bounds", "wasmtime"),
    "load-cached-1MiB": ("aot-guard", "aot-bounds", "wasmtime"),
}
INNER_LOOPS = {"host-call": HOST_CALLS}


def _loop(fn: Callable[[], object]) -> TimeFunc:
    def time_it(loops: int) -> float:
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        return time.perf_counter() - t0
    return time_it


def _host(x: int) -> int:
    return x + 1


def _check(got: int, want: int, what: str) -> None:
    if got != want:
        raise RuntimeError(f"{what}: got {got}, expected {want}")


# ---- native (ctypes) -------------------------------------------------------------------

_HOST_CFUNC = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32)


def _native(layout: Layout, op: str) -> TimeFunc:
    lib = ctypes.CDLL(str(layout.native(EMBED)))
    lib.add.argtypes = [ctypes.c_int32, ctypes.c_int32]
    lib.add.restype = ctypes.c_int32
    lib.call_host.argtypes = [ctypes.c_int32]
    lib.call_host.restype = ctypes.c_int32
    cb = _HOST_CFUNC(_host)
    lib.set_host(cb)
    if op == "call-noop":
        return _loop(lib.noop)
    if op == "call-add":
        _check(lib.add(1, 2), 3, "native add")
        return _loop(lambda: lib.add(1, 2))
    if op == "host-call":
        _check(lib.call_host(HOST_CALLS), HOST_CALLS, "native call_host")
        fn = _loop(lambda: lib.call_host(HOST_CALLS))
        fn.keep = cb  # the callback must outlive the library's pointer to it
        return fn
    raise ValueError(op)


# ---- this project's runtime ------------------------------------------------------------

def _aot(layout: Layout, op: str, strategy: str) -> TimeFunc:
    import runtime
    from aot.model import FuncType, ValType

    if op in ("call-noop", "call-add", "host-call"):
        host = runtime.Func(_host, FuncType((ValType.I32,), (ValType.I32,)))
        inst = runtime.load(str(layout.aot(EMBED, strategy))).instantiate({"env": {"host": host}})
        ex = inst.exports
        if op == "call-noop":
            fn = ex.noop
            return _loop(fn)
        if op == "call-add":
            add = ex.add
            _check(add(1, 2), 3, "aot add")
            return _loop(lambda: add(1, 2))
        call_host = ex.call_host
        _check(call_host(HOST_CALLS), HOST_CALLS, "aot call_host")
        return _loop(lambda: call_host(HOST_CALLS))
    if op == "instantiate-1MiB":
        from .wasmgen import data_module_byte

        module = runtime.load(str(layout.aot(DATA1M, strategy)))
        _check(module.instantiate().exports.probe(12345), data_module_byte(12345), "aot data")
        return _loop(module.instantiate)  # each instance is dropped at once (refcount)
    if op in ("load-cached", "load-cached-1MiB"):
        path = str(layout.wasm(EMBED if op == "load-cached" else DATA1M))
        cache = str(layout.cache)
        runtime.load(path, memory=strategy, cache_dir=cache)  # fill the cache (untimed)
        return _loop(lambda: runtime.load(path, memory=strategy, cache_dir=cache))
    raise ValueError(op)


# ---- wasmtime-py -----------------------------------------------------------------------

def _wasmtime(layout: Layout, op: str) -> TimeFunc:
    import wasmtime

    engine = wasmtime.Engine()
    if op in ("call-noop", "call-add", "host-call"):
        store = wasmtime.Store(engine)
        module = wasmtime.Module.deserialize_file(engine, str(layout.cwasm(EMBED)))
        i32 = wasmtime.ValType.i32()
        host = wasmtime.Func(store, wasmtime.FuncType([i32], [i32]), _host)
        ex = wasmtime.Instance(store, module, [host]).exports(store)
        if op == "call-noop":
            noop = ex["noop"]
            return _loop(lambda: noop(store))
        if op == "call-add":
            add = ex["add"]
            _check(add(store, 1, 2), 3, "wasmtime add")
            return _loop(lambda: add(store, 1, 2))
        call_host = ex["call_host"]
        _check(call_host(store, HOST_CALLS), HOST_CALLS, "wasmtime call_host")
        return _loop(lambda: call_host(store, HOST_CALLS))
    if op == "instantiate-1MiB":
        from .wasmgen import data_module_byte

        module = wasmtime.Module.deserialize_file(engine, str(layout.cwasm(DATA1M)))

        def instantiate():
            # A store owns its instances until it dies: a new store per instance is how
            # wasmtime-py gets a fresh, freeable instance, as our runtime does.
            store = wasmtime.Store(engine)
            return store, wasmtime.Instance(store, module, [])

        store, inst = instantiate()
        _check(inst.exports(store)["probe"](store, 12345), data_module_byte(12345), "wasmtime data")
        return _loop(instantiate)
    if op in ("load-cached", "load-cached-1MiB"):
        # wasmtime-py's closest operation: deserialising a module it compiled before.
        path = str(layout.cwasm(EMBED if op == "load-cached" else DATA1M))
        return _loop(lambda: wasmtime.Module.deserialize_file(engine, path))
    raise ValueError(op)


def make(layout: Layout, op: str, runner: str) -> TimeFunc:
    """The timer for embedding operation `op` under `runner` (loads happen now, untimed)."""
    if runner == "native":
        return _native(layout, op)
    if runner.startswith("aot-"):
        return _aot(layout, op, runner[4:])
    if runner == "wasmtime":
        return _wasmtime(layout, op)
    raise ValueError(f"no runner {runner!r} for {op}")


# ---- compile time ----------------------------------------------------------------------

COMPILE_LEVELS = (0, 1, 2, 3)


def compile_inputs(layout: Layout, names: list[str]) -> list[bytes]:
    return [layout.wasm(n).read_bytes() for n in names]


def make_compile(layout: Layout, names: list[str], runner: str) -> TimeFunc:
    """Compile every module in `names` once per loop: `aot-O<N>` or `wasmtime`."""
    wasms = compile_inputs(layout, names)
    if runner == "wasmtime":
        import wasmtime

        engine = wasmtime.Engine()
        return _loop(lambda: [wasmtime.Module(engine, w) for w in wasms])
    from aot.compiler import compile_wasm

    level = int(runner.rsplit("O", 1)[1])
    return _loop(lambda: [compile_wasm(w, memory="guard", opt_level=level) for w in wasms])
