/* The client of svc.kif for tests/kernel: everything hostile_caps.c does, plus calls
 * into the server through the link. `err()` is the client's k_error() after the call. */
#include "hostile_caps.c"
#include "svc.h"

EXPORT(c_make) int32_t c_make(int32_t v) { return TAKE(make(v)); }
EXPORT(c_peek) int32_t c_peek(cap_t h) { return TAKE(peek(h)); }
EXPORT(c_kind) int32_t c_kind(cap_t c) { return TAKE(kind(c)); }
EXPORT(c_release_lent) int32_t c_release_lent(cap_t c) { return TAKE(release_lent(c)); }
EXPORT(c_keep) int32_t c_keep(cap_t c) { return TAKE(keep(c)); }
EXPORT(c_use_kept) int32_t c_use_kept(int32_t op) { return TAKE(use_kept(op)); }
EXPORT(c_crash) int32_t c_crash(int32_t how) { return TAKE(crash(how)); }
EXPORT(c_make_grant) int32_t c_make_grant(uint32_t len, uint32_t rights) { return TAKE(make_grant(len, rights)); }
EXPORT(c_pass) int32_t c_pass(cap_t c, int32_t x) { return TAKE(pass(c, x)); }
EXPORT(c_echo) int32_t c_echo(cap_t c) { return TAKE(echo(c)); }
EXPORT(c_answer) int32_t c_answer(cap_t m, int32_t op, int32_t arg) { return TAKE(answer(m, op, arg)); }

/* n calls through the link, each lending a handle of the client's; the failures. */
EXPORT(churn_calls) int32_t churn_calls(int32_t n) {
    cap_t h = handle_create(&slots[2], 3);
    int32_t fails = 0;
    for (int32_t i = 0; i < n; i++)
        if (pass(h, i) != i)
            fails++;
    cap_release(h);
    return fails;
}
EXPORT(c_forge) int32_t c_forge(int32_t n) { return TAKE(forge(n)); }
