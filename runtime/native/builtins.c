/* The builtins table compiled code calls through vmctx->builtins[i].
 *
 * The order is aot.abi.Builtin's; the signatures are the ones documented there. All
 * but TRAP are the ordinary runtime functions. TRAP leaves the innermost aot_invoke.
 */
#include "aot_internal.h"

/* TRAP(code, func_index): record the trap and jump to the innermost entry. */
__attribute__((noreturn, noinline)) static void builtin_trap(uint32_t code, uint32_t func_index) {
    aot_entry *entry = aot_current_entry;
    if (entry == NULL) /* compiled code running outside aot_invoke: nowhere safe to go */
        aot_fatal("aot-wasm runtime: a trap was raised outside any Wasm call; aborting\n");
    entry->trap.code = code;
    entry->trap.func_index = func_index;
    /* The return address lies in the compiled code that trapped; the runtime maps it to a
     * module (and, if func_index is unknown, to a function). */
    entry->trap.pc = (uint64_t)(uintptr_t)__builtin_return_address(0);
    entry->trap.fault_addr = 0;
    entry->trap.from_signal = 0;
    aot_raise_trap(entry);
}

static void *const builtins[AOT_NUM_BUILTINS] = {
    [AOT_BUILTIN_TRAP] = (void *)builtin_trap,
    [AOT_BUILTIN_MEMORY_GROW] = (void *)aot_memory_grow,
    [AOT_BUILTIN_MEMORY_FILL] = (void *)aot_memory_fill,
    [AOT_BUILTIN_MEMORY_COPY] = (void *)aot_memory_copy,
    [AOT_BUILTIN_MEMORY_INIT] = (void *)aot_memory_init,
    [AOT_BUILTIN_TABLE_GROW] = (void *)aot_table_grow,
    [AOT_BUILTIN_TABLE_FILL] = (void *)aot_table_fill,
    [AOT_BUILTIN_TABLE_COPY] = (void *)aot_table_copy,
    [AOT_BUILTIN_TABLE_INIT] = (void *)aot_table_init,
};

void *aot_builtins_table(void) { return (void *)builtins; }
