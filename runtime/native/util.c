/* Small helpers: aligned zeroed allocation, a fatal-error exit, a spinlock. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aot_internal.h"

void *aot_alloc(size_t size) {
    /* 64-byte alignment: enough for v128 globals and keeps a vmctx in whole cache lines. */
    size_t rounded = (size + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (p)
        memset(p, 0, rounded ? rounded : 64);
    return p;
}

void aot_free(void *p) { free(p); }

void aot_fatal(const char *message) {
    /* write() and abort() are async-signal-safe; this may run in a signal handler. */
    ssize_t ignored = write(2, message, strlen(message));
    (void)ignored;
    abort();
}

void aot_spin_lock(uint32_t *lock) {
    _Atomic uint32_t *l = (_Atomic uint32_t *)lock;
    while (atomic_exchange_explicit(l, 1, memory_order_acquire)) {
        while (atomic_load_explicit(l, memory_order_relaxed))
            sched_yield(); /* grow is rare and short: yielding is enough */
    }
}

void aot_spin_unlock(uint32_t *lock) {
    atomic_store_explicit((_Atomic uint32_t *)lock, 0, memory_order_release);
}
