"""aot-wasm: a WebAssembly ahead-of-time compiler to native shared objects.

`import aot` is cheap: it loads only the error types. The compiler (llvmlite) is
imported on first use of `aot.compile_wasm`.
"""
from .errors import AotError, CompileError, DecodeError, ToolchainError, ValidationError

__all__ = ["AotError", "CompileError", "DecodeError", "ToolchainError", "ValidationError",
           "compile_wasm", "decode_module", "validate_module", "COMPILER_VERSION"]


def __getattr__(name):
    # Lazy so that the runtime can import aot.abi without loading LLVM.
    if name in ("compile_wasm", "COMPILER_VERSION"):
        from . import compiler
        return getattr(compiler, name)
    if name == "decode_module":
        from .decode import decode_module
        return decode_module
    if name == "validate_module":
        from .validate import validate_module
        return validate_module
    raise AttributeError(f"module 'aot' has no attribute {name!r}")
