/* memory.fill/copy/init and table.fill/copy/init with the spec's bounds rules.
 *
 * Every range is checked as a 64-bit sum before anything is written, so u32 operands
 * cannot wrap: `start + n > length` traps, and `start == length` with n == 0 is fine
 * (the spec allows touching zero bytes at the very end). Nothing is written when a
 * check fails (the 2.0 spec checks before it copies).
 */
#include <string.h>

#include "aot_internal.h"

static inline uint64_t len_of(const uint64_t *p) {
    return atomic_load_explicit((const _Atomic uint64_t *)p, memory_order_acquire);
}

static inline int out_of(uint64_t start, uint64_t n, uint64_t length) {
    return start + n > length;
}

uint32_t aot_memory_fill(VMMemory *mem, uint32_t dst, uint32_t value, uint32_t n) {
    if (out_of(dst, n, len_of(&mem->length)))
        return AOT_TRAP_MEMORY_OUT_OF_BOUNDS;
    memset(mem->base + dst, (int)(value & 0xFF), n);
    return 0;
}

uint32_t aot_memory_copy(VMMemory *dst, VMMemory *src, uint32_t d, uint32_t s, uint32_t n) {
    if (out_of(s, n, len_of(&src->length)) || out_of(d, n, len_of(&dst->length)))
        return AOT_TRAP_MEMORY_OUT_OF_BOUNDS;
    memmove(dst->base + d, src->base + s, n); /* ranges may overlap */
    return 0;
}

uint32_t aot_memory_init(VMMemory *mem, VMDataSegment *seg, uint32_t d, uint32_t s, uint32_t n) {
    if (out_of(s, n, seg->length) || out_of(d, n, len_of(&mem->length)))
        return AOT_TRAP_MEMORY_OUT_OF_BOUNDS;
    if (n)
        memcpy(mem->base + d, seg->data + s, n);
    return 0;
}

uint32_t aot_table_fill(VMTable *t, uint32_t i, uint64_t ref, uint32_t n) {
    if (out_of(i, n, len_of(&t->length)))
        return AOT_TRAP_TABLE_OUT_OF_BOUNDS;
    for (uint32_t k = 0; k < n; k++)
        t->elements[(uint64_t)i + k] = ref;
    return 0;
}

uint32_t aot_table_copy(VMTable *dst, VMTable *src, uint32_t d, uint32_t s, uint32_t n) {
    if (out_of(s, n, len_of(&src->length)) || out_of(d, n, len_of(&dst->length)))
        return AOT_TRAP_TABLE_OUT_OF_BOUNDS;
    memmove(dst->elements + d, src->elements + s, (size_t)n * sizeof(uint64_t));
    return 0;
}

uint32_t aot_table_init(VMTable *t, VMElemSegment *seg, uint32_t d, uint32_t s, uint32_t n) {
    if (out_of(s, n, seg->length) || out_of(d, n, len_of(&t->length)))
        return AOT_TRAP_TABLE_OUT_OF_BOUNDS;
    if (n)
        memcpy(t->elements + d, seg->items + s, (size_t)n * sizeof(uint64_t));
    return 0;
}
