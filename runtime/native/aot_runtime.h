/* The runtime's C support library: what the Python runtime (through cffi) and C
 * users call. Compiled modules reach only the builtins table (aot_builtins_table).
 *
 * Errors are returned as AOT_ERR_* codes; errno keeps the operating system's reason.
 */
#ifndef AOT_RUNTIME_H
#define AOT_RUNTIME_H

#include "aot_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes of the functions below. */
#define AOT_OK 0
#define AOT_ERR_ADDRESS_SPACE 1 /* mmap/mprotect/mremap refused (ENOMEM): out of address space or memory */
#define AOT_ERR_REGISTRY_FULL 2 /* too many guard memories or loaded modules at once */
#define AOT_ERR_LIMITS 3        /* min > max, or more than the runtime allows */
#define AOT_ERR_OS 4            /* another system error; see errno */

/* Most elements a table may hold (its address space is reserved up front). */
#define AOT_TABLE_MAX_ELEMENTS 10000000u
/* Address space a guard memory maps: the ABI's 8 GiB plus a 64 KiB tail that covers
 * the widest access at the largest address+offset (see memory.c). */
#define AOT_GUARD_MAPPING AOT_GUARD_RESERVATION
/* Capacities of the registries the signal handler reads. */
#define AOT_MAX_GUARD_MEMORIES 16384
#define AOT_MAX_CODE_RANGES 4096

/* ---- process setup ---- */

/* Install the SIGSEGV/SIGBUS handler (once; later calls do nothing). 0 or AOT_ERR_OS. */
int aot_runtime_init(void);
/* 1 when our handler is still the installed one for SIGSEGV and SIGBUS. */
int aot_signal_handler_installed(void);
/* The builtins table (AOT_NUM_BUILTINS function pointers, aot.abi.Builtin order). */
void *aot_builtins_table(void);

/* ---- entry and traps ---- */

typedef struct aot_trap_info {
    uint32_t code;        /* AOT_TRAP_* */
    uint32_t func_index;  /* as passed to the trap builtin; AOT_NO_FUNC_INDEX if unknown */
    uint64_t pc;          /* faulting pc (signal) or return address into compiled code (builtin) */
    uint64_t fault_addr;  /* the faulting address (signal traps only) */
    uint32_t from_signal; /* 1 when a fault became this trap */
    uint32_t _pad;
} aot_trap_info;

/* Call tramp(fn, vmctx, &tctx, slots) with trap handling. 0 when it returned,
 * 1 when it trapped (out filled). Nested calls (Wasm -> host -> Wasm) are fine. */
int aot_invoke(void *tramp, void *fn, void *vmctx, void *slots, aot_trap_info *out);

/* ---- interruption (watchdog.c) ---- */

/* Something another thread can interrupt calls through (see aot_token_interrupt). */
typedef struct aot_token {
    uint64_t interrupted; /* sticky until aot_token_reset (accessed atomically) */
} aot_token;

/* aot_invoke that also traps INTERRUPTED once timeout_ns (0 = none) have passed, or
 * when `token` (NULL = none) is interrupted. Returns -1, without calling, when the
 * watchdog thread cannot be started. */
int aot_invoke_ex(void *tramp, void *fn, void *vmctx, void *slots, aot_trap_info *out,
                  uint64_t timeout_ns, aot_token *token);
/* Interrupt every running call that uses `token` (and the calls nested in them), and
 * every later one until aot_token_reset: the number of running calls hit. */
int aot_token_interrupt(aot_token *token);
void aot_token_reset(aot_token *token);
/* Calls registered with the watchdog now (for tests), interrupts fired so far. */
int aot_watch_count(void);
uint64_t aot_interrupts_fired(void);
/* The signal the watchdog interrupts compiled code with, 0 when it has none. */
int aot_interrupt_signal(void);
/* CLOCK_MONOTONIC in nanoseconds (the clock deadlines use). */
uint64_t aot_monotonic_ns(void);
/* ---- the fast call path (fastcall.c) ---- */

#define AOT_FAST_SENTINEL ((int64_t)0x80000000DEADF457LL)
#define AOT_FAST_OK 0
#define AOT_FAST_TRAPPED 1
#define AOT_FAST_BAD_ARGUMENT 2
#define AOT_FAST_RESULT_NONE 0
#define AOT_FAST_RESULT_I32 1
#define AOT_FAST_RESULT_I64 2

/* A Wasm function with <= 4 params, all i32/i64, and no result or one i32/i64. */
typedef struct aot_fast_target {
    void *tramp;
    void *fn;
    void *vmctx;
    uint32_t nparams;
    uint32_t param_is_i32; /* bit i: param i is i32 (else i64) */
    uint32_t result;       /* AOT_FAST_RESULT_* */
} aot_fast_target;

/* Call `t`; returns the result (i32 sign-extended), or AOT_FAST_SENTINEL when the call
 * could not be made (an i32 argument out of range) or trapped, or by coincidence. */
int64_t aot_fastcall(const aot_fast_target *t, int64_t a0, int64_t a1, int64_t a2, int64_t a3);
/* What the last aot_fastcall of this thread did (AOT_FAST_*); copies its trap record
 * (unless `trap` is NULL). */
int aot_fast_status(aot_trap_info *trap);
/* Give the Python class `cls` (a Func subclass) a C `__call__` taking the fast path,
 * falling back to `slow` (Func.__call__); `trapped_fn()` raises a fast call's trap. The
 * three are PyObject pointers (cffi knows no PyObject). 0 on success. (pycall.c) */
int aot_py_install_fastcall(void *cls, void *slow, void *trapped_fn);

/* The stack limit aot_invoke would give this thread now (for tests and diagnostics). */
uintptr_t aot_thread_stack_limit(void);
/* Bytes between the lowest usable stack address and the limit (0 = automatic). */
void aot_set_stack_margin(size_t bytes);

/* ---- memories ---- */

/* A new memory of min_pages; max_pages = UINT64_MAX for none. NULL on error (*err). */
VMMemory *aot_memory_new(uint32_t strategy, uint64_t min_pages, uint64_t max_pages, int *err);
/* Grow by delta pages: the old size in pages, or -1 (over max or limit, or no memory). */
int32_t aot_memory_grow(VMMemory *mem, uint32_t delta_pages);
/* Lower (or raise, up to max) the pages grow may reach. */
void aot_memory_set_limit(VMMemory *mem, uint64_t pages);
void aot_memory_free(VMMemory *mem);
/* An image of a module's initial memory (a memfd of `len` bytes, a multiple of the page
 * size), and mapping it copy-on-write over the start of a fresh guard memory. */
int aot_image_create(const uint8_t *data, uint64_t len);
int aot_memory_map_image(VMMemory *m, int fd, uint64_t len);
void aot_image_close(int fd);

/* ---- tables ---- */

/* A new table of min elements set to init; max = UINT64_MAX for none. NULL on error. */
VMTable *aot_table_new(uint32_t elem_type, uint64_t min, uint64_t max, uint64_t init, int *err);
int32_t aot_table_grow(VMTable *t, uint64_t init, uint32_t delta);
void aot_table_free(VMTable *t);

/* ---- bulk operations (also the builtins): 0 or the AOT_TRAP_* to raise ---- */

uint32_t aot_memory_fill(VMMemory *mem, uint32_t dst, uint32_t value, uint32_t n);
uint32_t aot_memory_copy(VMMemory *dst, VMMemory *src, uint32_t d, uint32_t s, uint32_t n);
uint32_t aot_memory_init(VMMemory *mem, VMDataSegment *seg, uint32_t d, uint32_t s, uint32_t n);
uint32_t aot_table_fill(VMTable *t, uint32_t i, uint64_t ref, uint32_t n);
uint32_t aot_table_copy(VMTable *dst, VMTable *src, uint32_t d, uint32_t s, uint32_t n);
uint32_t aot_table_init(VMTable *t, VMElemSegment *seg, uint32_t d, uint32_t s, uint32_t n);

/* ---- zeroed, 64-byte aligned allocations (vmctx, global storage, segments) ---- */

void *aot_alloc(size_t size);
void aot_free(void *p);

/* ---- loaded modules ---- */

/* dlopen(path, RTLD_NOW | RTLD_LOCAL); NULL with the reason in err on failure. */
void *aot_dlopen(const char *path, char *err, size_t errlen);
void *aot_dlsym(void *handle, const char *name);
int aot_dlclose(void *handle);
/* Register the executable segments of a dlopen'ed object as compiled code: the
 * registry slot (>= 0), AOT_NO_CODE when it has none, or -1 (errno set: ENOSPC when
 * the registry is full); *lo and *hi receive the range. */
#define AOT_NO_CODE (-2)
int aot_code_register_lib(void *handle, uintptr_t *lo, uintptr_t *hi);
/* Register [lo, hi) as compiled code: the slot or -1. */
int aot_code_register(uintptr_t lo, uintptr_t hi);
void aot_code_unregister(int slot);

/* Registry queries (for tests): 1 when the address is inside a registered range. */
int aot_guard_contains(uintptr_t addr);
int aot_code_contains(uintptr_t pc);

#ifdef __cplusplus
}
#endif

#endif /* AOT_RUNTIME_H */
