"""Lowering of a decoded, validated Wasm module to an LLVM module (llvmlite IR).

`translate_module(module, strategy=..., triple=..., data_layout=..., compiler_version=...)`
"""
from __future__ import annotations

from .module import translate_module

__all__ = ["translate_module"]
