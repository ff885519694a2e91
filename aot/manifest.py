"""The manifest: a JSON description of a compiled module, embedded in its `.so`.

The runtime needs nothing else to instantiate a module: types, imports, exports,
tables, memories, globals, segments, the memory strategy, the target and the vmctx
layout. Data segment bytes live in the `aot_data` symbol; the manifest gives each
segment's start and length there.

Constant expressions are lists of `[op, imm]`: `["i32.const", -1]`,
`["f32.const", bits]`, `["v128.const", bits]` (the 16 bytes as one little-endian
unsigned int), `["ref.null", "funcref"]`, `["ref.func", 3]`, `["global.get", 0]`
(imm is null for ops without one).
"""
from __future__ import annotations

import json
from typing import Any

from .abi import FORMAT_VERSION, VMContextLayout
from .errors import AotError
from .model import (ConstExpr, ExternKind, FuncType, GlobalType, Instr, Limits,
                    MemoryType, Module, TableType, ValType)


class FormatVersionError(AotError):
    """A `.so` was made by a compiler with another manifest/ABI format version."""


def expr_to_json(expr: ConstExpr | None) -> list | None:
    if expr is None:
        return None
    out = []
    for ins in expr:
        imm = ins.imm
        if isinstance(imm, ValType):
            imm = imm.text
        elif isinstance(imm, bytes):  # v128.const: JSON has no bytes
            imm = int.from_bytes(imm, "little")
        out.append([ins.op, imm])
    return out


def _limits(lim: Limits) -> dict:
    return {"min": lim.min, "max": lim.max}


def _import_json(imp) -> dict:
    d: dict[str, Any] = {"module": imp.module, "name": imp.name, "kind": imp.kind.name.lower()}
    desc = imp.desc
    if imp.kind is ExternKind.FUNC:
        d["type"] = desc
    elif imp.kind is ExternKind.TABLE:
        d.update(elem=desc.elem.text, **_limits(desc.limits))
    elif imp.kind is ExternKind.MEMORY:
        d.update(**_limits(desc.limits))
    else:
        d.update(valtype=desc.valtype.text, mutable=desc.mutable)
    return d


def build_manifest(module: Module, *, strategy: str, target: str, compiler_version: str,
                   data_starts: list[int], interrupt_checks: bool = False) -> dict:
    """The manifest of `module` compiled with these options.

    `data_starts[i]` is where data segment i's bytes begin in the `aot_data` blob.
    `interrupt_checks`: whether the code polls TCtx.INTERRUPT (aot.translate.interrupt);
    without, the runtime interrupts it by signal only.
    """
    return {
        "format_version": FORMAT_VERSION,
        "compiler_version": compiler_version,
        "strategy": strategy,
        "interrupt_checks": interrupt_checks,
        "target": target,
        "types": [{"params": [t.text for t in ft.params], "results": [t.text for t in ft.results]}
                  for ft in module.types],
        "imports": [_import_json(i) for i in module.imports],
        "funcs": list(module.funcs),
        "tables": [{"elem": t.elem.text, **_limits(t.limits)} for t in module.tables],
        "memories": [_limits(m.limits) for m in module.memories],
        "globals": [{"valtype": g.type.valtype.text, "mutable": g.type.mutable,
                     "init": expr_to_json(g.init)} for g in module.globals],
        "exports": [{"name": e.name, "kind": e.kind.name.lower(), "index": e.index}
                    for e in module.exports],
        "start": module.start,
        "elems": [{"mode": s.mode.value, "elem_type": s.elem_type.text, "table": s.table,
                   "offset": expr_to_json(s.offset), "items": [expr_to_json(e) for e in s.items]}
                  for s in module.elems],
        "datas": [{"mode": s.mode.value, "memory": s.memory, "offset": expr_to_json(s.offset),
                   "start": data_starts[i], "length": len(s.data)}
                  for i, s in enumerate(module.datas)],
        "func_names": {str(k): v for k, v in module.func_names.items()},
        "vmctx": VMContextLayout.for_module(module).to_dict(),
    }


def encode(manifest: dict) -> bytes:
    return json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()


def decode(raw: bytes, source: str = "<module>") -> dict:
    """Parse an embedded manifest, refusing another format version with a clear error."""
    try:
        m = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise FormatVersionError(f"{source}: not an aot-wasm module (manifest unreadable: {e})") from None
    version = m.get("format_version") if isinstance(m, dict) else None
    if version != FORMAT_VERSION:
        raise FormatVersionError(
            f"{source}: compiled for format version {version}, this runtime reads version "
            f"{FORMAT_VERSION}; recompile it with this version of `aot compile`")
    return m


# ---- helpers for readers of a decoded manifest ------------------------------------------

def functype(d: dict) -> FuncType:
    return FuncType(tuple(ValType.from_text(t) for t in d["params"]),
                    tuple(ValType.from_text(t) for t in d["results"]))


def limits(d: dict) -> Limits:
    return Limits(d["min"], d["max"])


def tabletype(d: dict) -> TableType:
    return TableType(ValType.from_text(d["elem"]), limits(d))


def memorytype(d: dict) -> MemoryType:
    return MemoryType(limits(d))


def globaltype(d: dict) -> GlobalType:
    return GlobalType(ValType.from_text(d["valtype"]), d["mutable"])


def expr_from_json(e: list | None) -> ConstExpr | None:
    if e is None:
        return None
    return tuple(Instr(op, imm.to_bytes(16, "little") if op == "v128.const" else imm, 0)
                 for op, imm in e)
