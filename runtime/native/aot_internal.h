/* Declarations shared between the runtime's C files; not part of the public API. */
#ifndef AOT_INTERNAL_H
#define AOT_INTERNAL_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>

#include "aot_runtime.h"

/* Thread-local variables the signal handler reads use the initial-exec model: it
 * resolves to a fixed offset from the thread pointer, so reading it never calls
 * __tls_get_addr (which may allocate, and is not async-signal-safe). */
#define AOT_TLS_SIGNAL_SAFE __thread __attribute__((tls_model("initial-exec")))

/* ---- address-range registries, readable from a signal handler ---- */

/* One registered range. seq is a sequence lock: odd while a writer changes the slot. */
typedef struct aot_range_slot {
    _Atomic uint64_t seq;
    _Atomic uintptr_t lo;
    _Atomic uintptr_t hi;
} aot_range_slot;

typedef struct aot_registry {
    aot_range_slot *slots;
    int capacity;
    _Atomic int high_water; /* readers scan slots [0, high_water) */
} aot_registry;

extern aot_registry aot_guard_registry; /* guard-memory reservations */
extern aot_registry aot_code_registry;  /* text of loaded compiled modules */

/* Writers (serialised by a mutex inside) return the slot or -1 when full. */
int aot_registry_add(aot_registry *r, uintptr_t lo, uintptr_t hi);
void aot_registry_remove(aot_registry *r, int slot);
/* Async-signal-safe, lock-free: 1 when addr lies in a stable registered range. */
int aot_registry_contains(aot_registry *r, uintptr_t addr);

/* ---- entries (one per active aot_invoke on a thread) ---- */

typedef struct aot_entry {
    sigjmp_buf jump;
    struct aot_entry *outer;
    uintptr_t stack_limit;
    uintptr_t stack_lo; /* lowest usable byte of this thread's stack (signals.c) */
    aot_trap_info trap; /* written by the trap builtin or the signal handler, then jumped to */
} aot_entry;

extern AOT_TLS_SIGNAL_SAFE aot_entry *aot_current_entry;

/* Per-thread setup done on the first entry: stack bounds and an alternate signal stack. */
void aot_thread_setup(void);
/* Give every thread that runs Wasm an alternate signal stack (signals.c). */
void aot_ensure_altstack(void);

/* Leave the innermost entry with a trap. Never returns. */
__attribute__((noreturn)) void aot_raise_trap(aot_entry *entry);

/* ---- watches: calls that a deadline or a token may interrupt (watchdog.c) ---- */

typedef struct aot_watch {
    struct aot_watch *prev, *next; /* the global list, under the watchdog's mutex */
    struct aot_watch *parent;      /* the watch of the enclosing call on this thread */
    TCtx *tctx;                    /* whose interrupt word to set */
    aot_token *token;              /* or NULL */
    uint64_t deadline_ns;          /* CLOCK_MONOTONIC; 0 = none */
    pthread_t thread;              /* the thread running the call (for the signal) */
    uint64_t resend_ns;            /* when to signal it (again), once fired */
    uint64_t resend_gap;
    int fired;
} aot_watch;

/* Register `w` for a call on tctx when it has a timeout or token or is nested in a
 * watched call: 1 when registered (call aot_watch_end), 0 when not needed, -1 when the
 * watchdog thread could not be started. */
int aot_watch_begin(aot_watch *w, TCtx *tctx, uint64_t timeout_ns, aot_token *token);
void aot_watch_end(aot_watch *w);

/* Write a fixed message to stderr and abort (async-signal-safe). */
__attribute__((noreturn)) void aot_fatal(const char *message);

/* A tiny spinlock for grow operations (rare and short). */
void aot_spin_lock(uint32_t *lock);
void aot_spin_unlock(uint32_t *lock);

#endif /* AOT_INTERNAL_H */
