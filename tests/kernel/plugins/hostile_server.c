/* The server of svc.kif for tests/kernel: made to be called by hostile_client.c, and to
 * die in every way a callee can. */
#include <stdint.h>

#define SVC_IMPLEMENTATION
#include "svc.h"

#define EXPORT(name) __attribute__((export_name(#name)))

static int32_t slots[1024];
static uint32_t nslots;
static cap_t kept;
static uint8_t region[4096];
static uint8_t buf[256];
static cap_t capbuf[8];
static volatile int32_t zero;
static volatile uint32_t far_away = 0x7FFFFFF0u;

typedef int32_t (*rec_fn)(int32_t);
static int32_t rec(int32_t n);
static rec_fn volatile rec_ptr = rec;
/* Recursion without end (through a volatile pointer: nothing can turn it into a loop). */
static int32_t rec(int32_t n) { return rec_ptr(n + 1) * 3 + n; }

cap_t make(int32_t v) {
    uint32_t i = nslots++ & 1023;
    slots[i] = v;
    return handle_create(&slots[i], 7);
}

int32_t peek(cap_t h) {
    int32_t *p = handle_badge(h, 7);
    return p ? *p : k_error();
}

int32_t kind(cap_t c) { return cap_kind(c); }
int32_t release_lent(cap_t c) { return cap_release(c); }

int32_t keep(cap_t c) {
    if (kept)
        cap_release(kept);
    kept = cap_dup(c);
    return kept ? (int32_t)kept : k_error();
}

int32_t use_kept(int32_t op) {
    int32_t v = 0, r;
    int32_t *p;
    switch (op) {
    case 0: return cap_kind(kept);
    case 1: return grant_size(kept);
    case 2: r = grant_read(kept, 0, &v, 4); return r < 0 ? r : v;
    case 3: p = handle_badge(kept, 7); return p ? *p : k_error();
    case 4: r = cap_release(kept); kept = 0; return r;
    }
    return K_EINVAL;
}

int32_t crash(int32_t how) {
    switch (how) {
    case 0: __builtin_trap();
    case 1: return *(volatile int32_t *)(uintptr_t)far_away;
    case 2: return 100 / zero;
    case 3: return rec_ptr(how);
    }
    return how;
}

cap_t make_grant(uint32_t len, uint32_t rights) {
    for (int i = 0; i < 4096; i++)
        region[i] = (uint8_t)i;
    return grant_create((uint32_t)(uintptr_t)region, len, rights);
}

int32_t pass(cap_t c, int32_t x) { return cap_kind(c) == K_KIND_HANDLE ? x : -1; }

cap_t echo(cap_t c) { return cap_dup(c); }

/* Message operations on a lent message:
 * 0: receive (data into buf, caps into capbuf; the first cap is kept); returns the length
 * 1: reply with `arg` bytes of 'R' and no caps; returns msg_reply's result
 * 2: reply with 4 bytes and a new handle of the server's (value arg)
 * 3: receive into a buffer outside memory; 4: caps_out outside memory
 * 5: msg_info(msg, arg); 6: reply of `arg` bytes from a buffer outside memory
 * 7: reply carrying the forged cap number `arg`
 * 8: the received data's first int32 (after 0) */
int32_t answer(cap_t msg, int32_t op, int32_t arg) {
    int32_t r;
    switch (op) {
    case 0:
        r = msg_recv(msg, buf, sizeof buf, capbuf, 8);
        if (r >= 0 && msg_info(msg, K_MSG_NCAPS) > 0) {
            if (kept)
                cap_release(kept);
            kept = capbuf[0];
        }
        return r;
    case 1:
        for (int i = 0; i < (int)sizeof buf; i++)
            buf[i] = 'R';
        return msg_reply(msg, buf, (uint32_t)arg, 0, 0);
    case 2: {
        cap_t h = make(arg);
        int32_t v = arg;
        r = msg_reply(msg, &v, 4, &h, 1);
        cap_release(h);
        return r;
    }
    case 3: return msg_recv(msg, (void *)(uintptr_t)0xFFFFFFF0u, 64, 0, 0);
    case 4: return msg_recv(msg, buf, 4, (cap_t *)(uintptr_t)0xFFFFFFFEu, 8);
    case 5: return msg_info(msg, (uint32_t)arg);
    case 6: return msg_reply(msg, (const void *)(uintptr_t)0xFFFFFFFEu, (uint32_t)arg, 0, 0);
    case 7: capbuf[0] = (cap_t)arg; return msg_reply(msg, buf, 0, capbuf, 1);
    case 8: return *(int32_t *)buf;
    }
    return K_EINVAL;
}

EXPORT(kept_cap) int32_t kept_cap(void) { return (int32_t)kept; }

cap_t forge(int32_t n) { return (cap_t)n; }
