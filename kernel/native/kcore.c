/* The kernel's core: namespaces, object lifetimes, death, and the generic translator.
 *
 * Namespaces are arrays of slots with a stack of free indices: install and release are
 * O(1), a released index is the next one reused (so churn never grows the table), and
 * the table only grows (doubling) when every slot is live. A cap number is checked
 * against the table's size and the slot's content, so a forged number can only name
 * nothing (K_EBADCAP) or one of the caller's own caps.
 */
#include <stdlib.h>

#include "kcore.h"
#include "kapi.h"

#define K_INITIAL_SLOTS 16u

/* ---- namespaces ---------------------------------------------------------------------- */

static int ns_grow(KNamespace *ns) {
    uint32_t cap = ns->capacity ? ns->capacity * 2 : K_INITIAL_SLOTS;
    if (cap > ns->limit + 1)
        cap = ns->limit + 1;
    if (cap <= ns->capacity)
        return 0;
    KSlot *slots = realloc(ns->slots, (size_t)cap * sizeof *slots);
    if (!slots)
        return 0;
    ns->slots = slots;
    uint32_t *fr = realloc(ns->free, (size_t)cap * sizeof *fr);
    if (!fr)
        return 0;
    ns->free = fr;
    ns->capacity = cap;
    return 1;
}

uint32_t k_ns_install(KInstance *inst, KObject *obj, uint32_t flags) {
    KNamespace *ns = &inst->ns;
    if (inst->dead || ns->live >= ns->limit)
        return 0;
    uint32_t c;
    if (ns->nfree > 0) {
        c = ns->free[--ns->nfree];
    } else {
        if (ns->size == ns->capacity && !ns_grow(ns))
            return 0;
        c = ns->size++;
    }
    ns->slots[c].obj = obj;
    ns->slots[c].flags = flags;
    ns->live++;
    obj->refs++;
    return c;
}

void k_ns_remove(KInstance *inst, uint32_t c) {
    KNamespace *ns = &inst->ns;
    if (c == 0 || c >= ns->size || ns->slots[c].obj == NULL)
        return;
    k_slot_free(ns, c);
}

/* Drop every cap of a namespace and its storage (an instance died or is closed). */
static void ns_clear(KInstance *inst) {
    KNamespace *ns = &inst->ns;
    KSlot *slots = ns->slots;
    uint32_t size = ns->size;
    /* Detach first: releasing an object (a message holding caps) never touches this
     * namespace, but a half-torn-down table must not be visible to anything. */
    ns->slots = NULL;
    ns->size = ns->capacity = ns->nfree = ns->live = 0;
    free(ns->free);
    ns->free = NULL;
    for (uint32_t c = 1; c < size; c++) {
        KObject *obj = slots[c].obj;
        if (obj && --obj->refs == 0)
            k_obj_release(obj);
    }
    free(slots);
}

/* ---- objects ------------------------------------------------------------------------- */

void k_obj_release(KObject *obj) {
    if (obj->destroy)
        obj->destroy(obj);
    else
        free(obj);
}

void k_refs_drop(KObject **objs, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (objs[i] && --objs[i]->refs == 0)
            k_obj_release(objs[i]);
}

static void message_destroy(KObject *o) {
    KMessage *m = (KMessage *)o;
    k_refs_drop(m->caps, m->ncaps);
    if (m->reply_caps)
        k_refs_drop(m->reply_caps, (uint32_t)m->reply_ncaps);
    if (m->base.owner)
        m->base.owner->kmem_used -= m->charged;
    free(m->reply_caps);
    free(m->reply_buf);
    free(m->caps);
    free(m->data);
    free(m);
}

KObject *k_object_new(uint32_t kind, KInstance *owner) {
    size_t size;
    switch (kind) {
    case K_KIND_HANDLE: size = sizeof(KHandle); break;
    case K_KIND_MESSAGE: size = sizeof(KMessage); break;
    case K_KIND_GRANT: size = sizeof(KGrant); break;
    case K_KIND_ENDPOINT: size = sizeof(KEndpoint); break;
    default: size = sizeof(KObject); break;
    }
    KObject *o = calloc(1, size);
    if (!o)
        return NULL;
    o->kind = kind;
    o->owner = owner;
    if (kind == K_KIND_MESSAGE)
        o->destroy = message_destroy;
    return o;
}

/* ---- instances ----------------------------------------------------------------------- */

KInstance *k_instance_new(KKernel *k, VMMemory *mem, uint32_t cap_limit, uint32_t id) {
    KInstance *inst = calloc(1, sizeof *inst);
    if (!inst)
        return NULL;
    inst->kernel = k;
    inst->mem = mem;
    inst->id = id;
    inst->ns.limit = cap_limit ? cap_limit : 1;
    if (!ns_grow(&inst->ns)) {
        free(inst->ns.slots);
        free(inst);
        return NULL;
    }
    inst->ns.size = 1; /* slot 0 is CAP_NULL, never allocated */
    inst->ns.slots[0].obj = NULL;
    return inst;
}

void k_instance_kill(KInstance *inst, uint32_t trap_code) {
    if (inst->dead)
        return;
    inst->dead = 1;
    inst->trap_code = trap_code;
    /* Revocation is by liveness: every object this instance made checks its owner on
     * use. Its own caps go now, so whatever they kept alive can be freed. */
    ns_clear(inst);
}

void k_instance_close(KInstance *inst) { k_instance_kill(inst, 0); }

void k_instance_free(KInstance *inst) {
    ns_clear(inst);
    free(inst);
}

int32_t k_instance_live_caps(KInstance *inst) { return (int32_t)inst->ns.live; }
int32_t k_instance_table_size(KInstance *inst) { return (int32_t)inst->ns.size; }

void k_callee_trapped(KLink *link, const aot_trap_info *trap) {
    link->callee->kernel->calls_trapped++;
    k_instance_kill(link->callee, trap->code);
    k_fail(link->caller, K_ETRAPPED);
}

/* ---- the generic translator ----------------------------------------------------------
 * Bound through the caller module's host adapter for the import's type: the adapter
 * stores the params in `slots` and calls this (HostContext.callback). It translates the
 * cap params in place, calls the callee through its module's trampoline under a guard,
 * and translates the cap results back. Never fails the adapter: errors become zeros and
 * the caller's k_error(), as with the specialised translators. */

typedef struct KGenericCtx { /* laid out as a HostContext: builtins, callback, handle */
    void *builtins;
    void *callback;
    KLink *link;
    void *_reserved;
} KGenericCtx;

int32_t k_generic_translate(void *host_ctx, void *tctx, void *slots_) {
    KLink *L = ((KGenericCtx *)host_ctx)->link;
    aot_slot *slots = slots_;
    KInstance *caller = L->caller, *callee = L->callee;
    uint32_t lent[32];
    int nlent = 0, np = (int)L->nparams, nr = (int)L->nresults;

    if (K_UNLIKELY(callee->dead | caller->dead)) {
        k_fail(caller, K_EDEAD);
        goto zero;
    }
    if (K_UNLIKELY(np > 32)) { /* the kernel never links such a shape; refuse anyway */
        k_fail(caller, K_EINVAL);
        goto zero;
    }
    for (int i = 0; i < np; i++) {
        if (L->params[i] != 'c')
            continue;
        uint32_t c = slots[i].u32;
        if (c == 0)
            continue;
        KObject *obj = k_lookup(caller, c);
        uint32_t lc = obj ? k_lend(callee, obj) : 0;
        if (K_UNLIKELY(lc == 0)) {
            for (int j = 0; j < nlent; j++)
                k_unlend(callee, lent[j]);
            k_fail(caller, obj ? K_ENOMEM : K_EBADCAP);
            goto zero;
        }
        slots[i].u64[0] = lc;
        lent[nlent++] = lc;
    }
    int trapped = 0;
    K_GUARDED_CALL(tctx, { k_callee_trapped(L, _k_trap); trapped = 1; },
                   ((aot_trampoline_fn)L->callee_tramp)(L->fn, L->vmctx, tctx, slots));
    if (trapped)
        goto zero;
    if (K_UNLIKELY(callee->dead)) { /* died in a nested call and returned anyway */
        k_fail(caller, K_ETRAPPED);
        goto zero;
    }
    for (int j = 0; j < nlent; j++)
        k_unlend(callee, lent[j]);
    for (int i = 0; i < nr; i++)
        if (L->results[i] == 'c')
            slots[i].u64[0] = k_move_result(callee, caller, slots[i].u32);
    return 0;
zero:
    for (int i = 0; i < nr; i++)
        slots[i].u64[0] = slots[i].u64[1] = 0;
    return 0;
}

KGenericCtx *k_generic_ctx_new(void *builtins, KLink *link) {
    KGenericCtx *g = calloc(1, sizeof *g);
    if (g) {
        g->builtins = builtins;
        g->callback = (void *)k_generic_translate;
        g->link = link;
    }
    return g;
}

/* ---- the message convention ----------------------------------------------------------
 * endpoint_call(ep, msg, a0..a3): any endpoint, one fixed signature, so one native
 * path serves every dynamic call. */
int32_t k_endpoint_invoke(KInstance *caller, void *tctx, KEndpoint *ep, KObject *msg,
                          int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
    KInstance *callee = ep->target;
    if (K_UNLIKELY(callee->dead | caller->dead)) {
        k_fail(caller, K_EDEAD);
        return 0;
    }
    uint32_t lm = 0;
    if (msg) {
        lm = k_lend(callee, msg);
        if (!lm) {
            k_fail(caller, K_ENOMEM);
            return 0;
        }
    }
    typedef int32_t (*msg_fn)(void *, void *, uint32_t, int32_t, int32_t, int32_t, int32_t);
    int32_t r = 0;
    KLink L = {ep->fn, ep->vmctx, caller, callee, 0, 0, 0, 0, 0};
    int trapped = 0;
    K_GUARDED_CALL(tctx, { k_callee_trapped(&L, _k_trap); trapped = 1; },
                   r = ((msg_fn)ep->fn)(ep->vmctx, tctx, lm, a0, a1, a2, a3));
    if (trapped)
        return 0;
    if (callee->dead) {
        k_fail(caller, K_ETRAPPED);
        return 0;
    }
    if (lm)
        k_unlend(callee, lm);
    return r;
}

/* ---- out-of-line forms of the inline fast paths, for the Python side ---------------- */

KObject *k_ns_lookup(KInstance *inst, uint32_t c) { return k_lookup(inst, c); }
uint32_t k_lend_cap(KInstance *inst, KObject *obj) { return k_lend(inst, obj); }
void k_unlend_cap(KInstance *inst, uint32_t c) { k_unlend(inst, c); }
uint32_t k_move_cap(KInstance *from, KInstance *to, uint32_t c) { return k_move_result(from, to, c); }
