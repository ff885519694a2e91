/* The syscalls: what a plugin imports from the module "kernel" (kernel/interfaces/kernel.kif
 * declares them; their prototypes are generated from it, so a mismatch fails the build).
 *
 * Each gets the calling instance as its vmctx. Pointers are offsets into the caller's
 * own memory and are checked against its current length before any access; nothing a
 * plugin passes can make the kernel touch memory outside that plugin's memory or a
 * grant it holds. Failures return an error value (< 0, or CAP_NULL for cap results with
 * the error left for k_error()); no syscall ever traps its caller.
 */
#include <stdlib.h>

#include "kcore.h"
#include "kapi.h"

#define K_MSG_MAX_CAPS 64u
#define K_MSG_MAX_DATA (16u << 20)

/* The caller's bytes [ptr, ptr+len), or NULL when any of it is outside its memory. */
static inline uint8_t *user_bytes(KInstance *self, uint32_t ptr, uint64_t len) {
    VMMemory *m = self->mem;
    if (!m || (uint64_t)ptr + len > m->length)
        return NULL;
    return m->base + ptr;
}

static inline uint32_t load_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void store_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* The object behind `c` when it is live, of `kind` (0: any) and its owner alive. */
static KObject *lookup_kind(KInstance *self, uint32_t c, uint32_t kind, int32_t *err) {
    KObject *o = k_lookup(self, c);
    if (!o) {
        *err = K_EBADCAP;
        return NULL;
    }
    if (kind && o->kind != kind) {
        *err = K_EKIND;
        return NULL;
    }
    if (!k_owner_alive(o)) {
        *err = K_EDEAD;
        return NULL;
    }
    return o;
}

static uint32_t cap_result(KInstance *self, int32_t err) {
    k_fail(self, err);
    return 0;
}

/* A new object's first cap, in the caller's namespace; without room, the object goes. */
static uint32_t install_new(KInstance *self, KObject *obj) {
    uint32_t r = k_ns_install(self, obj, 0);
    if (!r) {
        k_obj_release(obj);
        return cap_result(self, K_ENOMEM);
    }
    return r;
}

#define DEAD_CHECK(self, ret)           \
    do {                                \
        if (K_UNLIKELY((self)->dead))   \
            return ret;                 \
    } while (0)

/* ---- generic ------------------------------------------------------------------------ */

int32_t ksys_k_error(KInstance *self, void *tctx) {
    (void)tctx;
    int32_t e = self->error;
    self->error = K_OK;
    return self->dead ? K_EDEAD : e;
}

uint32_t ksys_cap_dup(KInstance *self, void *tctx, uint32_t c) {
    (void)tctx;
    DEAD_CHECK(self, 0);
    int32_t err;
    KObject *o = lookup_kind(self, c, 0, &err);
    if (!o)
        return cap_result(self, err);
    uint32_t r = k_ns_install(self, o, 0);
    return r ? r : cap_result(self, K_ENOMEM);
}

int32_t ksys_cap_release(KInstance *self, void *tctx, uint32_t c) {
    (void)tctx;
    DEAD_CHECK(self, K_EDEAD);
    if (!k_lookup(self, c))
        return K_EBADCAP;
    if (self->ns.slots[c].flags & K_SLOT_LENT)
        return K_EPERM;
    k_ns_remove(self, c);
    return K_OK;
}

int32_t ksys_cap_kind(KInstance *self, void *tctx, uint32_t c) {
    (void)tctx;
    DEAD_CHECK(self, K_EDEAD);
    KObject *o = k_lookup(self, c);
    if (!o)
        return 0;
    return k_owner_alive(o) ? (int32_t)o->kind : K_EDEAD;
}

/* ---- handles ------------------------------------------------------------------------ */

uint32_t ksys_handle_create(KInstance *self, void *tctx, uint32_t ptr, uint32_t cls) {
    (void)tctx;
    DEAD_CHECK(self, 0);
    KHandle *h = (KHandle *)k_object_new(K_KIND_HANDLE, self);
    if (!h)
        return cap_result(self, K_ENOMEM);
    h->cls = cls;
    h->ptr = ptr;
    return install_new(self, &h->base);
}

uint32_t ksys_handle_badge(KInstance *self, void *tctx, uint32_t c, uint32_t cls) {
    (void)tctx;
    DEAD_CHECK(self, 0);
    int32_t err;
    KObject *o = lookup_kind(self, c, K_KIND_HANDLE, &err);
    if (!o) {
        k_fail(self, err);
        return 0;
    }
    KHandle *h = (KHandle *)o;
    if (o->owner != self || h->cls != cls) {
        k_fail(self, o->owner != self ? K_EPERM : K_EKIND);
        return 0;
    }
    return h->ptr;
}

/* ---- messages ----------------------------------------------------------------------- */

/* Take `n` cap numbers at `caps` of `self` as object references (refs taken). */
static int32_t take_caps(KInstance *self, const uint8_t *caps, uint32_t n, KObject **out) {
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c = load_u32(caps + 4 * i);
        KObject *o = c ? k_lookup(self, c) : NULL;
        if (c && !o) {
            k_refs_drop(out, i);
            return K_EBADCAP;
        }
        out[i] = o;
        if (o)
            o->refs++;
    }
    return K_OK;
}

/* Install `n` objects as new caps of `dst`, writing their numbers to `out` (or 0). */
static void give_caps(KInstance *dst, KObject **objs, uint32_t n, uint8_t *out) {
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c = 0;
        if (objs[i] && k_owner_alive(objs[i])) {
            c = k_ns_install(dst, objs[i], 0);
            if (!c)
                k_fail(dst, K_ENOMEM);
        }
        store_u32(out + 4 * i, c);
    }
}

uint32_t ksys_msg_create(KInstance *self, void *tctx, uint32_t send_data, uint32_t send_len,
                         uint32_t send_caps, uint32_t n_send_caps, uint32_t recv_data,
                         uint32_t recv_len, uint32_t recv_caps, uint32_t n_recv_caps) {
    (void)tctx;
    DEAD_CHECK(self, 0);
    if (send_len > K_MSG_MAX_DATA || n_send_caps > K_MSG_MAX_CAPS || n_recv_caps > K_MSG_MAX_CAPS)
        return cap_result(self, K_EINVAL);
    const uint8_t *data = user_bytes(self, send_data, send_len);
    const uint8_t *caps = user_bytes(self, send_caps, 4ull * n_send_caps);
    if (!data || !caps || !user_bytes(self, recv_data, recv_len) ||
        !user_bytes(self, recv_caps, 4ull * n_recv_caps))
        return cap_result(self, K_EFAULT);
    uint64_t charge = sizeof(KMessage) + send_len + sizeof(KObject *) * (uint64_t)n_send_caps;
    if (self->kmem_used + charge > self->kmem_limit)
        return cap_result(self, K_ENOMEM);
    KMessage *m = (KMessage *)k_object_new(K_KIND_MESSAGE, self);
    if (!m)
        return cap_result(self, K_ENOMEM);
    m->data = malloc(send_len ? send_len : 1);
    m->caps = calloc(n_send_caps ? n_send_caps : 1, sizeof *m->caps);
    if (!m->data || !m->caps) {
        k_obj_release(&m->base);
        return cap_result(self, K_ENOMEM);
    }
    int32_t err = take_caps(self, caps, n_send_caps, m->caps);
    if (err) {
        k_obj_release(&m->base);
        return cap_result(self, err);
    }
    memcpy(m->data, data, send_len);
    m->len = send_len;
    m->ncaps = n_send_caps;
    m->recv_data = recv_data;
    m->recv_len = recv_len;
    m->recv_caps = recv_caps;
    m->n_recv_caps = n_recv_caps;
    m->reply_len = -1;
    m->charged = charge;
    self->kmem_used += charge;
    return install_new(self, &m->base);
}

int32_t ksys_msg_recv(KInstance *self, void *tctx, uint32_t msg, uint32_t buf, uint32_t buf_len,
                      uint32_t caps_out, uint32_t max_caps) {
    (void)tctx;
    DEAD_CHECK(self, K_EDEAD);
    int32_t err;
    KMessage *m = (KMessage *)lookup_kind(self, msg, K_KIND_MESSAGE, &err);
    if (!m)
        return err;
    uint32_t n = m->len < buf_len ? m->len : buf_len;
    uint32_t nc = m->ncaps < max_caps ? m->ncaps : max_caps;
    uint8_t *dst = user_bytes(self, buf, n);
    uint8_t *cdst = user_bytes(self, caps_out, 4ull * nc);
    if (!dst || !cdst)
        return K_EFAULT;
    memcpy(dst, m->data, n);
    give_caps(self, m->caps, nc, cdst);
    return (int32_t)m->len;
}

int32_t ksys_msg_reply(KInstance *self, void *tctx, uint32_t msg, uint32_t data, uint32_t len,
                       uint32_t caps, uint32_t ncaps) {
    (void)tctx;
    DEAD_CHECK(self, K_EDEAD);
    int32_t err;
    KMessage *m = (KMessage *)lookup_kind(self, msg, K_KIND_MESSAGE, &err);
    if (!m)
        return err;
    if (m->reply_len >= 0)
        return K_EAGAIN;
    if (len > m->recv_len || ncaps > m->n_recv_caps)
        return K_ERANGE;
    const uint8_t *src = user_bytes(self, data, len);
    const uint8_t *csrc = user_bytes(self, caps, 4ull * ncaps);
    if (!src || !csrc)
        return K_EFAULT;
    KObject *objs[K_MSG_MAX_CAPS];
    if ((err = take_caps(self, csrc, ncaps, objs)) != K_OK)
        return err;
    KInstance *sender = m->base.owner;
    if (sender == NULL) {
        /* A host message keeps the reply; reply_buf was sized at creation. */
        memcpy(m->reply_buf, src, len);
        memcpy(m->reply_caps, objs, ncaps * sizeof *objs); /* refs move into the message */
    } else {
        /* The sender named these buffers at msg_create; they are inside its memory then,
         * and memory never shrinks, so they still are. */
        uint8_t *dst = user_bytes(sender, m->recv_data, len);
        uint8_t *cdst = user_bytes(sender, m->recv_caps, 4ull * ncaps);
        if (!dst || !cdst) {
            k_refs_drop(objs, ncaps);
            return K_EFAULT;
        }
        memmove(dst, src, len);
        give_caps(sender, objs, ncaps, cdst);
        k_refs_drop(objs, ncaps);  /* give_caps took refs of its own */
    }
    m->reply_len = (int32_t)len;
    m->reply_ncaps = (int32_t)ncaps;
    return K_OK;
}

int32_t ksys_msg_info(KInstance *self, void *tctx, uint32_t msg, uint32_t which) {
    (void)tctx;
    DEAD_CHECK(self, K_EDEAD);
    int32_t err;
    KMessage *m = (KMessage *)lookup_kind(self, msg, K_KIND_MESSAGE, &err);
    if (!m)
        return err;
    switch (which) {
    case K_MSG_LEN: return (int32_t)m->len;
    case K_MSG_NCAPS: return (int32_t)m->ncaps;
    case K_MSG_REPLY_LEN: return m->reply_len >= 0 ? m->reply_len : K_EAGAIN;
    case K_MSG_REPLY_NCAPS: return m->reply_len >= 0 ? m->reply_ncaps : K_EAGAIN;
    default: return K_EINVAL;
    }
}

KMessage *k_host_message_new(const uint8_t *data, uint32_t len, KObject **caps, uint32_t ncaps,
                             uint32_t reply_max, uint32_t reply_max_caps) {
    if (ncaps > K_MSG_MAX_CAPS || reply_max_caps > K_MSG_MAX_CAPS)
        return NULL;
    KMessage *m = (KMessage *)k_object_new(K_KIND_MESSAGE, NULL);
    if (!m)
        return NULL;
    m->data = malloc(len ? len : 1);
    m->caps = calloc(ncaps ? ncaps : 1, sizeof *m->caps);
    m->reply_buf = malloc(reply_max ? reply_max : 1);
    m->reply_caps = calloc(reply_max_caps ? reply_max_caps : 1, sizeof *m->reply_caps);
    if (!m->data || !m->caps || !m->reply_buf || !m->reply_caps) {
        k_obj_release(&m->base);
        return NULL;
    }
    memcpy(m->data, data, len);
    m->len = len;
    for (uint32_t i = 0; i < ncaps; i++) {
        m->caps[i] = caps[i];
        if (caps[i])
            caps[i]->refs++;
    }
    m->ncaps = ncaps;
    m->recv_len = reply_max;
    m->n_recv_caps = reply_max_caps;
    m->reply_len = -1;
    return m;
}

const uint8_t *k_message_reply(KMessage *m, uint32_t *len, uint32_t *ncaps) {
    if (m->reply_len < 0)
        return NULL;
    *len = (uint32_t)m->reply_len;
    *ncaps = (uint32_t)m->reply_ncaps;
    return m->reply_buf;
}

KObject *k_message_reply_cap(KMessage *m, uint32_t i) {
    return m->reply_caps && (int32_t)i < m->reply_ncaps ? m->reply_caps[i] : NULL;
}

/* ---- buffer grants ------------------------------------------------------------------ */

uint32_t ksys_grant_create(KInstance *self, void *tctx, uint32_t ptr, uint32_t len, uint32_t rights) {
    (void)tctx;
    DEAD_CHECK(self, 0);
    if (rights == 0 || (rights & ~(K_RIGHT_READ | K_RIGHT_WRITE)))
        return cap_result(self, K_EINVAL);
    if (!user_bytes(self, ptr, len))
        return cap_result(self, K_EFAULT);
    KGrant *g = (KGrant *)k_object_new(K_KIND_GRANT, self);
    if (!g)
        return cap_result(self, K_ENOMEM);
    g->rights = rights;
    g->offset = ptr;
    g->length = len;
    return install_new(self, &g->base);
}

/* The granted bytes [off, off+len) of `g`, when the grant has `right` and covers them. */
static uint8_t *grant_bytes(KGrant *g, uint32_t right, uint32_t off, uint32_t len, int32_t *err) {
    if (!(g->rights & right)) {
        *err = K_EPERM;
        return NULL;
    }
    if ((uint64_t)off + len > g->length) {
        *err = K_ERANGE;
        return NULL;
    }
    if (g->base.owner == NULL)
        return g->host_base + g->offset + off;
    uint8_t *p = user_bytes(g->base.owner, (uint32_t)g->offset, g->length);
    if (!p) { /* cannot happen (memory never shrinks); refuse rather than trust it */
        *err = K_EFAULT;
        return NULL;
    }
    return p + off;
}

/* Copy len bytes between the caller's memory at `user` and the granted region at `off`:
 * into the caller for a read (K_RIGHT_READ), out of it for a write (K_RIGHT_WRITE). */
static int32_t grant_copy(KInstance *self, uint32_t grant, uint32_t off, uint32_t user,
                          uint32_t len, uint32_t right) {
    DEAD_CHECK(self, K_EDEAD);
    int32_t err;
    KGrant *g = (KGrant *)lookup_kind(self, grant, K_KIND_GRANT, &err);
    if (!g)
        return err;
    uint8_t *granted = grant_bytes(g, right, off, len, &err);
    if (!granted)
        return err;
    uint8_t *mine = user_bytes(self, user, len);
    if (!mine)
        return K_EFAULT;
    if (right == K_RIGHT_READ)
        memmove(mine, granted, len);
    else
        memmove(granted, mine, len);
    return (int32_t)len;
}

int32_t ksys_grant_read(KInstance *self, void *tctx, uint32_t grant, uint32_t off, uint32_t dst,
                        uint32_t len) {
    (void)tctx;
    return grant_copy(self, grant, off, dst, len, K_RIGHT_READ);
}

int32_t ksys_grant_write(KInstance *self, void *tctx, uint32_t grant, uint32_t off, uint32_t src,
                         uint32_t len) {
    (void)tctx;
    return grant_copy(self, grant, off, src, len, K_RIGHT_WRITE);
}

int32_t ksys_grant_size(KInstance *self, void *tctx, uint32_t grant) {
    (void)tctx;
    DEAD_CHECK(self, K_EDEAD);
    int32_t err;
    KGrant *g = (KGrant *)lookup_kind(self, grant, K_KIND_GRANT, &err);
    if (!g)
        return err;
    return g->length > 0x7fffffffu ? 0x7fffffff : (int32_t)g->length;
}

/* ---- endpoints (the message convention) -------------------------------------------- */

int32_t ksys_endpoint_call(KInstance *self, void *tctx, uint32_t ep, uint32_t msg, int32_t a0,
                           int32_t a1, int32_t a2, int32_t a3) {
    DEAD_CHECK(self, 0);
    int32_t err;
    KEndpoint *e = (KEndpoint *)lookup_kind(self, ep, K_KIND_ENDPOINT, &err);
    if (!e) {
        k_fail(self, err);
        return 0;
    }
    KObject *m = NULL;
    if (msg) {
        m = lookup_kind(self, msg, K_KIND_MESSAGE, &err);
        if (!m) {
            k_fail(self, err);
            return 0;
        }
    }
    return k_endpoint_invoke(self, tctx, e, m, a0, a1, a2, a3);
}
