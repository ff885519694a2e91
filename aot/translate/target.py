"""What the lowering may assume about the machine the code will run on.

Most lowering is target-independent LLVM IR. A few SIMD operators have a single native
instruction that generic IR cannot reach (aarch64 `tbl`, `sqrdmulh`, `fcvtzs` on
vectors; x86 `pshufb`, `pmulhrsw`, `cvttps2dq`); those handlers ask a `TargetInfo`
whether the instruction is certainly available. An x86-64 feature counts only when it
is known, i.e. for a build for this host's CPU; other builds get the portable IR.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

_ARCH_ALIASES = {"arm64": "aarch64", "amd64": "x86_64"}


@dataclass(frozen=True)
class TargetInfo:
    """The target architecture and the CPU features known to be present."""

    arch: str
    """"x86_64", "aarch64", or the first component of any other triple."""
    features: frozenset[str] = frozenset()
    """Feature names without sign ("ssse3", "avx2"); beyond the arch baseline, only these
    may be assumed."""

    @classmethod
    def from_triple(cls, triple: str, features: str | Iterable[str] = ()) -> "TargetInfo":
        """`features`: LLVM's "+a,-b,+c" string (only "+" entries count) or plain names."""
        arch = triple.split("-", 1)[0].lower()
        if isinstance(features, str):
            names = {f[1:] for f in features.split(",") if f.startswith("+")}
        else:
            names = {f.lstrip("+") for f in features}
        return cls(_ARCH_ALIASES.get(arch, arch), frozenset(names))

    @property
    def is_x86_64(self) -> bool:
        return self.arch == "x86_64"

    @property
    def is_aarch64(self) -> bool:
        """AArch64: Advanced SIMD (NEON) is part of the baseline."""
        return self.arch == "aarch64"

    def has(self, feature: str) -> bool:
        """True only when `feature` is known to be present (SSE2 is x86-64's baseline)."""
        return feature in self.features or (self.is_x86_64 and feature == "sse2")


__all__ = ["TargetInfo"]
