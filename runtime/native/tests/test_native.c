/* C-level checks of the runtime library (no Python): memories, tables, bulk bounds,
 * and a trap raised through aot_invoke. Prints "N passed, M failed". */
#include <stdio.h>
#include <string.h>

#include "aot_runtime.h"

static int passed, failed;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            passed++;                                                        \
        } else {                                                             \
            failed++;                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                    \
    } while (0)

static void test_memory(uint32_t strategy) {
    int err;
    VMMemory *m = aot_memory_new(strategy, 1, 2, &err);
    CHECK(m != NULL && err == AOT_OK);
    if (!m)
        return;
    CHECK(m->length == AOT_WASM_PAGE_SIZE && m->base != NULL);
    m->base[AOT_WASM_PAGE_SIZE - 1] = 5;
    CHECK(aot_memory_grow(m, 1) == 1 && m->length == 2 * AOT_WASM_PAGE_SIZE);
    CHECK(m->base[AOT_WASM_PAGE_SIZE - 1] == 5);
    CHECK(aot_memory_grow(m, 1) == -1);
    CHECK(aot_memory_fill(m, 2 * AOT_WASM_PAGE_SIZE, 1, 0) == 0);
    CHECK(aot_memory_fill(m, 2 * AOT_WASM_PAGE_SIZE + 1, 1, 0) == AOT_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK(aot_memory_copy(m, m, 0, 0xFFFFFFFFu, 2) == AOT_TRAP_MEMORY_OUT_OF_BOUNDS);
    aot_memory_free(m);

    VMMemory *empty = aot_memory_new(strategy, 0, UINT64_MAX, &err);
    CHECK(empty != NULL && empty->base != NULL && empty->length == 0);
    if (empty)
        aot_memory_free(empty);
}

static void test_table(void) {
    int err;
    VMTable *t = aot_table_new(0x70, 2, 4, 7, &err);
    CHECK(t != NULL);
    if (!t)
        return;
    CHECK(t->elements[1] == 7);
    CHECK(aot_table_grow(t, 9, 2) == 2 && t->elements[3] == 9);
    CHECK(aot_table_grow(t, 9, 1) == -1);
    CHECK(aot_table_fill(t, 4, 0, 0) == 0);
    CHECK(aot_table_fill(t, 3, 0, 2) == AOT_TRAP_TABLE_OUT_OF_BOUNDS);
    aot_table_free(t);
}

/* A stand-in for a compiled trampoline: calls the TRAP builtin like compiled code does. */
static void trapping_tramp(void *fn, void *vmctx, void *tctx, void *slots) {
    (void)fn; (void)vmctx; (void)slots;
    CHECK(((TCtx *)tctx)->stack_limit != 0);
    void (*trap)(uint32_t, uint32_t) = ((void **)aot_builtins_table())[AOT_BUILTIN_TRAP];
    trap(AOT_TRAP_UNREACHABLE, 3);
}

static void returning_tramp(void *fn, void *vmctx, void *tctx, void *slots) {
    (void)fn; (void)vmctx; (void)tctx;
    ((aot_slot *)slots)[0].i32 = 42;
}

static void test_invoke(void) {
    aot_trap_info info;
    aot_slot slot[1];
    memset(&info, 0, sizeof info);
    CHECK(aot_invoke((void *)returning_tramp, NULL, NULL, slot, &info) == 0 && slot[0].i32 == 42);
    CHECK(aot_invoke((void *)trapping_tramp, NULL, NULL, slot, &info) == 1);
    CHECK(info.code == AOT_TRAP_UNREACHABLE && info.func_index == 3 && !info.from_signal);
    CHECK(aot_invoke((void *)returning_tramp, NULL, NULL, slot, &info) == 0); /* still usable */
}

int main(void) {
    CHECK(aot_runtime_init() == AOT_OK);
    CHECK(aot_signal_handler_installed());
    test_memory(AOT_STRATEGY_GUARD);
    test_memory(AOT_STRATEGY_BOUNDS);
    test_table();
    test_invoke();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
