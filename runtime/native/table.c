/* Tables: arrays of u64 references (VMFuncRef* or externref handles; 0 = null).
 *
 * The element array is reserved up front for the table's whole capacity
 * (min(max, AOT_TABLE_MAX_ELEMENTS) elements, PROT_NONE, no swap reserved) and
 * committed page by page as the table grows. So `elements` never moves: code in
 * another thread that read the pointer before a grow still points at live memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aot_internal.h"

static uint64_t round_to_page(uint64_t n) {
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    return (n + page - 1) / page * page;
}

static int commit(VMTable *t, uint64_t elems) {
    uint64_t want = round_to_page(elems * sizeof(uint64_t));
    if (want <= t->committed)
        return 0;
    if (mprotect((uint8_t *)t->elements + t->committed, want - t->committed,
                 PROT_READ | PROT_WRITE) != 0)
        return -1;
    t->committed = want;
    return 0;
}

static void fill(uint64_t *p, uint64_t value, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        p[i] = value;
}

VMTable *aot_table_new(uint32_t elem_type, uint64_t min, uint64_t max, uint64_t init, int *err) {
    if (max > 0xFFFFFFFFull)
        max = 0xFFFFFFFFull;
    if (min > max || min > AOT_TABLE_MAX_ELEMENTS) {
        *err = AOT_ERR_LIMITS;
        return NULL;
    }
    VMTable *t = aot_alloc(sizeof(VMTable));
    if (!t) {
        *err = AOT_ERR_ADDRESS_SPACE;
        return NULL;
    }
    t->max_elems = max;
    t->capacity = max < AOT_TABLE_MAX_ELEMENTS ? max : AOT_TABLE_MAX_ELEMENTS;
    t->elem_type = elem_type;
    /* At least one page, so that even an empty table has a valid, non-null array. */
    uint64_t bytes = round_to_page(t->capacity ? t->capacity * sizeof(uint64_t) : 1);
    void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        *err = errno == ENOMEM ? AOT_ERR_ADDRESS_SPACE : AOT_ERR_OS;
        aot_free(t);
        return NULL;
    }
    t->elements = p;
    if (commit(t, min) != 0) {
        *err = errno == ENOMEM ? AOT_ERR_ADDRESS_SPACE : AOT_ERR_OS;
        munmap(p, bytes);
        aot_free(t);
        return NULL;
    }
    fill(t->elements, init, min);
    t->length = min;
    *err = AOT_OK;
    return t;
}

int32_t aot_table_grow(VMTable *t, uint64_t init, uint32_t delta) {
    int32_t result = -1;
    aot_spin_lock(&t->lock);
    uint64_t old = t->length;
    uint64_t want = old + delta; /* no overflow: both < 2^33 */
    if (want <= t->max_elems && want <= t->capacity && commit(t, want) == 0) {
        fill(t->elements + old, init, delta);
        /* The new elements are written before the new length is visible. */
        atomic_store_explicit((_Atomic uint64_t *)&t->length, want, memory_order_release);
        result = (int32_t)old; /* old <= AOT_TABLE_MAX_ELEMENTS < 2^31 */
    }
    aot_spin_unlock(&t->lock);
    return result;
}

void aot_table_free(VMTable *t) {
    if (!t)
        return;
    munmap(t->elements, round_to_page(t->capacity ? t->capacity * sizeof(uint64_t) : 1));
    aot_free(t);
}
