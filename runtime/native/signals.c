/* The SIGSEGV/SIGBUS handler that turns guard-memory faults into Wasm traps.
 *
 * A fault becomes a trap (MEMORY_OUT_OF_BOUNDS) only when ALL of these hold:
 *   1. it was raised by the hardware (si_code > 0), not sent with kill()/raise():
 *      only then do si_addr and the pc describe a real access;
 *   2. this thread is inside aot_invoke (aot_current_entry != NULL): only then is
 *      there a jump buffer to go to, and it is this thread's own innermost entry;
 *   3. the faulting address lies in a registered guard-memory reservation: only
 *      guard memories are allowed to fault by design;
 *   4. the faulting pc lies in the text of a registered compiled module: a fault in
 *      the runtime, in Python or in any other library is a real bug and must not be
 *      hidden as a trap, even if it touched a guard region.
 * With all four, the faulting instruction is a Wasm load/store of the innermost call
 * on this thread.
 *
 * A fault is CALL_STACK_EXHAUSTED when 1, 2 and 4 hold and the address lies in the
 * STACK_GUARD_WINDOW bytes just below this thread's stack. The prologue's stack-limit
 * check runs only after LLVM has allocated the frame, and a frame larger than the
 * runtime's margin (a hostile function keeping many values live) would reach the
 * thread's guard page first. Frames are allocated with inline stack probes that touch
 * every page in order, so such an overflow always faults within the first page below
 * the stack; the window is wider only for tolerance. The faulting instruction is then
 * the probe in a Wasm prologue, and abandoning the frames is as safe as for case 3. Compiled code holds no locks and owns no resources, so abandoning
 * its frames with siglongjmp is safe, like the TRAP builtin does.
 *
 * Everything else is chained to the handler that was installed before ours:
 *   - an SA_SIGINFO handler is called with the same arguments;
 *   - a plain handler is called with the signal number;
 *   - SIG_DFL: we restore the default action and return, so the faulting instruction
 *     runs again and the kernel delivers the default action (core dump) at the true
 *     fault site; a *sent* signal does not repeat, so we raise it again instead (it
 *     stays pending until the handler returns);
 *   - SIG_IGN: a sent signal stays ignored; a real fault cannot be ignored (the
 *     instruction would fault forever), so it gets the default action like SIG_DFL.
 * Python's faulthandler, when enabled before this runtime is loaded, is such a
 * previous handler and keeps working.
 *
 * The handler calls only async-signal-safe functions: it reads initial-exec TLS,
 * scans fixed registries with atomic loads (registry.c), and uses pthread_sigmask,
 * sigaction, raise and siglongjmp. It runs on an alternate signal stack
 * (SA_ONSTACK; every thread that enters Wasm gets one), so it works even when the
 * thread's own stack is exhausted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "aot_internal.h"

static struct sigaction previous_segv;
static struct sigaction previous_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_result = AOT_ERR_OS;
static pthread_key_t altstack_key;

#define ALTSTACK_SIZE (64 * 1024)

static uintptr_t faulting_pc(const void *uctx) {
    const ucontext_t *uc = uctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
#error "aot-wasm runtime: unsupported architecture (x86_64 and aarch64 only)"
#endif
}

static void set_default(int sig) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
}

static void chain(int sig, siginfo_t *info, void *uctx) {
    const struct sigaction *prev = sig == SIGBUS ? &previous_bus : &previous_segv;
    int sent = info->si_code <= 0;
    /* sa_handler and sa_sigaction share storage: test for SIG_DFL/SIG_IGN first, so a
     * previous "SA_SIGINFO with SIG_DFL" is never called as a function. */
    if (prev->sa_handler == SIG_IGN && sent) {
        /* ignored, as it would have been without us */
    } else if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN) {
        set_default(sig);
        if (sent)
            raise(sig);
    } else if (prev->sa_flags & SA_SIGINFO) {
        prev->sa_sigaction(sig, info, uctx);
    } else {
        prev->sa_handler(sig);
    }
}

#define STACK_GUARD_WINDOW ((uintptr_t)64 * 1024)

/* The trap a Wasm-code fault at `addr` stands for, or 0 if it is none of ours. */
static uint32_t classify(const aot_entry *entry, uintptr_t addr) {
    if (aot_registry_contains(&aot_guard_registry, addr))
        return AOT_TRAP_MEMORY_OUT_OF_BOUNDS;
    if (entry->stack_lo > STACK_GUARD_WINDOW && addr < entry->stack_lo &&
        addr >= entry->stack_lo - STACK_GUARD_WINDOW)
        return AOT_TRAP_CALL_STACK_EXHAUSTED;
    return 0;
}

static void handle_fault(int sig, siginfo_t *info, void *uctx) {
    int saved_errno = errno;
    aot_entry *entry = aot_current_entry;
    if (info->si_code > 0 && entry != NULL) {
        uintptr_t addr = (uintptr_t)info->si_addr;
        uintptr_t pc = faulting_pc(uctx);
        uint32_t code = classify(entry, addr);
        if (code != 0 && aot_registry_contains(&aot_code_registry, pc)) {
            entry->trap.code = code;
            entry->trap.func_index = AOT_NO_FUNC_INDEX;
            entry->trap.pc = pc;
            entry->trap.fault_addr = addr;
            entry->trap.from_signal = 1;
            /* The kernel blocked `sig` for the handler's duration; the jump skips the
             * handler's return, so restore the interrupted mask here. */
            pthread_sigmask(SIG_SETMASK, &((ucontext_t *)uctx)->uc_sigmask, NULL);
            aot_raise_trap(entry);
        }
    }
    errno = saved_errno;
    chain(sig, info, uctx);
}

static void free_altstack(void *mapping) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    stack_t current;
    /* Disable it first if it is still this thread's: the kernel must never deliver a
     * signal onto unmapped memory. */
    if (sigaltstack(NULL, &current) == 0 && current.ss_sp == (char *)mapping + page) {
        stack_t off;
        memset(&off, 0, sizeof off);
        off.ss_flags = SS_DISABLE;
        sigaltstack(&off, NULL);
    }
    munmap(mapping, page + ALTSTACK_SIZE);
}

void aot_ensure_altstack(void) {
    stack_t current;
    if (sigaltstack(NULL, &current) != 0 || !(current.ss_flags & SS_DISABLE))
        return; /* the thread has one already (e.g. faulthandler's): keep it */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = ALTSTACK_SIZE;
    long minimum = sysconf(_SC_SIGSTKSZ);
    if (minimum > 0 && (size_t)minimum * 4 > size)
        size = ((size_t)minimum * 4 + page - 1) / page * page;
    char *p = mmap(NULL, page + size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return; /* without one, the handler runs on the thread's stack: still correct */
    mprotect(p, page, PROT_NONE); /* guard page: an overflowing handler faults cleanly */
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = p + page;
    ss.ss_size = size;
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(p, page + size);
        return;
    }
    pthread_setspecific(altstack_key, p); /* freed by free_altstack at thread exit */
}

static void install(void) {
    if (pthread_key_create(&altstack_key, free_altstack) != 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handle_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    /* Read the previous handler before installing ours, so `previous_*` is complete
     * before our handler can run. */
    if (sigaction(SIGSEGV, NULL, &previous_segv) != 0 || sigaction(SIGBUS, NULL, &previous_bus) != 0)
        return;
    if (sigaction(SIGSEGV, &sa, NULL) != 0)
        return;
    if (sigaction(SIGBUS, &sa, NULL) != 0) {
        sigaction(SIGSEGV, &previous_segv, NULL);
        return;
    }
    install_result = AOT_OK;
}

int aot_runtime_init(void) {
    pthread_once(&install_once, install);
    return install_result;
}

int aot_signal_handler_installed(void) {
    struct sigaction segv, bus;
    if (sigaction(SIGSEGV, NULL, &segv) != 0 || sigaction(SIGBUS, NULL, &bus) != 0)
        return 0;
    return (segv.sa_flags & SA_SIGINFO) && segv.sa_sigaction == handle_fault &&
           (bus.sa_flags & SA_SIGINFO) && bus.sa_sigaction == handle_fault;
}
