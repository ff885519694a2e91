/* Address-range registries that the signal handler reads while other threads write.
 *
 * A registry is a fixed array of slots; nothing is ever allocated or freed, so a
 * reader in a signal handler can never touch freed memory. Writers take a mutex
 * (they run in ordinary code). Each slot has a sequence counter: a writer makes it
 * odd, changes lo/hi, then makes it even again. A reader takes the range only if it
 * saw the same even counter before and after reading it; otherwise it treats the slot
 * as "no match". It never waits, so a handler that interrupts a writer on the same
 * thread cannot deadlock. Skipping a slot that is being changed is correct: a range
 * is only (un)registered while no Wasm code can be using it.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "aot_internal.h"

static aot_range_slot guard_slots[AOT_MAX_GUARD_MEMORIES];
static aot_range_slot code_slots[AOT_MAX_CODE_RANGES];

aot_registry aot_guard_registry = {guard_slots, AOT_MAX_GUARD_MEMORIES, 0};
aot_registry aot_code_registry = {code_slots, AOT_MAX_CODE_RANGES, 0};

static pthread_mutex_t writers = PTHREAD_MUTEX_INITIALIZER;

static void write_slot(aot_range_slot *s, uintptr_t lo, uintptr_t hi) {
    atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed); /* odd: in change */
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&s->lo, lo, memory_order_relaxed);
    atomic_store_explicit(&s->hi, hi, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->seq, 1, memory_order_release); /* even: stable */
}

int aot_registry_add(aot_registry *r, uintptr_t lo, uintptr_t hi) {
    int found = -1;
    if (lo >= hi)
        return -1;
    pthread_mutex_lock(&writers);
    int hw = atomic_load_explicit(&r->high_water, memory_order_relaxed);
    for (int i = 0; i < hw; i++) {
        if (atomic_load_explicit(&r->slots[i].hi, memory_order_relaxed) == 0) {
            found = i;
            break;
        }
    }
    if (found < 0 && hw < r->capacity)
        found = hw;
    if (found >= 0) {
        write_slot(&r->slots[found], lo, hi);
        if (found == hw) /* publish the slot only once it holds a stable range */
            atomic_store_explicit(&r->high_water, hw + 1, memory_order_release);
    }
    pthread_mutex_unlock(&writers);
    return found;
}

void aot_registry_remove(aot_registry *r, int slot) {
    if (slot < 0 || slot >= r->capacity)
        return;
    pthread_mutex_lock(&writers);
    write_slot(&r->slots[slot], 0, 0);
    pthread_mutex_unlock(&writers);
}

int aot_registry_contains(aot_registry *r, uintptr_t addr) {
    int hw = atomic_load_explicit(&r->high_water, memory_order_acquire);
    for (int i = 0; i < hw; i++) {
        aot_range_slot *s = &r->slots[i];
        uint64_t before = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (before & 1)
            continue;
        uintptr_t lo = atomic_load_explicit(&s->lo, memory_order_relaxed);
        uintptr_t hi = atomic_load_explicit(&s->hi, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&s->seq, memory_order_relaxed) != before)
            continue;
        if (lo <= addr && addr < hi)
            return 1;
    }
    return 0;
}

int aot_guard_contains(uintptr_t addr) { return aot_registry_contains(&aot_guard_registry, addr); }

int aot_code_contains(uintptr_t pc) { return aot_registry_contains(&aot_code_registry, pc); }

int aot_code_register(uintptr_t lo, uintptr_t hi) {
    return aot_registry_add(&aot_code_registry, lo, hi);
}

void aot_code_unregister(int slot) { aot_registry_remove(&aot_code_registry, slot); }
