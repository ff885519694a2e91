/* Interrupting Wasm calls: deadlines (timeouts) and interrupt tokens.
 *
 * Two ways stop a call, and both are always used:
 *
 * - A signal (AOT_INTERRUPT_SIGNAL, a real-time signal): the watchdog sends it with
 *   pthread_kill to the thread running the call. If the thread is executing compiled
 *   Wasm code (its pc is in the text of a registered module) of the interrupted call,
 *   the handler leaves through the innermost entry with the trap INTERRUPTED, exactly as
 *   a guard-page fault does; compiled code needs no checks, so this costs nothing
 *   while nothing is interrupted. If the thread is elsewhere (a builtin, a host
 *   function, the runtime) the handler does nothing and the watchdog sends it again
 *   a little later (1 ms, doubling up to 16 ms) until the call has ended; host
 *   functions are also checked when they return (runtime/_hostcall.py).
 * - The word TCtx.interrupt, set at the same time: code compiled with interrupt
 *   checks (aot/translate/interrupt.py; opt-in, as they cost) reads it at loop headers
 *   and function entries, so it stops deterministically even where the signal is
 *   unavailable (AOT_INTERRUPT_SIGNAL=0, or another handler owns the signal).
 *
 * When to interrupt:
 *
 * - A call made with a timeout or a token (aot_invoke_ex) registers a *watch* (on
 *   aot_invoke_ex's stack: its tctx, absolute deadline, token) in one global list
 *   under a mutex, and removes it before aot_invoke_ex returns, on the normal and the
 *   trap path alike. The watchdog thread (started on the first timed call) sleeps on
 *   a condition variable until the earliest deadline, then sets the tctx's interrupt
 *   word of every watch that is due. Setting it under the same mutex that removal
 *   takes means it never writes to a tctx whose call has returned.
 * - aot_token_interrupt sets the word of every running call that uses the token, and
 *   marks the token so later calls with it stop at their first check (until reset).
 * - Nested calls on one thread (Wasm -> host -> Wasm) each have their own tctx. An
 *   inner call made while an outer call is watched registers a watch too, whose
 *   parent is the outer one: it inherits the earlier deadline, and interrupting the
 *   outer watch (by deadline or token) interrupts every watch nested in it. Calls
 *   that are neither timed nor nested in a watched call register nothing: a plain
 *   call costs one thread-local read here.
 *
 * Host code (a Python host function) is not interrupted; the Wasm code that called
 * it stops at its next check after the host function returns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "aot_internal.h"

#define RESEND_FIRST_NS 1000000ull   /* 1 ms */
#define RESEND_MAX_NS 16000000ull    /* 16 ms */

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cond;
static aot_watch *watches; /* every registered watch (doubly linked) */
static int watchdog_started;
static uint64_t watchdog_wake; /* when the watchdog wakes next; 0 = only when signalled */
static int cond_ready;
static _Atomic uint64_t fired_total;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_once(void);

/* innermost watch of this thread; the signal handler reads it */
static AOT_TLS_SIGNAL_SAFE aot_watch *current_watch;
static int interrupt_signal; /* 0: not available */

uint64_t aot_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void set_interrupt(aot_watch *w, uint64_t now) {
    if (!w->fired) {
        atomic_store_explicit((_Atomic uint64_t *)&w->tctx->interrupt, 1, memory_order_relaxed);
        __atomic_store_n(&w->fired, 1, __ATOMIC_RELEASE);
        atomic_fetch_add_explicit(&fired_total, 1, memory_order_relaxed);
        w->resend_ns = now; /* signal at once (the watchdog loop sends it) */
        w->resend_gap = RESEND_FIRST_NS;
    }
}

/* ---- the signal -------------------------------------------------------------------- */

static uintptr_t context_pc(const void *uctx) {
    const ucontext_t *uc = uctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
#error "aot-wasm runtime: unsupported architecture (x86_64 and aarch64 only)"
#endif
}

static void handle_interrupt(int sig, siginfo_t *info, void *uctx) {
    (void)sig;
    int saved_errno = errno;
    aot_entry *entry = aot_current_entry;
    aot_watch *w = current_watch;
    /* Only our own pthread_kill, for a call of this thread that was interrupted, while
     * its compiled code runs (not the runtime, a builtin or a host function). */
    if (info->si_code == SI_TKILL && info->si_pid == getpid() && entry && w &&
        __atomic_load_n(&w->fired, __ATOMIC_ACQUIRE)) {
        uintptr_t pc = context_pc(uctx);
        if (aot_registry_contains(&aot_code_registry, pc)) {
            entry->trap.code = AOT_TRAP_INTERRUPTED;
            entry->trap.func_index = AOT_NO_FUNC_INDEX;
            entry->trap.pc = pc;
            entry->trap.fault_addr = 0;
            entry->trap.from_signal = 1;
            pthread_sigmask(SIG_SETMASK, &((ucontext_t *)uctx)->uc_sigmask, NULL);
            aot_raise_trap(entry);
        }
    }
    errno = saved_errno;
}

/* Take the signal if nobody else handles it (AOT_INTERRUPT_SIGNAL=N picks another
 * real-time signal, 0 turns signals off). */
static void install_signal(void) {
    int sig = SIGRTMIN + 7;
    const char *env = getenv("AOT_INTERRUPT_SIGNAL");
    if (env && *env) {
        sig = atoi(env);
        if (sig != 0 && (sig < SIGRTMIN || sig > SIGRTMAX))
            return;
    }
    if (sig == 0)
        return;
    struct sigaction old, sa;
    if (sigaction(sig, NULL, &old) != 0)
        return;
    if (!(old.sa_flags & SA_SIGINFO) && (old.sa_handler != SIG_DFL))
        return; /* someone else's */
    if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction != handle_interrupt)
        return;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handle_interrupt;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == 0)
        interrupt_signal = sig;
}

int aot_interrupt_signal(void) {
    pthread_once(&once, init_once);
    return interrupt_signal;
}

/* Interrupt `root` and every watch nested in it. Caller holds watch_lock. */
static void fire_tree(aot_watch *root, uint64_t now) {
    set_interrupt(root, now);
    for (aot_watch *x = watches; x; x = x->next) {
        for (aot_watch *p = x->parent; p; p = p->parent) {
            if (p == root) {
                set_interrupt(x, now);
                break;
            }
        }
    }
}

static int has_child(const aot_watch *w) {
    for (aot_watch *x = watches; x; x = x->next)
        if (x->parent == w)
            return 1;
    return 0;
}

static void *watchdog_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&watch_lock);
    for (;;) {
        uint64_t now = aot_monotonic_ns();
        uint64_t next = 0;
        for (aot_watch *w = watches; w; w = w->next) {
            if (w->deadline_ns && !w->fired && w->deadline_ns <= now)
                fire_tree(w, now);
        }
        for (aot_watch *w = watches; w; w = w->next) {
            uint64_t when = 0;
            if (w->fired && interrupt_signal) {
                /* Only the innermost watch of a thread is signalled: it is the one
                 * whose code can be running. */
                if (!has_child(w)) {
                    if (w->resend_ns <= now) {
                        pthread_kill(w->thread, interrupt_signal);
                        w->resend_ns = now + w->resend_gap;
                        if (w->resend_gap < RESEND_MAX_NS)
                            w->resend_gap *= 2;
                    }
                    when = w->resend_ns;
                }
            } else if (w->deadline_ns && !w->fired) {
                when = w->deadline_ns;
            }
            if (when && (!next || when < next))
                next = when;
        }
        watchdog_wake = next;
        if (!next) {
            pthread_cond_wait(&watch_cond, &watch_lock);
        } else {
            struct timespec ts = {(time_t)(next / 1000000000ull), (long)(next % 1000000000ull)};
            pthread_cond_timedwait(&watch_cond, &watch_lock, &ts);
        }
    }
    return NULL;
}

static void init_cond(void) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&watch_cond, &attr);
    pthread_condattr_destroy(&attr);
    cond_ready = 1;
}

/* After fork only the forking thread exists: no watchdog, no running calls but its own
 * (whose watches stay valid: they live on its stack). */
static void after_fork_child(void) {
    /* Forget the calls of threads that do not exist in the child. */
    pthread_t self = pthread_self();
    aot_watch *keep = NULL;
    for (aot_watch *w = watches, *next; w; w = next) {
        next = w->next;
        if (pthread_equal(w->thread, self)) {
            w->prev = NULL;
            w->next = keep;
            if (keep)
                keep->prev = w;
            keep = w;
        }
    }
    watches = keep;
    pthread_mutex_init(&watch_lock, NULL);
    init_cond();
    watchdog_started = 0;
    watchdog_wake = 0;
}

static void init_once(void) {
    init_cond();
    install_signal();
    pthread_atfork(NULL, NULL, after_fork_child);
}

/* Start the watchdog thread if needed; caller holds watch_lock. 0 or -1. */
static int ensure_watchdog(void) {
    if (watchdog_started)
        return 0;
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    /* The watchdog must not take SIGSEGV/SIGBUS handling or Python's signals. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&tid, &attr, watchdog_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        return -1;
    watchdog_started = 1;
    return 0;
}

int aot_watch_begin(aot_watch *w, TCtx *tctx, uint64_t timeout_ns, aot_token *token) {
    aot_watch *parent = current_watch;
    if (!timeout_ns && !token && !parent)
        return 0;
    pthread_once(&once, init_once);
    w->tctx = tctx;
    w->token = token;
    w->parent = parent;
    w->fired = 0;
    w->thread = pthread_self();
    w->deadline_ns = timeout_ns ? aot_monotonic_ns() + timeout_ns : 0;
    if (parent && parent->deadline_ns && (!w->deadline_ns || parent->deadline_ns < w->deadline_ns))
        w->deadline_ns = parent->deadline_ns;
    pthread_mutex_lock(&watch_lock);
    if ((w->deadline_ns || token || parent) && ensure_watchdog() != 0) {
        pthread_mutex_unlock(&watch_lock);
        return -1;
    }
    w->prev = NULL;
    w->next = watches;
    if (watches)
        watches->prev = w;
    watches = w;
    if ((token && atomic_load_explicit((_Atomic uint64_t *)&token->interrupted, memory_order_relaxed)) ||
        (parent && parent->fired))
        set_interrupt(w, aot_monotonic_ns());
    /* Publish before the watchdog can signal this thread for it. */
    current_watch = w;
    /* Wake the watchdog only if it must act sooner than it planned: an earlier deadline,
     * or a signal to send now. Most timed calls end before anything happens. */
    if (w->fired || (w->deadline_ns && (!watchdog_wake || w->deadline_ns < watchdog_wake)))
        pthread_cond_signal(&watch_cond);
    pthread_mutex_unlock(&watch_lock);
    return 1;
}

void aot_watch_end(aot_watch *w) {
    pthread_mutex_lock(&watch_lock);
    if (w->prev)
        w->prev->next = w->next;
    else
        watches = w->next;
    if (w->next)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&watch_lock);
    current_watch = w->parent;
}

int aot_token_interrupt(aot_token *token) {
    int n = 0;
    pthread_once(&once, init_once);
    pthread_mutex_lock(&watch_lock);
    atomic_store_explicit((_Atomic uint64_t *)&token->interrupted, 1, memory_order_relaxed);
    uint64_t now = aot_monotonic_ns();
    for (aot_watch *w = watches; w; w = w->next) {
        if (w->token == token) {
            fire_tree(w, now);
            n++;
        }
    }
    if (n)
        pthread_cond_signal(&watch_cond); /* the watchdog sends the signals */
    pthread_mutex_unlock(&watch_lock);
    return n;
}

void aot_token_reset(aot_token *token) {
    atomic_store_explicit((_Atomic uint64_t *)&token->interrupted, 0, memory_order_relaxed);
}

int aot_watch_count(void) {
    int n = 0;
    pthread_mutex_lock(&watch_lock);
    for (aot_watch *w = watches; w; w = w->next)
        n++;
    pthread_mutex_unlock(&watch_lock);
    return n;
}

uint64_t aot_interrupts_fired(void) { return atomic_load(&fired_total); }
