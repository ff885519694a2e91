"""Exception types raised by the compiler, one per kind of failure."""
from __future__ import annotations


class AotError(Exception):
    """Base class of every error this package raises for a user's input or setup."""


class _LocatedError(AotError):
    """An error about a byte range of a module: carries the offset and function index."""

    kind = "error"

    def __init__(self, message: str, offset: int | None = None, func_index: int | None = None):
        self.message = message
        self.offset = offset
        self.func_index = func_index
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line: what is wrong and where."""
        where = []
        if self.offset is not None:
            where.append(f"at byte offset {self.offset:#x}")
        if self.func_index is not None:
            where.append(f"in function {self.func_index}")
        return f"{self.kind}: {self.message}" + (f" ({', '.join(where)})" if where else "")


class DecodeError(_LocatedError):
    """The bytes are not a well-formed WebAssembly binary (the spec's 'malformed')."""

    kind = "malformed module"


class ValidationError(_LocatedError):
    """The module is well-formed but does not type-check (the spec's 'invalid')."""

    kind = "invalid module"


class CompileError(AotError):
    """Lowering or code generation failed; names the function and instruction when known."""


class ToolchainError(AotError):
    """A required external tool (linker, wasm-tools) is missing or failed."""
