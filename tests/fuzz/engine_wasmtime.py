"""The reference engine: run a module under Wasmtime (its Python package) → `Outcome`.

Calls go through Wasmtime's C API with the value union filled and read as integers,
because the package's own conversions pass f32/f64 through Python floats, which
would quiet signalling NaNs on the way in and out.
"""
from __future__ import annotations

import ctypes
import struct
from dataclasses import dataclass, field

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import enter_wasm

from . import hostenv
from .outcome import Call, Outcome
from .values import call_args

# Wasmtime's trap codes → the engine-neutral names of outcome.TRAPS.
_TRAPS = {
    wasmtime.TrapCode.UNREACHABLE: "unreachable",
    wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS: "memory_oob",
    wasmtime.TrapCode.TABLE_OUT_OF_BOUNDS: "table_oob",  # includes call_indirect past the end
    wasmtime.TrapCode.INTEGER_DIVISION_BY_ZERO: "div_by_zero",
    wasmtime.TrapCode.INTEGER_OVERFLOW: "int_overflow",
    wasmtime.TrapCode.BAD_CONVERSION_TO_INTEGER: "bad_conversion",
    wasmtime.TrapCode.BAD_SIGNATURE: "bad_signature",
    wasmtime.TrapCode.INDIRECT_CALL_TO_NULL: "null_element",
    wasmtime.TrapCode.NULL_REFERENCE: "null_reference",
    wasmtime.TrapCode.STACK_OVERFLOW: "stack_overflow",
}

_KINDS = {"i32": ffi.WASMTIME_I32, "i64": ffi.WASMTIME_I64, "f32": ffi.WASMTIME_F32,
          "f64": ffi.WASMTIME_F64, "v128": ffi.WASMTIME_V128, "funcref": ffi.WASMTIME_FUNCREF,
          "externref": ffi.WASMTIME_EXTERNREF}


def _engine() -> wasmtime.Engine:
    """An engine with the features this project implements (2.0, no SIMD in generated code)."""
    cfg = wasmtime.Config()
    cfg.wasm_threads = False
    cfg.wasm_tail_call = False
    cfg.wasm_multi_memory = False
    cfg.wasm_memory64 = False
    cfg.wasm_relaxed_simd = False
    cfg.wasm_gc = False
    cfg.wasm_function_references = False
    cfg.wasm_exceptions = False
    return wasmtime.Engine(cfg)


_ENGINE = None


def engine() -> wasmtime.Engine:
    """The process's Wasmtime engine (made once)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _engine()
    return _ENGINE


def init_before_runtime() -> None:
    """Make Wasmtime install its signal handlers now, before `import runtime`.

    Both engines handle SIGSEGV and pass on faults that are not theirs to the handler
    they replaced. Our runtime warns (and a guard-memory trap would crash) when its
    handler is not the current one, so Wasmtime's must be installed first.
    """
    store = wasmtime.Store(engine())
    wasm = bytes.fromhex("0061736d01000000010401600000030201000707010373747200000a040102000b")
    wasmtime.Instance(store, wasmtime.Module(engine(), wasm), []).exports(store)["str"](store)


@dataclass
class ExportInfo:
    """An export as the calls need it: kind, and value types by name ("i32", "v128"...)."""

    name: str
    kind: str  # func | table | memory | global
    params: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    valtype: str = ""  # of a global


def describe_exports(wasm: bytes) -> list[ExportInfo]:
    """The module's exports in order, read with this project's decoder.

    Not with Wasmtime's type API: the Python package aborts the process when it has to
    make a value type for v128. The decoder is checked by the spec suite and the module
    is valid, so this costs the comparison no independence where it matters (execution).
    """
    from aot.decode import decode_module
    from aot.model import ExternKind

    m = decode_module(wasm)
    func_types = m.all_func_types()
    global_types = [i.desc.valtype for i in m.imports_of(ExternKind.GLOBAL)] + \
        [g.type.valtype for g in m.globals]
    out = []
    for e in m.exports:
        info = ExportInfo(e.name, e.kind.name.lower())
        if e.kind is ExternKind.FUNC:
            ft = m.types[func_types[e.index]]
            info.params = [t.text for t in ft.params]
            info.results = [t.text for t in ft.results]
        elif e.kind is ExternKind.GLOBAL:
            info.valtype = global_types[e.index].text
        out.append(info)
    return out


def _trap_name(e: wasmtime.Trap) -> str:
    code = e.trap_code
    return _TRAPS.get(code, f"other:{code.name if code is not None else e.message}")


def _to_raw(store, t: str, bits: int) -> ffi.wasmtime_val_t:
    if t in ("funcref", "externref"):  # only null references are passed
        return wasmtime.Val._convert_to_raw(store, getattr(wasmtime.ValType, t)(), None)
    raw = ffi.wasmtime_val_t(kind=_KINDS[t].value)
    if t == "v128":
        ctypes.memmove(raw.of.v128, (bits & ((1 << 128) - 1)).to_bytes(16, "little"), 16)
    elif t in ("i32", "f32"):
        raw.of.i32 = ctypes.c_int32(bits & 0xFFFFFFFF).value
    else:
        raw.of.i64 = ctypes.c_int64(bits & ((1 << 64) - 1)).value
    return raw


def _from_raw(store, t: str, raw: ffi.wasmtime_val_t) -> int:
    if t in ("funcref", "externref"):
        return 0 if wasmtime.Val._from_raw(store, raw).value is None else 1
    if t == "v128":
        return int.from_bytes(bytes(raw.of.v128), "little")
    if t in ("i32", "f32"):
        return raw.of.i32 & 0xFFFFFFFF
    return raw.of.i64 & ((1 << 64) - 1)


def call_raw(store, func: wasmtime.Func, params: list[str], results: list[str],
             args: list[int]) -> list[int]:
    """Call `func` with exact bits; returns the results' bits; raises wasmtime.Trap."""
    params_arr = (ffi.wasmtime_val_t * max(len(params), 1))()
    for i, (t, b) in enumerate(zip(params, args)):
        params_arr[i] = _to_raw(store, t, b)
    results_arr = (ffi.wasmtime_val_t * max(len(results), 1))()
    with enter_wasm(store) as trap:
        error = ffi.wasmtime_func_call(store._context(), ctypes.byref(func._func), params_arr,
                                       len(params), results_arr, len(results), trap)
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
    return [_from_raw(store, t, results_arr[i]) for i, t in enumerate(results)]


def _global_bits(store, g: wasmtime.Global, t: str) -> int:
    raw = ffi.wasmtime_val_t()
    ffi.wasmtime_global_get(store._context(), ctypes.byref(g._global), ctypes.byref(raw))
    return _from_raw(store, t, raw)


def _python_value(t: str, bits: int):
    """A Python value with exactly these bits (hostenv's globals: never NaN)."""
    if t == "f32":
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    if t == "f64":
        return struct.unpack("<d", struct.pack("<Q", bits))[0]
    return ctypes.c_int32(bits).value if t == "i32" else ctypes.c_int64(bits).value


def _table_flags(store, table: wasmtime.Table) -> list[int]:
    """0/1 per element: null or not. (`Table.get` returns a `Val` holding None for null.)"""
    flags = []
    for i in range(table.size(store)):
        v = table.get(store, i)
        flags.append(int(not (v is None or (isinstance(v, wasmtime.Val) and v.value is None))))
    return flags


class _Host:
    """The imports of `hostenv`, made for one Wasmtime store."""

    def __init__(self, store: wasmtime.Store):
        self.log = hostenv.HostLog()
        self.by_name = {}
        for imp in hostenv.IMPORTS:
            self.by_name[imp.name] = self._make(store, imp)

    def _make(self, store, imp):
        vt = wasmtime.ValType
        if isinstance(imp, hostenv.FuncImport):
            ft = wasmtime.FuncType([getattr(vt, t)() for t in imp.params],
                                   [getattr(vt, t)() for t in imp.results])
            return wasmtime.Func(store, ft, lambda *a, imp=imp: self.log.call(imp, a))
        if isinstance(imp, hostenv.MemoryImport):
            mem = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(imp.min, imp.max)))
            mem.write(store, hostenv.MEMORY_INIT, 0)
            return mem
        if isinstance(imp, hostenv.TableImport):
            tt = wasmtime.TableType(getattr(vt, imp.elem)(), wasmtime.Limits(imp.min, imp.max))
            return wasmtime.Table(store, tt, None)
        gt = wasmtime.GlobalType(getattr(vt, imp.valtype)(), imp.mutable)
        return wasmtime.Global(store, gt, _python_value(imp.valtype, imp.bits))


def run(wasm: bytes, args_seed: int, calls_per_export: int) -> Outcome:
    """Instantiate `wasm` with the `hostenv` imports, call every exported function
    `calls_per_export` times (exports in order), and record everything observable."""
    store = wasmtime.Store(engine())
    module = wasmtime.Module(engine(), wasm)  # a generated module that Wasmtime rejects is a bug in the setup
    host = _Host(store)
    imports = []
    for imp in module.imports:
        if imp.module != hostenv.MODULE or imp.name not in host.by_name:
            raise ValueError(f"module imports {imp.module}.{imp.name}, which hostenv lacks")
        imports.append(host.by_name[imp.name])
    out = Outcome()
    try:
        instance = wasmtime.Instance(store, module, imports)
    except wasmtime.Trap as e:
        out.instantiate = f"trap:{_trap_name(e)}"
        instance = None
    except wasmtime.WasmtimeError as e:
        out.instantiate = f"error:{str(e).splitlines()[0]}"
        instance = None
    out.start_host = host.log.take()
    exports = instance.exports(store) if instance is not None else {}
    described = describe_exports(wasm)
    if instance is not None:
        _run_calls(store, exports, described, host, args_seed, calls_per_export, out)
    _record_state(store, exports, described, host, out)
    return out


def _run_calls(store, exports, described, host, args_seed, calls_per_export, out) -> None:
    for e_index, export in enumerate(described):
        if export.kind != "func":
            continue
        func = exports[export.name]
        for k in range(calls_per_export):
            args = call_args(args_seed, e_index, k, export.params)
            call = Call(export.name, args)
            try:
                bits = call_raw(store, func, export.params, export.results, args)
                call.values = list(zip(export.results, bits))
            except wasmtime.Trap as e:
                call.trap = _trap_name(e)
            except wasmtime.WasmtimeError as e:
                call.error = str(e).splitlines()[0]
            call.host = host.log.take()
            out.calls.append(call)
            if call.trap == "stack_overflow":
                return  # what follows is not comparable (see outcome.compare)


def _record_state(store, exports, described, host, out) -> None:
    for export in described if exports else ():
        obj = exports[export.name]
        if export.kind == "memory":
            out.memories[export.name] = bytes(obj.read(store, 0, obj.data_len(store)))
        elif export.kind == "global":
            out.globals[export.name] = (export.valtype, _global_bits(store, obj, export.valtype))
        elif export.kind == "table":
            out.tables[export.name] = _table_flags(store, obj)
    for imp in hostenv.IMPORTS:
        obj = host.by_name[imp.name]
        if isinstance(imp, hostenv.MemoryImport):
            out.memories[f"import:{imp.name}"] = bytes(obj.read(store, 0, obj.data_len(store)))
        elif isinstance(imp, hostenv.GlobalImport):
            out.globals[f"import:{imp.name}"] = (imp.valtype, _global_bits(store, obj, imp.valtype))
        elif isinstance(imp, hostenv.TableImport):
            out.tables[f"import:{imp.name}"] = _table_flags(store, obj)
