"""The binary interface between compiled modules (`.so`) and the runtime.

This file is the single source of truth for it. The runtime's C header
(`runtime/native/aot_abi.h`) mirrors the struct layouts below, and a test checks
that both agree. Change anything here and bump FORMAT_VERSION.

Calling convention of compiled code
-----------------------------------
Every Wasm function (defined, imported, host adapter) has the native signature

    results fn(ptr vmctx, ptr tctx, params...)

- `vmctx`: the callee instance's context (layout: VMContextLayout). For host
  functions it is a HostContext instead.
- `tctx`: the per-call thread context (TCTX_*), created by the runtime's entry
  function `aot_invoke` on the native stack. Carries the stack limit.
- Wasm i32/i64/f32/f64 map to LLVM i32/i64/float/double; funcref and externref
  map to `ptr` (0 = null; a funcref points at a VMFuncRef); v128 maps to i128 (lane 0
  in the low bits; the SIMD lowering bitcasts it to LLVM vector types inside functions).
- No results: void. One result: that value. Several: an LLVM literal struct, with f32
  and f64 fields as i32 and i64 bits (x86-64 would return a third float in x87, which
  quiets signalling NaNs; see aot.translate.irutils.result_type).

Entry from the host: per module type index T the `.so` defines

    void aot_tramp_<T>(ptr fn, ptr vmctx, ptr tctx, ptr slots)

which reads the params from `slots` (VALUE_SLOT_SIZE bytes each, little-endian,
value in the low bytes), calls `fn(vmctx, tctx, params...)` and writes the results
back from slot 0. The runtime's C `aot_invoke` sets up trap handling and tctx around it.

Calls to the host: per module type index T the `.so` defines

    results aot_host_adapter_<T>(ptr host_ctx, ptr tctx, params...)

which stores the params into a slots buffer on its stack, calls
`host_ctx->callback(host_ctx, tctx, slots)` (returns i32 status), and on non-zero
status calls the `trap` builtin with TrapCode.HOST_EXCEPTION; else loads the results
from the slots. The runtime uses it as the `native_fn` of a host function's VMFuncRef.
"""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from functools import cached_property

from .model import ExternKind, Module

FORMAT_VERSION = 2  # 2: several results return floats as integer bits
"""Version of the `.so` layout and manifest. A runtime refuses any other version."""

WASM_PAGE_SIZE = 65536
GUARD_RESERVATION = (8 << 30) + WASM_PAGE_SIZE
"""Bytes of address space reserved per memory under the guard strategy. The last byte
an access can touch is base + (2**32 - 1) + (2**32 - 1) + 15 = base + 8 GiB + 13 (32-bit
index, 32-bit static offset, up to 16 bytes wide), so 8 GiB alone is 14 bytes short;
one more Wasm page covers it with room to spare."""

VALUE_SLOT_SIZE = 16
"""Bytes per value in the slots buffer of trampolines and host adapters (fits v128)."""


class MemoryStrategy(str, enum.Enum):
    """How linear-memory accesses are sandboxed; chosen when a module is compiled."""

    GUARD = "guard"  # 8 GiB reservation, no checks for 32-bit memories; faults become traps
    BOUNDS = "bounds"  # explicit compare against the current length before every access


class TrapCode(enum.IntEnum):
    """Why a Wasm call stopped. The numbers are shared with C (aot_abi.h)."""

    UNREACHABLE = 1
    MEMORY_OUT_OF_BOUNDS = 2
    TABLE_OUT_OF_BOUNDS = 3
    INTEGER_DIVIDE_BY_ZERO = 4
    INTEGER_OVERFLOW = 5
    INVALID_CONVERSION_TO_INTEGER = 6
    INDIRECT_CALL_TYPE_MISMATCH = 7
    UNINITIALIZED_ELEMENT = 8  # call_indirect through a null entry
    UNDEFINED_ELEMENT = 9  # call_indirect index past the table's end
    NULL_REFERENCE = 10
    CALL_STACK_EXHAUSTED = 11
    INTERRUPTED = 12
    HOST_EXCEPTION = 13  # a host function raised; the runtime re-raises that exception
    UNALIGNED_ATOMIC = 14  # reserved for threads
    EXIT = 15  # reserved for WASI proc_exit

    @property
    def message(self) -> str:
        """The spec test suite's text for this trap."""
        return _TRAP_MESSAGES[self]


_TRAP_MESSAGES = {
    TrapCode.UNREACHABLE: "unreachable",
    TrapCode.MEMORY_OUT_OF_BOUNDS: "out of bounds memory access",
    TrapCode.TABLE_OUT_OF_BOUNDS: "out of bounds table access",
    TrapCode.INTEGER_DIVIDE_BY_ZERO: "integer divide by zero",
    TrapCode.INTEGER_OVERFLOW: "integer overflow",
    TrapCode.INVALID_CONVERSION_TO_INTEGER: "invalid conversion to integer",
    TrapCode.INDIRECT_CALL_TYPE_MISMATCH: "indirect call type mismatch",
    TrapCode.UNINITIALIZED_ELEMENT: "uninitialized element",
    TrapCode.UNDEFINED_ELEMENT: "undefined element",
    TrapCode.NULL_REFERENCE: "null reference",
    TrapCode.CALL_STACK_EXHAUSTED: "call stack exhausted",
    TrapCode.INTERRUPTED: "interrupted",
    TrapCode.HOST_EXCEPTION: "host function raised an exception",
    TrapCode.UNALIGNED_ATOMIC: "unaligned atomic",
    TrapCode.EXIT: "exit",
}

NO_FUNC_INDEX = 0xFFFFFFFF
"""func_index passed to the trap builtin when the trap is not inside a Wasm function."""


# ---- runtime structs the compiled code reads (byte offsets) -------------------------

class VMFuncRef:
    """What a funcref points at: enough to call the function from anywhere."""

    NATIVE_FN = 0  # ptr: the function, native signature (vmctx, tctx, params...)
    VMCTX = 8  # ptr: the callee's vmctx (or HostContext)
    TYPE_ID = 16  # u32: canonical signature id, interned process-wide by the runtime
    SIZE = 24


class VMMemory:
    """A linear memory. Compiled code reads only BASE and LENGTH; the rest is the runtime's."""

    BASE = 0  # ptr: first byte; fixed for GUARD memories, may move on grow for BOUNDS
    LENGTH = 8  # u64: current size in bytes
    SIZE = 64  # the runtime owns bytes 16..63


class VMTable:
    """A table of pointer-sized references (VMFuncRef* or externref handles, 0 = null)."""

    ELEMENTS = 0  # ptr: u64 array; may move on grow
    LENGTH = 8  # u64: current number of elements
    SIZE = 48  # the runtime owns bytes 16..47


class VMDataSegment:
    """A data segment as memory.init sees it; data.drop sets LENGTH to 0."""

    DATA = 0  # ptr
    LENGTH = 8  # u64
    SIZE = 16


class VMElemSegment:
    """An element segment, its items evaluated at instantiation; elem.drop sets LENGTH to 0."""

    ITEMS = 0  # ptr to u64[] of references
    LENGTH = 8  # u64
    SIZE = 16


class TCtx:
    """Per-call thread context, created by aot_invoke on the native stack."""

    STACK_LIMIT = 0  # uintptr: a function whose stack pointer is below this traps
    INTERRUPT = 8  # u64: non-zero = this call was interrupted (timeout or runtime.Interrupt):
    # code compiled with interrupt checks traps INTERRUPTED at its next loop header or
    # calling function's entry (aot.translate.interrupt); the runtime's watchdog sets it
    # (and also stops code without checks by signal: runtime/native/watchdog.c)
    SIZE = 64  # the runtime owns bytes 16..63


class HostContext:
    """The 'vmctx' of a host function; its first field matches VMCtxHeader.BUILTINS."""

    BUILTINS = 0  # ptr to the builtins table
    CALLBACK = 8  # ptr: i32 callback(ptr host_ctx, ptr tctx, ptr slots)
    HANDLE = 16  # ptr: the runtime's handle for the Python callable
    SIZE = 32


class VMCtxHeader:
    """Fixed fields at the start of every instance's vmctx."""

    BUILTINS = 0  # ptr to the builtins table (Builtin order)
    RUNTIME = 8  # ptr: opaque, for the runtime
    SIZE = 64  # bytes 16..63 reserved


class Builtin(enum.IntEnum):
    """Runtime functions compiled code calls through vmctx->builtins[i] (8 bytes each).

    C signatures (u32 = uint32_t; status is 0 or a TrapCode; the caller traps on non-zero):
      TRAP          void     (u32 code, u32 func_index)            -- does not return
      MEMORY_GROW   i32      (VMMemory*, u32 delta_pages)           -- old pages or -1
      MEMORY_FILL   u32 stat (VMMemory*, u32 dst, u32 value, u32 n)
      MEMORY_COPY   u32 stat (VMMemory* dst, VMMemory* src, u32 d, u32 s, u32 n)
      MEMORY_INIT   u32 stat (VMMemory*, VMDataSegment*, u32 d, u32 s, u32 n)
      TABLE_GROW    i32      (VMTable*, u64 init_ref, u32 delta)    -- old size or -1
      TABLE_FILL    u32 stat (VMTable*, u32 i, u64 ref, u32 n)
      TABLE_COPY    u32 stat (VMTable* dst, VMTable* src, u32 d, u32 s, u32 n)
      TABLE_INIT    u32 stat (VMTable*, VMElemSegment*, u32 d, u32 s, u32 n)
    data.drop and elem.drop are inline stores of 0 to the segment's LENGTH.
    """

    TRAP = 0
    MEMORY_GROW = 1
    MEMORY_FILL = 2
    MEMORY_COPY = 3
    MEMORY_INIT = 4
    TABLE_GROW = 5
    TABLE_FILL = 6
    TABLE_COPY = 7
    TABLE_INIT = 8


NUM_BUILTINS = len(Builtin)


# ---- the per-instance context ---------------------------------------------------------

def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


@dataclass(frozen=True)
class VMContextLayout:
    """Byte offsets of every region of an instance's vmctx.

    Regions, in order after the VMCtxHeader:
      type_ids        u32 per module type: canonical signature id (for call_indirect)
      funcrefs        VMFuncRef per function (imports first): filled by the runtime
      memories        VMMemory* per memory (imports first)
      tables          VMTable* per table (imports first)
      globals         ptr per global (imports first) to its value storage
      global_storage  16 bytes per defined global (the value, little-endian)
      data_segments   VMDataSegment per data segment
      elem_segments   VMElemSegment per element segment
    """

    num_types: int
    num_funcs: int
    num_memories: int
    num_tables: int
    num_globals: int
    num_defined_globals: int
    num_datas: int
    num_elems: int

    @classmethod
    def for_module(cls, m: Module) -> "VMContextLayout":
        return cls(
            num_types=len(m.types),
            num_funcs=m.num_imported_funcs + len(m.funcs),
            num_memories=m.num_imported_memories + len(m.memories),
            num_tables=m.num_imported_tables + len(m.tables),
            num_globals=m.num_imported_globals + len(m.globals),
            num_defined_globals=len(m.globals),
            num_datas=len(m.datas),
            num_elems=len(m.elems),
        )

    @cached_property
    def type_ids(self) -> int:
        return VMCtxHeader.SIZE

    @cached_property
    def funcrefs(self) -> int:
        return _align(self.type_ids + 4 * self.num_types, 8)

    @cached_property
    def memories(self) -> int:
        return self.funcrefs + VMFuncRef.SIZE * self.num_funcs

    @cached_property
    def tables(self) -> int:
        return self.memories + 8 * self.num_memories

    @cached_property
    def globals(self) -> int:
        return self.tables + 8 * self.num_tables

    @cached_property
    def global_storage(self) -> int:
        return _align(self.globals + 8 * self.num_globals, 16)

    @cached_property
    def data_segments(self) -> int:
        return self.global_storage + 16 * self.num_defined_globals

    @cached_property
    def elem_segments(self) -> int:
        return self.data_segments + VMDataSegment.SIZE * self.num_datas

    @cached_property
    def size(self) -> int:
        return _align(self.elem_segments + VMElemSegment.SIZE * self.num_elems, 16)

    # offsets of single entries
    def type_id(self, type_index: int) -> int:
        return self.type_ids + 4 * type_index

    def funcref(self, func_index: int) -> int:
        return self.funcrefs + VMFuncRef.SIZE * func_index

    def memory(self, memory_index: int) -> int:
        return self.memories + 8 * memory_index

    def table(self, table_index: int) -> int:
        return self.tables + 8 * table_index

    def global_ptr(self, global_index: int) -> int:
        return self.globals + 8 * global_index

    def defined_global(self, defined_index: int) -> int:
        return self.global_storage + 16 * defined_index

    def data_segment(self, index: int) -> int:
        return self.data_segments + VMDataSegment.SIZE * index

    def elem_segment(self, index: int) -> int:
        return self.elem_segments + VMElemSegment.SIZE * index

    def to_dict(self) -> dict:
        d = asdict(self)
        d["size"] = self.size
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "VMContextLayout":
        fields = {k: d[k] for k in cls.__dataclass_fields__}
        return cls(**fields)


# ---- symbols every `.so` defines -------------------------------------------------------

SYM_MANIFEST = "aot_manifest"  # const u8[]: the JSON manifest (see aot.manifest)
SYM_MANIFEST_LEN = "aot_manifest_len"  # const u64
SYM_DATA = "aot_data"  # const u8[]: every data segment's bytes, concatenated
SYM_FUNCTIONS = "aot_functions"  # const ptr[]: native fn of each *defined* function, in order
MANIFEST_SECTION = ".aot_manifest"  # ELF section holding SYM_MANIFEST (readable without dlopen)


def sym_function(func_index: int) -> str:
    """Symbol of a defined function (function index space, imports included)."""
    return f"wasm_func_{func_index}"


def sym_trampoline(type_index: int) -> str:
    return f"aot_tramp_{type_index}"


def sym_host_adapter(type_index: int) -> str:
    return f"aot_host_adapter_{type_index}"


__all__ = [
    "FORMAT_VERSION", "WASM_PAGE_SIZE", "GUARD_RESERVATION", "VALUE_SLOT_SIZE",
    "MemoryStrategy", "TrapCode", "NO_FUNC_INDEX", "VMFuncRef", "VMMemory", "VMTable",
    "VMDataSegment", "VMElemSegment", "TCtx", "HostContext", "VMCtxHeader", "Builtin",
    "NUM_BUILTINS", "VMContextLayout", "SYM_MANIFEST", "SYM_MANIFEST_LEN", "SYM_DATA",
    "SYM_FUNCTIONS", "MANIFEST_SECTION", "sym_function", "sym_trampoline",
    "sym_host_adapter", "ExternKind",
]
