"""The engine under test: run a module with this project's compiler and runtime → `Outcome`.

Mirrors `engine_wasmtime.run` step by step, so the two outcomes are comparable.
"""
from __future__ import annotations

import struct

import runtime
from aot.abi import TrapCode
from aot.model import FuncType, GlobalType, ValType

from . import hostenv
from .outcome import Call, Outcome
from .values import call_args

_TRAPS = {
    TrapCode.UNREACHABLE: "unreachable",
    TrapCode.MEMORY_OUT_OF_BOUNDS: "memory_oob",
    TrapCode.TABLE_OUT_OF_BOUNDS: "table_oob",
    TrapCode.UNDEFINED_ELEMENT: "table_oob",  # Wasmtime reports an index past the end so
    TrapCode.INTEGER_DIVIDE_BY_ZERO: "div_by_zero",
    TrapCode.INTEGER_OVERFLOW: "int_overflow",
    TrapCode.INVALID_CONVERSION_TO_INTEGER: "bad_conversion",
    TrapCode.INDIRECT_CALL_TYPE_MISMATCH: "bad_signature",
    TrapCode.UNINITIALIZED_ELEMENT: "null_element",
    TrapCode.NULL_REFERENCE: "null_reference",
    TrapCode.CALL_STACK_EXHAUSTED: "stack_overflow",
}

_VALTYPES = {t.text: t for t in ValType}
_WIDTH = {"i32": 32, "f32": 32, "i64": 64, "f64": 64, "v128": 128}


def _trap_name(e: runtime.Trap) -> str:
    return _TRAPS.get(e.kind, f"other:{e.kind.name if e.kind is not None else e.message}")


def _bits(t: str, bits: int) -> int:
    """Result bits as the outcome records them: references only as null or not."""
    if t in ("funcref", "externref"):
        return int(bits != 0)
    return bits & ((1 << _WIDTH[t]) - 1)


def _python_value(t: str, bits: int):
    """A Python value with exactly these bits (used for the hostenv globals, never NaN)."""
    if t == "f32":
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    if t == "f64":
        return struct.unpack("<d", struct.pack("<Q", bits))[0]
    width = _WIDTH[t]
    bits &= (1 << width) - 1
    return bits - (1 << width) if bits >> (width - 1) else bits


class _Host:
    """The imports of `hostenv`, made for one instance of one memory strategy."""

    def __init__(self, strategy: str):
        self.log = hostenv.HostLog()
        self.by_name = {imp.name: self._make(imp, strategy) for imp in hostenv.IMPORTS}

    def _make(self, imp, strategy: str):
        if isinstance(imp, hostenv.FuncImport):
            ft = FuncType(tuple(_VALTYPES[t] for t in imp.params),
                          tuple(_VALTYPES[t] for t in imp.results))
            return runtime.Func(lambda *a: self.log.call(imp, a), ft)
        if isinstance(imp, hostenv.MemoryImport):
            mem = runtime.Memory(imp.min, imp.max, strategy=strategy)
            mem.write(0, hostenv.MEMORY_INIT)
            return mem
        if isinstance(imp, hostenv.TableImport):
            return runtime.Table(_VALTYPES[imp.elem], imp.min, imp.max)
        return runtime.Global(GlobalType(_VALTYPES[imp.valtype], imp.mutable),
                              _python_value(imp.valtype, imp.bits))


def _global_bits(g: runtime.Global, t: str) -> int:
    # The exact bits: `.value` goes through a Python float, which quiets f32 sNaNs.
    # A global is a 16-byte slot of two little-endian words (runtime/_values.py).
    return _bits(t, int(g._slot[0]) | (int(g._slot[1]) << 64))


def load(wasm: bytes, strategy: str, opt_level: int, cache_dir: str) -> runtime.Module:
    """Compile and load; DecodeError/ValidationError/CompileError propagate."""
    return runtime.load(wasm, memory=strategy, opt_level=opt_level, cache_dir=cache_dir)


def run(module: runtime.Module, export_order: list[str], args_seed: int,
        calls_per_export: int) -> Outcome:
    """Like engine_wasmtime.run, for a loaded module. `export_order` is the export
    section's order (which numbers the exports for `values.call_args`)."""
    host = _Host(module.strategy.value)
    imports = {hostenv.MODULE: host.by_name}
    out = Outcome()
    try:
        instance = module.instantiate(imports)
    except runtime.Trap as e:
        out.instantiate = f"trap:{_trap_name(e)}"
        instance = None
    except runtime.Error as e:
        out.instantiate = f"error:{str(e).splitlines()[0]}"
        instance = None
    out.start_host = host.log.take()
    exports = instance.exports if instance is not None else None
    if exports is not None:
        for e_index, name in enumerate(export_order):
            f = exports[name]
            if not isinstance(f, runtime.Func):
                continue
            params = [t.text for t in f.type.params]
            results = [t.text for t in f.type.results]
            stop = False
            for k in range(calls_per_export):
                args = call_args(args_seed, e_index, k, params)
                call = Call(name, args)
                try:
                    got = f.call_raw(*args)
                    call.values = [(t, _bits(t, b)) for t, b in zip(results, got)]
                except runtime.Trap as e:
                    call.trap = _trap_name(e)
                except Exception as e:  # an engine failure, reported as a mismatch
                    call.error = f"{type(e).__name__}: {e}"
                call.host = host.log.take()
                out.calls.append(call)
                if call.trap == "stack_overflow":
                    stop = True
                    break
            if stop:
                break
        for name in export_order:
            obj = exports[name]
            if isinstance(obj, runtime.Memory):
                out.memories[name] = obj.read(0, obj.data_len)
            elif isinstance(obj, runtime.Global):
                vt = obj.type.valtype.text
                out.globals[name] = (vt, _global_bits(obj, vt))
            elif isinstance(obj, runtime.Table):
                out.tables[name] = [int(obj.get(i) is not None) for i in range(obj.size)]
    for imp in hostenv.IMPORTS:
        obj = host.by_name[imp.name]
        if isinstance(imp, hostenv.MemoryImport):
            out.memories[f"import:{imp.name}"] = obj.read(0, obj.data_len)
        elif isinstance(imp, hostenv.GlobalImport):
            out.globals[f"import:{imp.name}"] = (imp.valtype, _global_bits(obj, imp.valtype))
        elif isinstance(imp, hostenv.TableImport):
            out.tables[f"import:{imp.name}"] = [int(obj.get(i) is not None) for i in range(obj.size)]
    return out
