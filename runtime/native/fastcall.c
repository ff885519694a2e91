/* The fast path of Python -> Wasm calls: up to four integer params, at most one integer
 * result, no slots buffer for Python to allocate and fill.
 *
 * Python passes the arguments as C integers (cffi converts them with no Python-level
 * work) and gets the result back sign-extended, as Python wants it. A call that cannot
 * take this path or that trapped returns AOT_FAST_SENTINEL; only then does Python ask
 * aot_fast_status() what happened (the sentinel is also a legal i64 result, so the
 * status disambiguates). The status and trap record are per thread.
 */
#include <string.h>

#include "aot_internal.h"

static __thread int fast_status;
static __thread aot_trap_info fast_trap;

int64_t aot_fastcall(const aot_fast_target *t, int64_t a0, int64_t a1, int64_t a2, int64_t a3) {
    aot_slot slots[4];
    const int64_t args[4] = {a0, a1, a2, a3};
    memset(slots, 0, sizeof slots);
    for (uint32_t i = 0; i < t->nparams; i++) {
        if (t->param_is_i32 & (1u << i)) {
            /* Python's i32 arguments may be signed or unsigned 32-bit values. */
            if (args[i] < INT32_MIN || args[i] > (int64_t)UINT32_MAX) {
                fast_status = AOT_FAST_BAD_ARGUMENT;
                return AOT_FAST_SENTINEL;
            }
            slots[i].u64[0] = (uint32_t)args[i];
        } else {
            slots[i].u64[0] = (uint64_t)args[i];
        }
    }
    if (aot_invoke(t->tramp, t->fn, t->vmctx, slots, &fast_trap)) {
        fast_status = AOT_FAST_TRAPPED;
        return AOT_FAST_SENTINEL;
    }
    fast_status = AOT_FAST_OK;
    switch (t->result) {
    case AOT_FAST_RESULT_I32: return (int64_t)slots[0].i32;
    case AOT_FAST_RESULT_I64: return slots[0].i64;
    default: return 0;
    }
}

int aot_fast_status(aot_trap_info *trap) {
    if (fast_status == AOT_FAST_TRAPPED && trap)
        *trap = fast_trap;
    return fast_status;
}
