/* A hostile plugin for tests/kernel: it hands the kernel whatever numbers and pointers
 * the test asks for. Every export returns a syscall's raw result; `err()` is the
 * k_error() taken right after the last syscall an export made. */
#include <stdint.h>

#include "kernel.h"

#define EXPORT(name) __attribute__((export_name(#name)))

static int32_t g_err;
static uint8_t buf[4096];
static cap_t capbuf[64];
static int32_t slots[1024];
static uint32_t nslots;
static volatile uint32_t far_away = 0xFFFFFFF0u;

#define TAKE(expr) ({ (void)k_error(); int32_t _r = (int32_t)(expr); g_err = k_error(); _r; })

EXPORT(err) int32_t err(void) { return g_err; }
EXPORT(buf_addr) uint32_t buf_addr(void) { return (uint32_t)(uintptr_t)buf; }
EXPORT(capbuf_addr) uint32_t capbuf_addr(void) { return (uint32_t)(uintptr_t)capbuf; }
EXPORT(mem_pages) int32_t mem_pages(void) { return (int32_t)__builtin_wasm_memory_size(0); }
EXPORT(grow) int32_t grow(int32_t pages) { return (int32_t)__builtin_wasm_memory_grow(0, pages); }
EXPORT(poke) void poke(uint32_t addr, int32_t v) { *(volatile int32_t *)(uintptr_t)addr = v; }
EXPORT(peek_mem) int32_t peek_mem(uint32_t addr) { return *(volatile int32_t *)(uintptr_t)addr; }

/* Every syscall that takes a cap, given the number `c`. `aux` is a valid cap the call
 * needs besides (an endpoint for 11, a message for 15). Cap results: the cap, or k_error(). */
EXPORT(probe) int32_t probe(cap_t c, int32_t which, cap_t aux) {
    int32_t r;
    (void)k_error();
    switch (which) {
    case 0: r = (int32_t)cap_dup(c); return r ? r : k_error();
    case 1: return cap_release(c);
    case 2: return cap_kind(c);
    case 3: r = (int32_t)(uintptr_t)handle_badge(c, 7); return r ? r : k_error();
    case 4: return msg_recv(c, buf, sizeof buf, capbuf, 4);
    case 5: return msg_reply(c, buf, 0, 0, 0);
    case 6: return msg_info(c, K_MSG_LEN);
    case 7: return grant_read(c, 0, buf, 1);
    case 8: return grant_write(c, 0, buf, 1);
    case 9: return grant_size(c);
    case 10: r = endpoint_call(c, CAP_NULL, 1, 2, 3, 4); return r ? r : k_error();
    case 11: r = endpoint_call(aux, c, 1, 2, 3, 4); return r ? r : k_error();
    case 12: r = (int32_t)instance_create(c, "x", 1, 0, 0); return r ? r : k_error();
    case 13: r = (int32_t)instance_export(c, "x", 1); return r ? r : k_error();
    case 14: /* the cap inside msg_create's caps array: 0 when the message was made */
        capbuf[0] = c;
        r = (int32_t)msg_create(buf, 4, capbuf, 1, buf, 4, capbuf + 8, 1);
        if (!r)
            return k_error();
        cap_release((cap_t)r);
        return 0;
    case 15: /* the cap inside msg_reply's caps array (aux: a message) */
        capbuf[0] = c;
        return msg_reply(aux, buf, 0, capbuf, 1);
    case 16: r = (int32_t)instance_create(aux, "x", 1, &c, 1); return r ? r : k_error();
    }
    return -1000;
}

/* The syscalls that take pointers, given `ptr` and `len` (aux: a loader or an instance). */
EXPORT(ptr_probe) int32_t ptr_probe(int32_t which, cap_t aux, uint32_t ptr, uint32_t len) {
    int32_t r;
    void *p = (void *)(uintptr_t)ptr;
    (void)k_error();
    switch (which) {
    case 0: r = (int32_t)instance_create(aux, p, len, 0, 0); break;
    case 1: r = (int32_t)instance_create(aux, "x", 1, p, len); break;
    case 2: r = (int32_t)instance_export(aux, p, len); break;
    case 3: r = (int32_t)msg_create(p, len, 0, 0, 0, 0, 0, 0); break;
    case 4: r = (int32_t)msg_create(buf, 0, p, len, 0, 0, 0, 0); break;
    case 5: r = (int32_t)msg_create(buf, 0, 0, 0, p, len, 0, 0); break;
    case 6: r = (int32_t)msg_create(buf, 0, 0, 0, 0, 0, p, len); break;
    case 7: r = (int32_t)grant_create(ptr, len, K_RIGHT_READ); break;
    default: return -1000;
    }
    return r ? r : k_error();
}

/* ---- handles ---- */
EXPORT(make_handle) cap_t make_handle(int32_t v, uint32_t cls) {
    uint32_t i = nslots++ & 1023;
    slots[i] = v;
    return (cap_t)TAKE(handle_create(&slots[i], cls));
}
EXPORT(badge_read) int32_t badge_read(cap_t h, uint32_t cls) {
    int32_t *p = (int32_t *)TAKE(handle_badge(h, cls));
    return p ? *p : g_err;
}
EXPORT(release) int32_t release(cap_t c) { return TAKE(cap_release(c)); }
EXPORT(kind_of) int32_t kind_of(cap_t c) { return TAKE(cap_kind(c)); }
EXPORT(dup) int32_t dup(cap_t c) { return TAKE(cap_dup(c)); }

/* ---- churn and exhaustion ---- */
EXPORT(churn_handles) int32_t churn_handles(int32_t n) {
    int32_t fails = 0;
    for (int32_t i = 0; i < n; i++) {
        cap_t h = handle_create(&slots[0], 1);
        if (!h || cap_release(h) != K_OK)
            fails++;
    }
    return fails;
}

static cap_t hoard_caps[1 << 16];
static int32_t n_hoard;
/* Makes handles until the kernel refuses (or `max`); err() says why. */
EXPORT(hoard) int32_t hoard(int32_t max) {
    int32_t n = 0;
    (void)k_error();
    while (n < max && n_hoard < (1 << 16)) {
        cap_t h = handle_create(&slots[1], 1);
        if (!h)
            break;
        hoard_caps[n_hoard++] = h;
        n++;
    }
    g_err = k_error();
    return n;
}
EXPORT(unhoard) int32_t unhoard(void) {
    int32_t fails = 0;
    while (n_hoard > 0)
        if (cap_release(hoard_caps[--n_hoard]) != K_OK)
            fails++;
    return fails;
}
/* Makes messages of `size` bytes (data from memory at 0) until refused; err() says why. */
EXPORT(msg_flood) int32_t msg_flood(uint32_t size, int32_t max) {
    int32_t n = 0;
    (void)k_error();
    while (n < max && n_hoard < (1 << 16)) {
        cap_t m = msg_create((const void *)0, size, 0, 0, 0, 0, 0, 0);
        if (!m)
            break;
        hoard_caps[n_hoard++] = m;
        n++;
    }
    g_err = k_error();
    return n;
}

/* ---- grants ---- */
EXPORT(g_create) int32_t g_create(uint32_t ptr, uint32_t len, uint32_t rights) {
    return TAKE(grant_create(ptr, len, rights));
}
EXPORT(g_read) int32_t g_read(cap_t g, uint32_t off, uint32_t dst, uint32_t len) {
    return TAKE(grant_read(g, off, (void *)(uintptr_t)dst, len));
}
EXPORT(g_write) int32_t g_write(cap_t g, uint32_t off, uint32_t src, uint32_t len) {
    return TAKE(grant_write(g, off, (const void *)(uintptr_t)src, len));
}
EXPORT(g_size) int32_t g_size(cap_t g) { return TAKE(grant_size(g)); }

/* ---- messages ---- */
/* A message of send_len bytes from buf and n_caps caps from capbuf, whose reply goes to
 * recv_ptr (recv_len bytes) and capbuf+32 (n_recv caps). */
EXPORT(m_create) int32_t m_create(uint32_t send_len, uint32_t n_caps, uint32_t recv_ptr,
                                  uint32_t recv_len, uint32_t n_recv) {
    return TAKE(msg_create(buf, send_len, capbuf, n_caps, (void *)(uintptr_t)recv_ptr, recv_len,
                           capbuf + 32, n_recv));
}
EXPORT(m_recv) int32_t m_recv(cap_t m, uint32_t dst, uint32_t len, uint32_t caps_out, uint32_t max_caps) {
    return TAKE(msg_recv(m, (void *)(uintptr_t)dst, len, (cap_t *)(uintptr_t)caps_out, max_caps));
}
EXPORT(m_reply) int32_t m_reply(cap_t m, uint32_t src, uint32_t len, uint32_t caps, uint32_t ncaps) {
    return TAKE(msg_reply(m, (const void *)(uintptr_t)src, len, (const cap_t *)(uintptr_t)caps, ncaps));
}
EXPORT(m_info) int32_t m_info(cap_t m, uint32_t which) { return TAKE(msg_info(m, which)); }

/* ---- endpoints ---- */
EXPORT(ep_call) int32_t ep_call(cap_t ep, cap_t msg, int32_t a0) {
    return TAKE(endpoint_call(ep, msg, a0, 0, 0, 0));
}
/* The message convention: 4242 + a0 without a message, else the message's length. */
EXPORT(on_msg) int32_t on_msg(cap_t msg, int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
    (void)a1; (void)a2; (void)a3;
    if (!msg)
        return 4242 + a0;
    return msg_info(msg, K_MSG_LEN);
}
/* Dies (a0: 0 unreachable, else an out-of-bounds load), for endpoint_call. */
EXPORT(on_msg_trap) int32_t on_msg_trap(cap_t msg, int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
    (void)msg; (void)a1; (void)a2; (void)a3;
    if (a0 == 0)
        __builtin_trap();
    return *(volatile int32_t *)(uintptr_t)far_away;
}

/* ---- re-entry: an endpoint that calls a kept endpoint ---- */
static cap_t kept_ep;
EXPORT(keep_ep) int32_t keep_ep(cap_t ep) {
    if (kept_ep)
        cap_release(kept_ep);
    kept_ep = cap_dup(ep);
    return kept_ep ? (int32_t)kept_ep : k_error();
}
/* Forwards to the kept endpoint; returns its result, or 100000 * its k_error(). */
EXPORT(on_msg_fwd) int32_t on_msg_fwd(cap_t msg, int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
    int32_t r = endpoint_call(kept_ep, msg, a0, a1, a2, a3);
    int32_t e = k_error();
    return e ? 100000 * e : r;
}
