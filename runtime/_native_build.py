"""Builds the runtime's C support (`runtime/native/`) as the cffi extension `runtime._native`.

`pip install .` runs `ffibuilder` (pyproject: `cffi_modules`). A source checkout that
was not installed builds the same thing on first import (see `runtime._native_loader`).
"""
from __future__ import annotations

import hashlib
import os

import cffi

NATIVE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "native")
SOURCES = ["registry.c", "memory.c", "table.c", "bulk.c", "builtins.c", "entry.c",
           "signals.c", "loader.c", "util.c", "fastcall.c", "watchdog.c", "pycall.c"]
HEADERS = ["aot_abi.h", "aot_runtime.h", "aot_internal.h"]

# What Python sees of aot_runtime.h / aot_abi.h. Structs end in `...;` so cffi takes
# their real layout from the C compiler (the ABI test compares it with aot.abi).
CDEF = r"""
#define AOT_FORMAT_VERSION ...
#define AOT_WASM_PAGE_SIZE ...
#define AOT_MAX_PAGES ...
#define AOT_VALUE_SLOT_SIZE ...
#define AOT_NO_FUNC_INDEX ...
#define AOT_STRATEGY_GUARD ...
#define AOT_STRATEGY_BOUNDS ...
#define AOT_NUM_BUILTINS ...
#define AOT_BUILTIN_TRAP ...
#define AOT_BUILTIN_MEMORY_GROW ...
#define AOT_BUILTIN_MEMORY_FILL ...
#define AOT_BUILTIN_MEMORY_COPY ...
#define AOT_BUILTIN_MEMORY_INIT ...
#define AOT_BUILTIN_TABLE_GROW ...
#define AOT_BUILTIN_TABLE_FILL ...
#define AOT_BUILTIN_TABLE_COPY ...
#define AOT_BUILTIN_TABLE_INIT ...
#define AOT_TRAP_UNREACHABLE ...
#define AOT_TRAP_MEMORY_OUT_OF_BOUNDS ...
#define AOT_TRAP_TABLE_OUT_OF_BOUNDS ...
#define AOT_TRAP_INTEGER_DIVIDE_BY_ZERO ...
#define AOT_TRAP_INTEGER_OVERFLOW ...
#define AOT_TRAP_INVALID_CONVERSION_TO_INTEGER ...
#define AOT_TRAP_INDIRECT_CALL_TYPE_MISMATCH ...
#define AOT_TRAP_UNINITIALIZED_ELEMENT ...
#define AOT_TRAP_UNDEFINED_ELEMENT ...
#define AOT_TRAP_NULL_REFERENCE ...
#define AOT_TRAP_CALL_STACK_EXHAUSTED ...
#define AOT_TRAP_INTERRUPTED ...
#define AOT_TRAP_HOST_EXCEPTION ...
#define AOT_TRAP_UNALIGNED_ATOMIC ...
#define AOT_TRAP_EXIT ...
#define AOT_OK ...
#define AOT_ERR_ADDRESS_SPACE ...
#define AOT_ERR_REGISTRY_FULL ...
#define AOT_ERR_LIMITS ...
#define AOT_ERR_OS ...
#define AOT_TABLE_MAX_ELEMENTS ...
#define AOT_MAX_GUARD_MEMORIES ...
#define AOT_MAX_CODE_RANGES ...
#define AOT_GUARD_MAPPING ...
#define AOT_NO_CODE ...

typedef struct VMFuncRef { void *native_fn; void *vmctx; uint32_t type_id; ...; } VMFuncRef;
typedef struct VMMemory {
    uint8_t *base; uint64_t length; uint64_t max_pages; uint64_t limit_pages;
    uint64_t mapped; uint32_t strategy; ...;
} VMMemory;
typedef struct VMTable {
    uint64_t *elements; uint64_t length; uint64_t max_elems; uint64_t capacity;
    uint32_t elem_type; ...;
} VMTable;
typedef struct VMDataSegment { const uint8_t *data; uint64_t length; ...; } VMDataSegment;
typedef struct VMElemSegment { const uint64_t *items; uint64_t length; ...; } VMElemSegment;
typedef struct TCtx { uintptr_t stack_limit; uint64_t interrupt; ...; } TCtx;
typedef struct HostContext { void *builtins; void *callback; void *handle; ...; } HostContext;
typedef struct VMCtxHeader { void *builtins; void *runtime; ...; } VMCtxHeader;
typedef union aot_slot {
    uint64_t u64[2]; uint32_t u32; int32_t i32; int64_t i64; float f32; double f64;
    void *ptr; uint8_t bytes[16];
} aot_slot;
typedef struct aot_trap_info {
    uint32_t code; uint32_t func_index; uint64_t pc; uint64_t fault_addr; uint32_t from_signal;
    ...;
} aot_trap_info;

int aot_runtime_init(void);
int aot_signal_handler_installed(void);
void *aot_builtins_table(void);

int aot_invoke(void *tramp, void *fn, void *vmctx, void *slots, void *out);  /* out: aot_trap_info * */
#define AOT_FAST_SENTINEL ...
#define AOT_FAST_OK ...
#define AOT_FAST_TRAPPED ...
#define AOT_FAST_BAD_ARGUMENT ...
#define AOT_FAST_RESULT_NONE ...
#define AOT_FAST_RESULT_I32 ...
#define AOT_FAST_RESULT_I64 ...
typedef struct aot_fast_target {
    void *tramp; void *fn; void *vmctx; uint32_t nparams; uint32_t param_is_i32; uint32_t result; ...;
} aot_fast_target;
int64_t aot_fastcall(const aot_fast_target *t, int64_t a0, int64_t a1, int64_t a2, int64_t a3);
int aot_fast_status(aot_trap_info *trap);
int aot_py_install_fastcall(void *cls, void *slow, void *trapped_fn);
uintptr_t aot_thread_stack_limit(void);
void aot_set_stack_margin(size_t bytes);

typedef struct aot_token { uint64_t interrupted; ...; } aot_token;
int aot_invoke_ex(void *tramp, void *fn, void *vmctx, void *slots, void *out,
                  uint64_t timeout_ns, aot_token *token);
int aot_token_interrupt(aot_token *token);
void aot_token_reset(aot_token *token);
int aot_watch_count(void);
uint64_t aot_interrupts_fired(void);
uint64_t aot_monotonic_ns(void);
int aot_interrupt_signal(void);

VMMemory *aot_memory_new(uint32_t strategy, uint64_t min_pages, uint64_t max_pages, int *err);
int32_t aot_memory_grow(VMMemory *mem, uint32_t delta_pages);
void aot_memory_set_limit(VMMemory *mem, uint64_t pages);
void aot_memory_free(VMMemory *mem);
int aot_image_create(const uint8_t *data, uint64_t len);
int aot_memory_map_image(VMMemory *m, int fd, uint64_t len);
void aot_image_close(int fd);

VMTable *aot_table_new(uint32_t elem_type, uint64_t min, uint64_t max, uint64_t init, int *err);
int32_t aot_table_grow(VMTable *t, uint64_t init, uint32_t delta);
void aot_table_free(VMTable *t);

uint32_t aot_memory_fill(VMMemory *mem, uint32_t dst, uint32_t value, uint32_t n);
uint32_t aot_memory_copy(VMMemory *dst, VMMemory *src, uint32_t d, uint32_t s, uint32_t n);
uint32_t aot_memory_init(VMMemory *mem, VMDataSegment *seg, uint32_t d, uint32_t s, uint32_t n);
uint32_t aot_table_fill(VMTable *t, uint32_t i, uint64_t ref, uint32_t n);
uint32_t aot_table_copy(VMTable *dst, VMTable *src, uint32_t d, uint32_t s, uint32_t n);
uint32_t aot_table_init(VMTable *t, VMElemSegment *seg, uint32_t d, uint32_t s, uint32_t n);

void *aot_alloc(size_t size);
void aot_free(void *p);

void *aot_dlopen(const char *path, char *err, size_t errlen);
void *aot_dlsym(void *handle, const char *name);
int aot_dlclose(void *handle);
int aot_code_register_lib(void *handle, uintptr_t *lo, uintptr_t *hi);
int aot_code_register(uintptr_t lo, uintptr_t hi);
void aot_code_unregister(int slot);
int aot_guard_contains(uintptr_t addr);
int aot_code_contains(uintptr_t pc);

const char *aot_native_source_hash(void);

extern "Python" int aot_host_callback(void *host_ctx, TCtx *tctx, uint64_t *slots);
"""


def source_hash() -> str:
    """A hash of everything that goes into the extension (C sources, headers, cdef)."""
    h = hashlib.sha256(CDEF.encode())
    for name in SOURCES + HEADERS:
        with open(os.path.join(NATIVE_DIR, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()[:16]


def make_builder(module_name: str = "runtime._native", *, relative: bool = True) -> cffi.FFI:
    """The cffi builder for the extension `module_name`.

    `relative` names the sources relative to the repository root, as setuptools wants
    them; the on-demand build uses absolute paths.
    """
    builder = cffi.FFI()
    builder.cdef(CDEF)
    if relative:
        root = os.path.dirname(os.path.dirname(NATIVE_DIR))
        native = os.path.relpath(NATIVE_DIR, root)
    else:
        native = NATIVE_DIR
    builder.set_source(
        module_name,
        '#include "aot_runtime.h"\n'
        f'const char *aot_native_source_hash(void) {{ return "{source_hash()}"; }}\n',
        sources=[os.path.join(native, s) for s in SOURCES],
        include_dirs=[native],
        libraries=["dl", "pthread"],
        extra_compile_args=["-std=gnu11", "-O2", "-fno-strict-aliasing", "-Wall"],
    )
    return builder


ffibuilder = make_builder()

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
