/* The translator benchmark's server: implements kbench.kif.
 *
 * op() does almost nothing, so a call through a link measures the link (translator or
 * direct binding) and not the callee. op_badge() also asks the kernel what the cap it
 * was given names (handle_badge, a native syscall): a call that really uses its cap.
 *
 * make() gives the host a handle of this plugin's (class 7) while keeping one itself:
 * the server's own cap to the handle is cap 1, the host's copy is lent to the client as
 * its cap 1, so even the untranslated "direct" link (which passes the client's number 1
 * through unchanged) names the same handle and every mode computes the same checksum.
 */
#define KBENCH_IMPLEMENTATION
#include "kbench.h"

#define BADGE_CLASS 7u

static int32_t badge_word = 1;
static cap_t kept;

__attribute__((export_name("make"))) cap_t make(void) {
    if (kept == CAP_NULL)
        kept = handle_create(&badge_word, BADGE_CLASS);
    return cap_dup(kept);
}

int32_t op(cap_t c, int32_t a, int32_t b) { return a + b + (c != CAP_NULL); }

int32_t op_badge(cap_t c, int32_t a, int32_t b) {
    const int32_t *p = handle_badge(c, BADGE_CLASS);
    return a + b + (p ? *p : -1000);
}
