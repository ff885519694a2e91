/* Entering Wasm: aot_invoke, the per-thread entry stack, the stack limit, leaving by trap.
 *
 * Each aot_invoke pushes an entry record (with a sigjmp_buf) on a thread-local list and
 * builds the TCtx on its own stack. A trap (the TRAP builtin, or a fault the signal
 * handler accepts) jumps to the innermost entry; every entry is popped on both the
 * normal and the trap path, so the list never holds a stale buffer. Wasm -> host ->
 * Wasm nests naturally: the inner call pushes its own entry.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>

#include "aot_internal.h"

AOT_TLS_SIGNAL_SAFE aot_entry *aot_current_entry;

/* Stack bounds of this thread, found once (pthread_getattr_np reads /proc/self/maps
 * for the main thread, which is far too slow to do per call). */
static __thread uintptr_t stack_lo;
static __thread uintptr_t stack_hi;
static __thread int thread_ready;

static _Atomic size_t margin_override;

#define KIB ((size_t)1024)
/* Used when the thread's stack cannot be found: assume this much below the first entry. */
#define UNKNOWN_STACK_SIZE (256 * KIB)
/* Largest stack we trust: with an unlimited RLIMIT_STACK glibc reports the distance to
 * the next mapping for the main thread, which the stack cannot really fill (the kernel
 * keeps a guard gap). Using less of it is always safe. */
#define MAX_TRUSTED_STACK ((size_t)1 << 30)

void aot_set_stack_margin(size_t bytes) { atomic_store(&margin_override, bytes); }

/* The part of the stack kept free below the deepest Wasm frame: room for the C
 * builtins, for host callbacks (cffi and the Python interpreter run there) and for
 * whatever they call. A quarter of the stack, between 64 KiB and 1 MiB. */
static size_t stack_margin(void) {
    size_t forced = atomic_load_explicit(&margin_override, memory_order_relaxed);
    if (forced)
        return forced;
    size_t m = (stack_hi - stack_lo) / 4;
    if (m < 64 * KIB)
        m = 64 * KIB;
    if (m > 1024 * KIB)
        m = 1024 * KIB;
    return m;
}

void aot_thread_setup(void) {
    if (thread_ready)
        return;
    aot_runtime_init(); /* for C users that did not call it; a no-op after the first time */
    void *addr = NULL;
    size_t size = 0;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) != 0)
            addr = NULL;
        pthread_attr_destroy(&attr);
    }
    if (addr && size) {
        stack_hi = (uintptr_t)addr + size;
        stack_lo = size > MAX_TRUSTED_STACK ? stack_hi - MAX_TRUSTED_STACK : (uintptr_t)addr;
    } else {
        stack_hi = (uintptr_t)__builtin_frame_address(0);
        stack_lo = stack_hi - UNKNOWN_STACK_SIZE;
    }
    aot_ensure_altstack();
    thread_ready = 1;
}

uintptr_t aot_thread_stack_limit(void) {
    aot_thread_setup();
    uintptr_t limit = stack_lo + stack_margin();
    /* Never let an inner entry go deeper than an outer one allowed. */
    aot_entry *outer = aot_current_entry;
    if (outer && outer->stack_limit > limit)
        limit = outer->stack_limit;
    return limit;
}

int aot_invoke_ex(void *tramp, void *fn, void *vmctx, void *slots, aot_trap_info *out,
                  uint64_t timeout_ns, aot_token *token) {
    aot_entry entry;
    aot_watch watch;
    TCtx tctx;
    aot_entry *const outer = aot_current_entry;

    memset(&tctx, 0, sizeof tctx);
    memset(&entry.trap, 0, sizeof entry.trap);
    entry.outer = outer;
    entry.stack_limit = aot_thread_stack_limit();
    entry.stack_lo = stack_lo;
    tctx.stack_limit = entry.stack_limit;
    tctx.entry = &entry;
    tctx.entry_slot = (void *)&aot_current_entry;
    /* Set before sigsetjmp and never changed after: valid on the trap path too. */
    const int watched = aot_watch_begin(&watch, &tctx, timeout_ns, token);
    if (watched < 0)
        return -1;

    if (sigsetjmp(entry.jump, 0) == 0) {
        /* Publish the entry only now that its jump buffer is valid. */
        aot_current_entry = &entry;
        atomic_signal_fence(memory_order_seq_cst);
        ((aot_trampoline_fn)tramp)(fn, vmctx, &tctx, slots);
        atomic_signal_fence(memory_order_seq_cst);
        aot_current_entry = outer;
        if (watched)
            aot_watch_end(&watch);
        return 0;
    }
    /* Trapped. `outer` is const and was set before sigsetjmp, so it survived the jump;
     * the trap record was written through a pointer, so read it back from memory. */
    aot_current_entry = outer;
    if (watched)
        aot_watch_end(&watch);
    volatile aot_trap_info *t = &entry.trap;
    out->code = t->code;
    out->func_index = t->func_index;
    out->pc = t->pc;
    out->fault_addr = t->fault_addr;
    out->from_signal = t->from_signal;
    return 1;
}

int aot_invoke(void *tramp, void *fn, void *vmctx, void *slots, aot_trap_info *out) {
    return aot_invoke_ex(tramp, fn, vmctx, slots, out, 0, NULL);
}

void aot_raise_trap(aot_entry *entry) {
    /* savemask 0 at sigsetjmp: a trap from the builtin changed no mask, and the signal
     * handler restores the interrupted mask itself before it jumps. */
    siglongjmp(entry->jump, 1);
}
