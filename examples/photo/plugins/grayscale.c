/* Grayscale: BT.601 luma Y = (77 R + 150 G + 29 B + 128) >> 8; one channel out.
 * A gray image is copied as it is. param: unused. */
#include "filter_main.h"

static int32_t apply(const uint8_t *in, uint8_t *out, int32_t w, int32_t h, int32_t c, int32_t param) {
    (void)param;
    uint32_t n = (uint32_t)w * (uint32_t)h;
    if (c == 1) {
        __builtin_memcpy(out, in, n);
        return 1;
    }
    for (uint32_t i = 0; i < n; i++)
        out[i] = luma(in + 3 * i);
    return 1;
}
