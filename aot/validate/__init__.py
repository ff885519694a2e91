"""WebAssembly 2.0 validation.

`validate_module(module, features)` raises `ValidationError(message, offset, func_index)`
for the first rule the module breaks, and returns None for a valid module. Messages begin
with the spec test suite's wording ("type mismatch", "unknown global 3", ...) so the
spec driver can compare them by prefix.

- `module.py`: everything outside function bodies (types, limits, imports, exports,
  constant expressions, segments, start, declared function references);
- `body.py`: function bodies, with the algorithm of the spec's validation appendix: an
  operand stack of value types (`None` standing for the unknown "bottom" type) and a
  control stack of frames;
- `instructions.py`: the per-instruction rules. Simple operators take their stack
  signature from `aot.opcodes`; everything else has a small handler.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model import Module
from .module import MAX_PAGES, ModuleValidator

__all__ = ["Features", "validate_module", "MAX_PAGES"]


@dataclass(frozen=True)
class Features:
    """What the validator accepts beyond the WebAssembly 2.0 core; defaults = 2.0."""

    multi_memory: bool = False
    simd: bool = True


def validate_module(module: Module, features: Features = Features()) -> None:
    """Check `module` against the WebAssembly 2.0 validation rules (raises ValidationError)."""
    ModuleValidator(module, features).run()
