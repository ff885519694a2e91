/* The binary interface between compiled modules (.so) and the runtime, in C.
 *
 * This header mirrors aot/abi.py, which is the single source of truth; the test
 * tests/unit/test_runtime_abi.py checks every offset, size and constant below
 * against it. Bytes a struct leaves "to the runtime" are named here; compiled code
 * never reads them.
 */
#ifndef AOT_ABI_H
#define AOT_ABI_H

#include <stddef.h>
#include <stdint.h>

#define AOT_FORMAT_VERSION 2
#define AOT_WASM_PAGE_SIZE 65536u
#define AOT_MAX_PAGES 65536u /* 4 GiB: the most a 32-bit memory can have */
#define AOT_GUARD_RESERVATION ((8ull << 30) + AOT_WASM_PAGE_SIZE)
#define AOT_VALUE_SLOT_SIZE 16
#define AOT_NO_FUNC_INDEX 0xFFFFFFFFu

/* Why a Wasm call stopped (aot.abi.TrapCode). */
#define AOT_TRAP_UNREACHABLE 1
#define AOT_TRAP_MEMORY_OUT_OF_BOUNDS 2
#define AOT_TRAP_TABLE_OUT_OF_BOUNDS 3
#define AOT_TRAP_INTEGER_DIVIDE_BY_ZERO 4
#define AOT_TRAP_INTEGER_OVERFLOW 5
#define AOT_TRAP_INVALID_CONVERSION_TO_INTEGER 6
#define AOT_TRAP_INDIRECT_CALL_TYPE_MISMATCH 7
#define AOT_TRAP_UNINITIALIZED_ELEMENT 8
#define AOT_TRAP_UNDEFINED_ELEMENT 9
#define AOT_TRAP_NULL_REFERENCE 10
#define AOT_TRAP_CALL_STACK_EXHAUSTED 11
#define AOT_TRAP_INTERRUPTED 12
#define AOT_TRAP_HOST_EXCEPTION 13
#define AOT_TRAP_UNALIGNED_ATOMIC 14
#define AOT_TRAP_EXIT 15

/* Index of each runtime function in the builtins table (aot.abi.Builtin). */
#define AOT_BUILTIN_TRAP 0
#define AOT_BUILTIN_MEMORY_GROW 1
#define AOT_BUILTIN_MEMORY_FILL 2
#define AOT_BUILTIN_MEMORY_COPY 3
#define AOT_BUILTIN_MEMORY_INIT 4
#define AOT_BUILTIN_TABLE_GROW 5
#define AOT_BUILTIN_TABLE_FILL 6
#define AOT_BUILTIN_TABLE_COPY 7
#define AOT_BUILTIN_TABLE_INIT 8
#define AOT_NUM_BUILTINS 9

/* Memory strategies (aot.abi.MemoryStrategy), as the runtime numbers them. */
#define AOT_STRATEGY_GUARD 0
#define AOT_STRATEGY_BOUNDS 1

/* What a funcref points at. */
typedef struct VMFuncRef {
    void *native_fn;  /* 0: results fn(vmctx, tctx, params...) */
    void *vmctx;      /* 8: callee's vmctx, or a HostContext */
    uint32_t type_id; /* 16: canonical signature id (process-wide, from 1) */
    uint32_t _pad;    /* 20 */
} VMFuncRef;

/* A linear memory. Compiled code reads only base and length. */
typedef struct VMMemory {
    uint8_t *base;          /* 0: first byte; fixed for guard, may move for bounds */
    uint64_t length;        /* 8: current size in bytes */
    /* ---- runtime-owned ---- */
    uint64_t max_pages;     /* 16: declared maximum, at most AOT_MAX_PAGES */
    uint64_t limit_pages;   /* 24: a runtime-imposed limit; grow never passes it */
    uint64_t mapped;        /* 32: bytes of address space held (reservation or mapping) */
    uint32_t strategy;      /* 40: AOT_STRATEGY_* */
    uint32_t lock;          /* 44: spinlock serialising grow */
    int32_t registry_slot;  /* 48: guard-registry slot, -1 when not registered */
    uint32_t _reserved0;    /* 52 */
    uint64_t _reserved1;    /* 56 */
} VMMemory;

/* A table of pointer-sized references (0 = null). */
typedef struct VMTable {
    uint64_t *elements;   /* 0: never moves in this runtime (reserved up front) */
    uint64_t length;      /* 8: current number of elements */
    /* ---- runtime-owned ---- */
    uint64_t max_elems;   /* 16: declared maximum, at most 2^32 - 1 */
    uint64_t capacity;    /* 24: elements the reservation can hold */
    uint32_t elem_type;   /* 32: value type code, 0x70 funcref or 0x6F externref */
    uint32_t lock;        /* 36: spinlock serialising grow */
    uint64_t committed;   /* 40: bytes of the reservation that are read-write */
} VMTable;

/* A data segment as memory.init sees it; data.drop sets length to 0. */
typedef struct VMDataSegment {
    const uint8_t *data; /* 0 */
    uint64_t length;     /* 8 */
} VMDataSegment;

/* An element segment, items evaluated at instantiation; elem.drop sets length to 0. */
typedef struct VMElemSegment {
    const uint64_t *items; /* 0 */
    uint64_t length;       /* 8 */
} VMElemSegment;

/* Per-call thread context, on the native stack of aot_invoke. */
typedef struct TCtx {
    uintptr_t stack_limit; /* 0: a function whose stack pointer is below this traps */
    uint64_t interrupt;    /* 8: non-zero = interrupted: stop at the next check (watchdog.c) */
    /* ---- runtime-owned ---- */
    void *entry;           /* 16: the aot_invoke entry record this call belongs to */
    void *entry_slot;      /* 24: &aot_current_entry of this thread, for code outside the
                            * runtime's library (kernel translators) that nests an entry */
    uint64_t _reserved[4]; /* 32 */
} TCtx;

/* The "vmctx" of a host function; builtins is where VMCtxHeader has it. */
typedef struct HostContext {
    void *builtins;  /* 0: the builtins table */
    void *callback;  /* 8: int32_t callback(host_ctx, tctx, slots) */
    void *handle;    /* 16: the runtime's handle for the Python callable */
    void *_reserved; /* 24 */
} HostContext;

/* Fixed fields at the start of every instance's vmctx. */
typedef struct VMCtxHeader {
    void *builtins;        /* 0: the builtins table */
    void *runtime;         /* 8: opaque, for the runtime */
    uint64_t _reserved[6]; /* 16 */
} VMCtxHeader;

/* A value slot of trampolines and host adapters: the value in the low bytes. */
typedef union aot_slot {
    uint64_t u64[2];
    uint32_t u32;
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    void *ptr;
    uint8_t bytes[16];
} aot_slot;

/* Signatures of what a .so defines and what compiled code calls. */
typedef void (*aot_trampoline_fn)(void *fn, void *vmctx, void *tctx, void *slots);
typedef int32_t (*aot_host_callback_fn)(void *host_ctx, void *tctx, void *slots);

#ifndef __cplusplus
#define AOT_ABI_CHECK(cond) _Static_assert(cond, #cond)
AOT_ABI_CHECK(offsetof(VMFuncRef, native_fn) == 0);
AOT_ABI_CHECK(offsetof(VMFuncRef, vmctx) == 8);
AOT_ABI_CHECK(offsetof(VMFuncRef, type_id) == 16);
AOT_ABI_CHECK(sizeof(VMFuncRef) == 24);
AOT_ABI_CHECK(offsetof(VMMemory, base) == 0);
AOT_ABI_CHECK(offsetof(VMMemory, length) == 8);
AOT_ABI_CHECK(sizeof(VMMemory) == 64);
AOT_ABI_CHECK(offsetof(VMTable, elements) == 0);
AOT_ABI_CHECK(offsetof(VMTable, length) == 8);
AOT_ABI_CHECK(sizeof(VMTable) == 48);
AOT_ABI_CHECK(offsetof(VMDataSegment, length) == 8 && sizeof(VMDataSegment) == 16);
AOT_ABI_CHECK(offsetof(VMElemSegment, length) == 8 && sizeof(VMElemSegment) == 16);
AOT_ABI_CHECK(offsetof(TCtx, stack_limit) == 0 && offsetof(TCtx, interrupt) == 8);
AOT_ABI_CHECK(sizeof(TCtx) == 64);
AOT_ABI_CHECK(offsetof(HostContext, callback) == 8 && offsetof(HostContext, handle) == 16);
AOT_ABI_CHECK(sizeof(HostContext) == 32);
AOT_ABI_CHECK(offsetof(VMCtxHeader, runtime) == 8 && sizeof(VMCtxHeader) == 64);
AOT_ABI_CHECK(sizeof(aot_slot) == AOT_VALUE_SLOT_SIZE);
#undef AOT_ABI_CHECK
#endif

#endif /* AOT_ABI_H */
