"""aot-wasm runtime: load compiled WebAssembly modules (`.so`) and run them sandboxed.

    import runtime
    module = runtime.load("plugin.wasm")          # compiled once, then cached
    instance = module.instantiate({"env": {"log": runtime.Func(print, log_type)}})
    instance.exports.run(42)

Public API (everything else is private):
  load(path_or_bytes, *, memory=None, opt_level=2, cache_dir=None) -> Module
  Module      .imports .exports .strategy .target .instantiate(imports) -> Instance
  Instance    .exports (attribute or item access) .module
  Func        Func(callable, FuncType, caller=False); __call__(*values), call_raw(*bits), .type;
              both take keyword-only timeout=seconds and interrupt=Interrupt
  Interrupt   Interrupt(); .interrupt() (from any thread) .reset() .interrupted
  Caller      what a Func(..., caller=True) gets first: .memory .exports .instance
  Memory      Memory(min, max=None, *, strategy="guard"); .size .data_len .grow(n) .set_limit(n)
              .read(offset, n) .write(offset, data) .view()
  Table       Table(elem, min, max=None, init=None); .size .get(i) .set(i, v) .grow(n, init)
  Global      Global(GlobalType, value); .value
  Trap        .kind (TrapCode) .message .func_index .func_name
  errors      Error, LoadError, LinkError, ResourceError, GrowError, NativeBuildError,
              FormatVersionError, ConcurrentUseError
  types       FuncType, TableType, MemoryType, GlobalType, Limits, ValType, MemoryStrategy
  WASI        WasiConfig, Wasi, Exit, WasiError; the `runtime.wasi` package (wasi.run)

Values: i32/i64 as ints (returned signed), f32/f64 as floats, funcref as Func or None,
externref as any object or None, v128 as an int (returned unsigned; lane 0 in the low
bits) or, going in, 16 bytes (bytes/bytearray/memoryview, lane 0 first). `call_raw`
takes and returns exact bit patterns as unsigned ints (128 bits for v128).

Lifetimes: see `runtime._links` (linked objects keep each other alive). Threads: calls
release the GIL; trap state is per thread. Any number of threads may call into
instances at once, the same instance included, when its memories are 'guard'
memories; a 'bounds' memory (its base moves on grow) is used by one thread at a time,
and a call or Memory access from a second thread raises ConcurrentUseError (see
`runtime._exclusive`).
"""
from aot.abi import MemoryStrategy, TrapCode
from aot.manifest import FormatVersionError
from aot.model import FuncType, GlobalType, Limits, MemoryType, TableType, ValType

from ._caller import Caller
from ._errors import (ConcurrentUseError, Error, GrowError, LinkError, LoadError,
                      NativeBuildError, ResourceError)
from ._func import Func, Interrupt
from ._global import Global
from ._instance import Exports, Instance
from ._load import load
from ._memory import Memory
from ._module import Module
from ._table import Table
from ._trap import Trap
from . import wasi
from .wasi import Exit, Wasi, WasiConfig, WasiError

__all__ = [
    "load", "Module", "Instance", "Exports", "Func", "Interrupt", "Memory", "Table", "Global", "Trap",
    "TrapCode", "Error", "ConcurrentUseError", "LoadError", "LinkError", "ResourceError", "GrowError",
    "NativeBuildError", "FormatVersionError", "FuncType", "TableType", "MemoryType",
    "GlobalType", "Limits", "ValType", "MemoryStrategy", "Caller", "wasi", "WasiConfig",
    "Wasi", "Exit", "WasiError",
]
