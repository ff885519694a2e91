"""The host environment both engines give a generated module: same imports, same behaviour.

`IMPORTS` lists what a module may import (smith is told so through `--available-imports`,
see `available_imports_wasm`). Each engine builds these objects its own way, but from
the values defined here, and every host function is `HostLog.call`: a pure function of
its name, arguments and how many host calls came before, which also records the call.
So two correct engines see identical host results and produce identical call logs.

Floats crossing the Python boundary lose the difference between NaN payloads (both
engines convert them through Python floats), so the log records a NaN argument as
"nan", and host functions never return NaN.
"""
from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass

MODULE = "env"


@dataclass(frozen=True)
class FuncImport:
    name: str
    params: tuple[str, ...]
    results: tuple[str, ...]


@dataclass(frozen=True)
class MemoryImport:
    name: str
    min: int
    max: int


@dataclass(frozen=True)
class TableImport:
    name: str
    elem: str
    min: int
    max: int


@dataclass(frozen=True)
class GlobalImport:
    name: str
    valtype: str
    mutable: bool
    bits: int  # initial value (numeric types only)


IMPORTS = (
    FuncImport("h_v", (), ()),
    FuncImport("h_i_i", ("i32",), ("i32",)),
    FuncImport("h_li_l", ("i64", "i32"), ("i64",)),
    FuncImport("h_fd_d", ("f32", "f64"), ("f64",)),
    FuncImport("h_i_if", ("i32",), ("i32", "f32")),  # multi-value results through the adapter
    FuncImport("h_d_i", ("f64",), ("i32",)),
    FuncImport("h_ilfd_v", ("i32", "i64", "f32", "f64"), ()),
    FuncImport("h_re_i", ("funcref", "externref"), ("i32",)),
    MemoryImport("mem", 1, 4),
    TableImport("tab", "funcref", 4, 32),
    GlobalImport("g_i32", "i32", False, 0x12345678),
    GlobalImport("g_mut_i64", "i64", True, 0xFEDCBA9876543210),
    GlobalImport("g_f32", "f32", False, 0x3FC00000),  # 1.5
    GlobalImport("g_mut_f64", "f64", True, 0xC00921FB54442D18),  # -pi
    GlobalImport("g_mut_i32", "i32", True, 0xFFFFFFFF),
)

MEMORY_INIT = bytes((i * 37 + 11) & 0xFF for i in range(512))
"""What an imported memory holds at offset 0 before instantiation (the rest is zero)."""


def available_imports_wat() -> str:
    """A module whose imports are `IMPORTS`, in the text format."""
    lines = ["(module"]
    for imp in IMPORTS:
        head = f'  (import "{MODULE}" "{imp.name}" '
        if isinstance(imp, FuncImport):
            params = f" (param {' '.join(imp.params)})" if imp.params else ""
            results = f" (result {' '.join(imp.results)})" if imp.results else ""
            lines.append(head + f"(func{params}{results}))")
        elif isinstance(imp, MemoryImport):
            lines.append(head + f"(memory {imp.min} {imp.max}))")
        elif isinstance(imp, TableImport):
            lines.append(head + f"(table {imp.min} {imp.max} {imp.elem}))")
        else:
            t = f"(mut {imp.valtype})" if imp.mutable else imp.valtype
            lines.append(head + f"(global {t}))")
    lines.append(")")
    return "\n".join(lines) + "\n"


# ---- host function behaviour ------------------------------------------------------

def arg_key(t: str, value) -> str:
    """How a host function's argument is logged: exact where both engines can be exact."""
    if t in ("funcref", "externref"):
        return "null" if value is None else "ref"
    if t == "f32" or t == "f64":
        if math.isnan(value):
            return "nan"
        fmt, ufmt = ("<f", "<I") if t == "f32" else ("<d", "<Q")
        return hex(struct.unpack(ufmt, struct.pack(fmt, value))[0])
    width = 32 if t == "i32" else 64
    return hex(value & ((1 << width) - 1))


def _finite_float(t: str, bits: int) -> float:
    """A float of type `t` from `bits`, NaN turned into infinity (exactly representable)."""
    if t == "f32":
        bits &= 0xFFFFFFFF
        if (bits >> 23) & 0xFF == 0xFF:
            bits &= 0xFF800000
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    bits &= (1 << 64) - 1
    if (bits >> 52) & 0x7FF == 0x7FF:
        bits &= 0xFFF0000000000000
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def _signed(bits: int, width: int) -> int:
    bits &= (1 << width) - 1
    return bits - (1 << width) if bits >> (width - 1) else bits


class HostLog:
    """The host side of one instance: answers host calls and records them."""

    def __init__(self) -> None:
        self.calls: list[str] = []  # "name(arg,...)" per call, in order
        self.count = 0

    def call(self, imp: FuncImport, args: tuple):
        """Python values in, Python values out (None, one value, or a tuple)."""
        keys = [arg_key(t, a) for t, a in zip(imp.params, args)]
        self.calls.append(f"{imp.name}({','.join(keys)})")
        seed = hashlib.sha256(f"{imp.name}|{self.count}|{'|'.join(keys)}".encode()).digest()
        self.count += 1
        out = []
        for i, t in enumerate(imp.results):
            word = int.from_bytes(seed[8 * i:8 * i + 8], "little")
            if t == "i32":
                # Small values now and then, so results used as addresses or indices hit.
                out.append(_signed(word if word & 1 else word % 1024, 32))
            elif t == "i64":
                out.append(_signed(word, 64))
            elif t in ("f32", "f64"):
                out.append(_finite_float(t, word))
            else:
                out.append(None)
        if not out:
            return None
        return out[0] if len(out) == 1 else tuple(out)

    def take(self) -> list[str]:
        """The calls recorded since the last take."""
        calls, self.calls = self.calls, []
        return calls
