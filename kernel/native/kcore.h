/* The capability kernel's native core: objects, namespaces, the call boundary.
 *
 * Everything a Wasm-to-Wasm call through the kernel touches lives here, so that such a
 * call never enters Python. The generated per-signature translators include this
 * header and use its inline fast paths; the core library (kcore.c, ksys.c) holds the
 * slow paths and the syscalls.
 *
 * Concurrency: one Kernel runs one plugin call at a time (its Python side holds a lock
 * around every entry from the host), so nothing here needs atomics.
 */
#ifndef KCORE_H
#define KCORE_H

#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include "aot_internal.h" /* aot_entry, TCtx, VMMemory: the runtime's ABI */

#define K_LIKELY(x) __builtin_expect(!!(x), 1)
#define K_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Error values: every syscall returns one (< 0) or a result >= 0; calls through a link
 * that fail return zeros and leave the error for k_error(). Mirrored in kernel.kif. */
#define K_OK 0
#define K_EBADCAP (-1)  /* not a live capability of this namespace (forged, released, null) */
#define K_EKIND (-2)    /* a capability of the wrong kind for this call */
#define K_EFAULT (-3)   /* a pointer/length outside the caller's own memory */
#define K_ERANGE (-4)   /* outside a grant's bounds */
#define K_EPERM (-5)    /* the grant lacks the right, or the cap is lent and cannot be released */
#define K_EDEAD (-6)    /* the instance behind the capability is dead */
#define K_ETRAPPED (-7) /* the callee trapped during this call and is now dead */
#define K_ENOMEM (-8)   /* the namespace or the kernel is out of room */
#define K_EAGAIN (-9)   /* already done (a second reply) or not yet (no reply) */
#define K_EINVAL (-10)  /* an argument is invalid (bad rights, too long, unknown name) */

/* Kinds of kernel object (cap_kind's answer; 0 = not a capability). */
#define K_KIND_HANDLE 1
#define K_KIND_MESSAGE 2
#define K_KIND_GRANT 3
#define K_KIND_ENDPOINT 4
#define K_KIND_INSTANCE 5
#define K_KIND_LOADER 6

/* msg_info's questions */
#define K_MSG_LEN 0
#define K_MSG_NCAPS 1
#define K_MSG_REPLY_LEN 2
#define K_MSG_REPLY_NCAPS 3

#define K_RIGHT_READ 1u
#define K_RIGHT_WRITE 2u

/* Flags of a namespace slot. */
#define K_SLOT_LENT 1u /* lent for the duration of a call: the holder may not release it */

struct KInstance;

/* What every capability points at. Objects are reference counted by the slots that
 * name them; `owner` is the instance that made it (NULL: the host), and an object
 * whose owner is dead is revoked: every use fails with K_EDEAD. */
typedef struct KObject {
    uint32_t kind;
    uint32_t refs;
    struct KInstance *owner;
    void (*destroy)(struct KObject *); /* frees the object when refs reaches 0 */
    void *host;                        /* the Python side's handle, for host-made objects */
} KObject;

typedef struct KHandle {
    KObject base;
    uint32_t cls;
    uint32_t ptr; /* an address in the owner's memory: returned to the owner only */
} KHandle;

typedef struct KGrant {
    KObject base;
    uint32_t rights;
    uint64_t offset; /* in the owner's memory, or into host_base for a host grant */
    uint64_t length;
    uint8_t *host_base; /* a host buffer (owner NULL), pinned by the Python side */
} KGrant;

typedef struct KMessage {
    KObject base;
    uint8_t *data;
    uint32_t len;
    uint32_t ncaps;
    KObject **caps; /* references held by the message */
    /* where the reply goes, in the sender's (owner's) memory */
    uint32_t recv_data, recv_len, recv_caps, n_recv_caps;
    int32_t reply_len;   /* -1 until replied */
    int32_t reply_ncaps; /* caps delivered with the reply */
    /* a host message (owner NULL) keeps its reply here: the host has no linear memory */
    uint8_t *reply_buf;
    KObject **reply_caps;
    uint64_t charged; /* bytes counted against the owner's kernel-memory allowance */
} KMessage;

/* A function of an instance that can be called with the message convention:
 * int32_t fn(vmctx, tctx, cap msg, int32 a0, a1, a2, a3). */
typedef struct KEndpoint {
    KObject base;
    struct KInstance *target;
    void *fn;
    void *vmctx;
} KEndpoint;

/* A namespace: slot i holds the object cap i names; slot 0 is CAP_NULL. Free slots are
 * NULL and their indices sit on a stack, most recently freed on top. */
typedef struct KSlot {
    KObject *obj;
    uint32_t flags;
    uint32_t _pad;
} KSlot;

typedef struct KNamespace {
    KSlot *slots;
    uint32_t size;     /* slots in use or free (high water), slot 0 included */
    uint32_t capacity; /* slots allocated */
    uint32_t *free;    /* stack of free indices */
    uint32_t nfree;
    uint32_t limit;    /* most live caps allowed */
    uint32_t live;
} KNamespace;

typedef struct KKernel KKernel;

/* An instance as the kernel sees it: its namespace, its memory, its state. The
 * syscalls it imports get this as their vmctx. */
typedef struct KInstance {
    KNamespace ns;
    VMMemory *mem;     /* memory 0, or NULL (the host; a module without memory) */
    int32_t error;     /* the last failure of a kernel call, taken by k_error() */
    uint32_t dead;     /* set once it trapped: never runs kernel calls again */
    uint32_t trap_code;
    uint32_t id;
    KKernel *kernel;
    uint64_t kmem_used;  /* kernel memory its objects hold (message copies) */
    uint64_t kmem_limit; /* ... and the most they may hold */
} KInstance;

struct KKernel {
    uint64_t calls_trapped; /* statistics */
    uint64_t objects_live;
};

/* A binding of one import of `caller` to one export of `callee`: a translator's vmctx. */
typedef struct KLink {
    void *fn;              /* the callee's function, compiled-code convention */
    void *vmctx;           /* the callee's vmctx */
    KInstance *caller;
    KInstance *callee;
    /* for the generic translator */
    void *callee_tramp;    /* aot_tramp_<T> of the callee's module */
    const char *params;    /* one letter per param: 'c' cap, 'i' i32, 'I' i64, 'f', 'F' */
    const char *results;
    uint32_t nparams, nresults; /* their lengths */
} KLink;

/* ---- slow paths and helpers (kcore.c) ---- */
uint32_t k_ns_install(KInstance *inst, KObject *obj, uint32_t flags); /* 0: no room */
void k_ns_remove(KInstance *inst, uint32_t cap);
void k_obj_release(KObject *obj);
/* Drop the reference each non-NULL objs[i] holds (objects may go). */
void k_refs_drop(KObject **objs, uint32_t n);
void k_callee_trapped(KLink *link, const aot_trap_info *trap);
void k_instance_kill(KInstance *inst, uint32_t trap_code);

/* ---- inline fast paths ---- */

/* The object cap `c` names in `inst`'s namespace, or NULL (never for a forged value). */
static inline KObject *k_lookup(KInstance *inst, uint32_t c) {
    if (K_UNLIKELY(c >= inst->ns.size))
        return NULL;
    return inst->ns.slots[c].obj;
}

static inline int k_owner_alive(const KObject *o) { return o->owner == NULL || !o->owner->dead; }

static inline void k_fail(KInstance *inst, int32_t error) { inst->error = error; }

/* Install `obj` in `inst` as a lent cap (fast path of k_ns_install). */
static inline uint32_t k_lend(KInstance *inst, KObject *obj) {
    KNamespace *ns = &inst->ns;
    if (K_LIKELY(ns->nfree > 0 && ns->live < ns->limit)) {
        uint32_t c = ns->free[--ns->nfree];
        ns->slots[c].obj = obj;
        ns->slots[c].flags = K_SLOT_LENT;
        ns->live++;
        obj->refs++;
        return c;
    }
    return k_ns_install(inst, obj, K_SLOT_LENT);
}

/* Free slot `c` (live, not 0): its index goes on the free stack, its object loses a ref. */
static inline void k_slot_free(KNamespace *ns, uint32_t c) {
    KObject *obj = ns->slots[c].obj;
    ns->slots[c].obj = NULL;
    ns->slots[c].flags = 0;
    ns->free[ns->nfree++] = c;
    ns->live--;
    if (--obj->refs == 0)
        k_obj_release(obj);
}

/* Take back a cap lent by k_lend (the holder could not release it meanwhile). */
static inline void k_unlend(KInstance *inst, uint32_t c) {
    KNamespace *ns = &inst->ns;
    if (K_UNLIKELY(c >= ns->size || ns->slots[c].obj == NULL))
        return; /* the namespace was torn down (the holder died) */
    k_slot_free(ns, c);
}

/* Move cap `c` of `from` (a result) into `to`: a new cap there, `from`'s slot released
 * unless it was lent to `from`. Returns the new cap, or 0 with to->error set. */
static inline uint32_t k_move_result(KInstance *from, KInstance *to, uint32_t c) {
    if (c == 0)
        return 0;
    KObject *obj = k_lookup(from, c);
    if (K_UNLIKELY(obj == NULL)) {
        k_fail(to, K_EBADCAP);
        return 0;
    }
    uint32_t r = k_ns_install(to, obj, 0);
    /* Moved either way: a result the caller has no room for is dropped, not left
     * behind in the callee, whose namespace would fill with what nobody can name. */
    if (!(from->ns.slots[c].flags & K_SLOT_LENT))
        k_ns_remove(from, c);
    if (K_UNLIKELY(r == 0))
        k_fail(to, K_ENOMEM);
    return r;
}

/* ---- the call boundary ----
 * K_GUARDED_CALL(tctx, on_trap, call): runs `call` with a runtime entry of its own, so
 * a trap inside lands here instead of unwinding the caller. `on_trap` gets `_k_trap`
 * (the aot_trap_info). The entry copies the outer one's stack limit: the callee runs
 * on the same stack, under the same limit. sigsetjmp(.., 0) saves no signal mask (no
 * syscall); the runtime's signal handler restores the mask itself before it jumps. */
#define K_GUARDED_CALL(tctx, on_trap, call)                                          \
    do {                                                                             \
        aot_entry _k_entry;                                                          \
        aot_entry **const _k_slot = (aot_entry **)((TCtx *)(tctx))->entry_slot;      \
        aot_entry *const _k_outer = *_k_slot;                                        \
        _k_entry.outer = _k_outer;                                                   \
        _k_entry.stack_limit = _k_outer->stack_limit;                                \
        _k_entry.stack_lo = _k_outer->stack_lo;                                      \
        if (sigsetjmp(_k_entry.jump, 0) == 0) {                                      \
            *_k_slot = &_k_entry;                                                    \
            atomic_signal_fence(memory_order_seq_cst);                               \
            call;                                                                    \
            atomic_signal_fence(memory_order_seq_cst);                               \
            *_k_slot = _k_outer;                                                     \
        } else {                                                                     \
            *_k_slot = _k_outer;                                                     \
            const aot_trap_info *_k_trap = (const aot_trap_info *)&_k_entry.trap;    \
            on_trap;                                                                 \
        }                                                                            \
    } while (0)

#endif /* KCORE_H */
