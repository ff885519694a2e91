"""The `spectest` host module that the spec suite imports from.

Its contents are fixed by the suite (see the reference interpreter's `spectest.ml`):
print functions that do nothing observable, four globals holding 666 / 666.6, a funcref
table of 10..20 elements and a memory of 1..2 pages.
"""
from __future__ import annotations

from aot.model import FuncType, GlobalType, ValType

_I32, _I64, _F32, _F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64

PRINT_FUNCS = {
    "print": (),
    "print_i32": (_I32,),
    "print_i64": (_I64,),
    "print_f32": (_F32,),
    "print_f64": (_F64,),
    "print_i32_f32": (_I32, _F32),
    "print_f64_f64": (_F64, _F64),
}


def _ignore(*_args) -> None:
    """The suite only checks that calls link and run; printing would flood the output."""
    return None


def make_spectest(runtime, strategy: str) -> dict:
    """Fresh spectest externs. Create once per file run: every instantiation in a file
    must see the same table, memory and globals, as in the reference interpreter."""
    externs: dict = {
        name: runtime.Func(_ignore, FuncType(params, ())) for name, params in PRINT_FUNCS.items()
    }
    externs["global_i32"] = runtime.Global(GlobalType(_I32, False), 666)
    externs["global_i64"] = runtime.Global(GlobalType(_I64, False), 666)
    externs["global_f32"] = runtime.Global(GlobalType(_F32, False), 666.6)
    externs["global_f64"] = runtime.Global(GlobalType(_F64, False), 666.6)
    externs["table"] = runtime.Table(ValType.FUNCREF, 10, 20)
    # A module compiled for one memory strategy can only import memories of the same one.
    externs["memory"] = runtime.Memory(1, 2, strategy=strategy)
    return externs
