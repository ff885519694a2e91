/* A hostile filter: it implements the filter interface like the others, but `param`
 * selects an attack. Every attack must be contained by the sandbox and the kernel:
 *   1 HOSTILE_OOB      writes far outside its own linear memory       -> trap, plugin dead
 *   2 HOSTILE_LOOP     spins forever                                  -> the host's timeout= traps it
 *   3 HOSTILE_FORGE    uses cap numbers it was never given, and writes
 *                      through the read-only src grant                -> K_EBADCAP / K_EPERM
 *   4 HOSTILE_OVERRUN  writes past the end of the dst grant, wraps the
 *                      offset, reads into / writes from addresses
 *                      outside its memory                             -> K_ERANGE / K_EFAULT
 *   5 HOSTILE_HOG      grows its memory until the kernel's limit refuses,
 *                      then writes just past the end                  -> memory.grow -1, then trap
 *   6 HOSTILE_KEEP     keeps a cap_dup of the dst grant and, at the next
 *                      call, writes through it                        -> the host revoked it: K_EPERM
 * For the attacks that do not trap it returns the (negative) error the kernel gave it, or
 * HOSTILE_ESCAPED (a positive, invalid channel count) if a forbidden operation succeeded. */
#define FILTER_IMPLEMENTATION
#include "filter.h"

#define HOSTILE_OOB 1
#define HOSTILE_LOOP 2
#define HOSTILE_FORGE 3
#define HOSTILE_OVERRUN 4
#define HOSTILE_HOG 5
#define HOSTILE_KEEP 6
#define HOSTILE_ESCAPED 99

static uint8_t scratch[4096];
static cap_t kept; /* HOSTILE_KEEP: a grant kept from an earlier call */
volatile uint32_t spins;

static int32_t forge(cap_t src, cap_t dst) {
    int32_t err = 0;
    /* every number near the real ones, and some far away */
    for (uint32_t c = 1; c < 256; c++) {
        if (c == src || c == dst)
            continue;
        int32_t r = grant_write(c, 0, scratch, sizeof scratch);
        if (r >= 0)
            return HOSTILE_ESCAPED;
        if (!err)
            err = r;
        if (cap_kind(c) > 0 || cap_dup(c) != CAP_NULL)
            return HOSTILE_ESCAPED;
    }
    static const uint32_t far[] = {0x7FFFFFFFu, 0x80000000u, 0xDEADBEEFu, 0xFFFFFFFFu, 0x10000u};
    for (uint32_t i = 0; i < sizeof far / sizeof far[0]; i++)
        if (grant_write(far[i], 0, scratch, 16) >= 0 || grant_read(far[i], 0, scratch, 16) >= 0)
            return HOSTILE_ESCAPED;
    /* the src grant is read-only */
    if (grant_write(src, 0, scratch, 16) != K_EPERM)
        return HOSTILE_ESCAPED;
    /* a lent cap cannot be released by the borrower */
    if (cap_release(dst) >= 0)
        return HOSTILE_ESCAPED;
    return err;
}

static int32_t overrun(cap_t src, cap_t dst) {
    int32_t size = grant_size(dst);
    if (size < 0)
        return size;
    __builtin_memset(scratch, 0xEE, sizeof scratch);
    int32_t e1 = grant_write(dst, (uint32_t)size - 16, scratch, sizeof scratch); /* 4080 bytes too far */
    int32_t e2 = grant_write(dst, 0xFFFFFFF0u, scratch, 32);                     /* offset wraps */
    int32_t e3 = grant_write(dst, (uint32_t)size, scratch, 1);                   /* one past the end */
    int32_t e4 = grant_read(src, 0, (void *)(uintptr_t)0xFFFFFF00u, 4096);       /* into nowhere */
    int32_t e5 = grant_write(dst, 0, (const void *)(uintptr_t)0xFFFFFF00u, 4096); /* from nowhere */
    if (e1 >= 0 || e2 >= 0 || e3 >= 0 || e4 >= 0 || e5 >= 0)
        return HOSTILE_ESCAPED;
    return e1;
}

static int32_t hog(void) {
    uint32_t pages = 0;
    while (__builtin_wasm_memory_grow(0, 16) != (__SIZE_TYPE__)-1)
        pages += 16;
    while (__builtin_wasm_memory_grow(0, 1) != (__SIZE_TYPE__)-1)
        pages += 1;
    /* refused: now write one byte past the end */
    uint32_t end = (uint32_t)__builtin_wasm_memory_size(0) << 16;
    *(volatile uint8_t *)(uintptr_t)end = 1;
    return (int32_t)pages; /* not reached */
}

static int32_t keep(cap_t dst) {
    int32_t r = K_EAGAIN; /* the first call only keeps a cap */
    if (kept) {
        __builtin_memset(scratch, 0xEE, sizeof scratch);
        r = grant_write(kept, 0, scratch, 16);
        if (r >= 0)
            return HOSTILE_ESCAPED;
        cap_release(kept);
    }
    kept = cap_dup(dst);
    return r;
}

int32_t filter_apply(cap_t src, cap_t dst, int32_t width, int32_t height, int32_t channels, int32_t param) {
    (void)width; (void)height; (void)channels;
    switch (param) {
    case HOSTILE_OOB:
        *(volatile uint32_t *)(uintptr_t)0xFFFFFFF0u = 0xBAD;
        return HOSTILE_ESCAPED;
    case HOSTILE_LOOP:
        for (;;)
            spins++;
    case HOSTILE_FORGE:
        return forge(src, dst);
    case HOSTILE_OVERRUN:
        return overrun(src, dst);
    case HOSTILE_HOG:
        return hog();
    case HOSTILE_KEEP:
        return keep(dst);
    default:
        return K_EINVAL;
    }
}
