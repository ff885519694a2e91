/* Sobel edge detection on the luma (see grayscale.c), edges clamped:
 *   gx = (NE + 2E + SE) - (NW + 2W + SW),  gy = (SW + 2S + SE) - (NW + 2N + NE)
 *   out = min(255, isqrt(gx^2 + gy^2))      (isqrt: the floor of the square root)
 * One channel out. param: 0 for the magnitude, t > 0 for a binary map (255 where the
 * magnitude >= t, else 0). */
#include "filter_main.h"

static uint32_t isqrt(uint32_t n) {
    uint32_t r = 0, bit = 1u << 30;
    while (bit > n)
        bit >>= 2;
    while (bit) {
        if (n >= r + bit) {
            n -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

static int32_t apply(const uint8_t *in, uint8_t *out, int32_t w, int32_t h, int32_t c, int32_t param) {
    uint32_t n = (uint32_t)w * (uint32_t)h;
    const uint8_t *g = in;
    if (c == 3) {
        uint8_t *y = heap_alloc(n);
        if (!y)
            return K_ENOMEM;
        for (uint32_t i = 0; i < n; i++)
            y[i] = luma(in + 3 * i);
        g = y;
    }
    for (int32_t y = 0; y < h; y++) {
        const uint8_t *rn = g + (y > 0 ? y - 1 : 0) * w, *r0 = g + y * w,
                      *rs = g + (y < h - 1 ? y + 1 : h - 1) * w;
        for (int32_t x = 0; x < w; x++) {
            int32_t xw = x > 0 ? x - 1 : 0, xe = x < w - 1 ? x + 1 : w - 1;
            int32_t gx = (rn[xe] + 2 * r0[xe] + rs[xe]) - (rn[xw] + 2 * r0[xw] + rs[xw]);
            int32_t gy = (rs[xw] + 2 * rs[x] + rs[xe]) - (rn[xw] + 2 * rn[x] + rn[xe]);
            uint32_t m = isqrt((uint32_t)(gx * gx + gy * gy));
            if (m > 255)
                m = 255;
            out[y * w + x] = (uint8_t)(param > 0 ? (m >= (uint32_t)param ? 255 : 0) : m);
        }
    }
    return 1;
}
