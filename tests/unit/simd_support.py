"""Shared by the test_simd_*.py files: building SIMD test modules in several ways, and
packing/unpacking v128 lanes.

Builds ("variants") of one module, all run on this machine:
- "host": `runtime.load` as users get it, tuned to this CPU; target-specific lowering
  (pshufb, pmulhrsw, cvttps2dq... on x86-64) is used where the CPU has it.
- "portable": compiled for this CPU by name, with no known feature list, so the lowering
  takes its portable IR paths (LLVM may still pick any instruction of the CPU).
- "baseline": x86-64 hosts only, compiled for the x86-64 baseline (SSE2): the portable
  paths with the least the backend has to work with.
"""
from __future__ import annotations

import os
import platform
import shutil
import struct
import subprocess
import sys

import llvmlite.binding as llvm

import runtime
from aot.compiler import compile_wasm

WASM_TOOLS = shutil.which("wasm-tools") or os.path.join(os.path.dirname(sys.executable), "wasm-tools")

VARIANTS = ("host", "portable", "baseline") if platform.machine() == "x86_64" else ("host", "portable")
STRATEGIES = ("guard", "bounds")


def wat(text: str) -> bytes:
    return subprocess.run([WASM_TOOLS, "parse", "-"], input=text.encode(), capture_output=True,
                          check=True).stdout


def instantiate(text: str, variant: str, strategy: str, cache_dir: str, imports=None):
    """An instance of the WAT module `text`, built as `variant` (see the module docstring)."""
    wasm = wat(text)
    if variant == "host":
        module = runtime.load(wasm, memory=strategy, cache_dir=cache_dir)
    else:
        cpu = llvm.get_host_cpu_name() if variant == "portable" else "x86-64"
        so = compile_wasm(wasm, memory=strategy, cpu=cpu)
        module = runtime.load(so, memory=strategy, cache_dir=cache_dir)
    return module.instantiate(imports or {})


# ---- lanes -----------------------------------------------------------------------------------

_CODES = {"i8": "b", "u8": "B", "i16": "h", "u16": "H", "i32": "i", "u32": "I",
          "i64": "q", "u64": "Q", "f32": "f", "f64": "d"}


def _fmt(lane: str) -> str:
    bits = int(lane[1:])
    return f"<{128 // bits}{_CODES[lane]}"


def v128(lane: str, values) -> bytes:
    """16 bytes holding `values` as lanes of type `lane` ("i8", "u16", "f32", ...)."""
    values = list(values)
    count = 128 // int(lane[1:])
    if len(values) == 1:
        values *= count
    return struct.pack(_fmt(lane), *values)


def lanes(lane: str, value) -> list:
    """The lanes of a v128 result (an int, as the runtime returns it, or bytes)."""
    data = value.to_bytes(16, "little") if isinstance(value, int) else bytes(value)
    return list(struct.unpack(_fmt(lane), data))


def f32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


F32_SNAN = 0x7FA00000  # signalling (quiet bit clear), with a payload
F64_SNAN = 0x7FF4000000000000
F32_CANONICAL = 0x7FC00000
F64_CANONICAL = 0x7FF8000000000000


def is_quiet_nan(bits: int, width: int) -> bool:
    """Exponent all ones with the quiet bit set (an arithmetic NaN), either sign."""
    quiet = 0x7FC00000 if width == 32 else 0x7FF8000000000000
    return bits & quiet == quiet


def is_canonical_nan(bits: int, width: int) -> bool:
    sign = 1 << (width - 1)
    return bits & ~sign == (F32_CANONICAL if width == 32 else F64_CANONICAL)


def module(binary=(), unary=(), shift=(), extra: str = "") -> str:
    """WAT of a module exporting, under its own name, each op of `binary`
    ((v128 v128) -> v128), `unary` ((v128) -> v128) and `shift` ((v128 i32) -> v128),
    plus the functions in `extra`, with one page of memory."""
    funcs = [f'(func (export "{op}") (param v128 v128) (result v128) '
             f'({op} (local.get 0) (local.get 1)))' for op in binary]
    funcs += [f'(func (export "{op}") (param v128) (result v128) ({op} (local.get 0)))'
              for op in unary]
    funcs += [f'(func (export "{op}") (param v128 i32) (result v128) '
              f'({op} (local.get 0) (local.get 1)))' for op in shift]
    return "(module (memory 1)\n  " + "\n  ".join(funcs) + "\n" + extra + ")"


def edge_values(lane: str) -> list[int]:
    """The interesting values of an integer lane type, as Python ints of that type."""
    bits = int(lane[1:])
    if lane[0] == "u":
        return [0, 1, 2, (1 << (bits - 1)) - 1, 1 << (bits - 1), (1 << bits) - 2, (1 << bits) - 1]
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return [lo, lo + 1, -2, -1, 0, 1, 2, hi - 1, hi]


def wrap(value: int, lane: str) -> int:
    """`value` wrapped to integer lane type `lane`."""
    bits = int(lane[1:])
    value &= (1 << bits) - 1
    if lane[0] == "i" and value >> (bits - 1):
        value -= 1 << bits
    return value
