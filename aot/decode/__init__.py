"""Binary decoder: WebAssembly 2.0 bytes → `aot.model.Module` (see `decode_module`)."""
from .module import decode_module

__all__ = ["decode_module"]
