"""Lowering of every WebAssembly 2.0 SIMD (v128) instruction to LLVM vector IR (the facade).

The families, one module each:
- `simd_lanes`: v128.const, i8x16.shuffle/swizzle, splat, extract_lane, replace_lane
- `simd_memory`: v128 loads and stores of every kind (through the memory strategy)
- `simd_bitwise`: not/and/andnot/or/xor/bitselect, any_true, all_true, bitmask
- `simd_int`: integer lane arithmetic, shifts, saturation, comparisons
- `simd_widen`: extend, extmul, extadd_pairwise, dot, narrow
- `simd_float`: float lane arithmetic, rounding, min/max/pmin/pmax, comparisons
- `simd_convert`: int <-> float lanes, promote/demote, saturating truncation

Shared pieces (shapes, v128 <-> vector casts, handler builders) live in `simd_base`.
Unlike the scalar numeric facade, handlers take the instruction (`handler(cx, ins)`):
many SIMD operators carry an immediate (lane, shuffle mask, memarg).
"""
from __future__ import annotations

from aot.opcodes import OPCODES, PREFIX_FD

from . import simd_bitwise, simd_convert, simd_float, simd_int, simd_lanes, simd_memory, simd_widen
from .simd_base import merge

HANDLERS = merge(simd_lanes.HANDLERS, simd_memory.HANDLERS, simd_bitwise.HANDLERS,
                 simd_int.HANDLERS, simd_widen.HANDLERS, simd_float.HANDLERS,
                 simd_convert.HANDLERS)
"""Instruction handler of every SIMD operator, by its text-format name."""

SIMD_OPS: frozenset[str] = frozenset(
    info.name for code, info in OPCODES.items() if isinstance(code, tuple) and code[0] == PREFIX_FD)
"""Text-format name of every 0xFD-prefixed instruction of the opcode table."""


def _check_complete() -> None:
    # A table bug, caught at import rather than as a CompileError on some module later.
    missing, extra = SIMD_OPS - HANDLERS.keys(), HANDLERS.keys() - SIMD_OPS
    if missing or extra:
        raise RuntimeError(f"SIMD lowering out of step with the opcode table: "
                           f"missing {sorted(missing)}, unknown {sorted(extra)}")


_check_complete()

__all__ = ["HANDLERS", "SIMD_OPS"]
