/* Gaussian blur: the separable 5x5 binomial kernel [1 4 6 4 1] x [1 4 6 4 1] / 256,
 * edges clamped (the border pixel repeats). The horizontal pass keeps exact sums (at most
 * 16 * 255), the vertical pass rounds once: out = (sum + 128) >> 8.
 * param: passes (1..16; 0 means 1); each pass widens the blur (sigma ~ sqrt(passes)). */
#include "filter_main.h"

static const int32_t K[5] = {1, 4, 6, 4, 1};

static void pass(const uint8_t *in, uint8_t *out, uint16_t *tmp, int32_t w, int32_t h, int32_t c) {
    for (int32_t y = 0; y < h; y++)
        for (int32_t x = 0; x < w; x++)
            for (int32_t k = 0; k < c; k++) {
                int32_t s = 0;
                for (int32_t t = -2; t <= 2; t++)
                    s += K[t + 2] * in[(y * w + clampi(x + t, 0, w - 1)) * c + k];
                tmp[(y * w + x) * c + k] = (uint16_t)s;
            }
    for (int32_t y = 0; y < h; y++)
        for (int32_t x = 0; x < w; x++)
            for (int32_t k = 0; k < c; k++) {
                int32_t s = 0;
                for (int32_t t = -2; t <= 2; t++)
                    s += K[t + 2] * tmp[(clampi(y + t, 0, h - 1) * w + x) * c + k];
                out[(y * w + x) * c + k] = (uint8_t)((s + 128) >> 8);
            }
}

static int32_t apply(const uint8_t *in, uint8_t *out, int32_t w, int32_t h, int32_t c, int32_t param) {
    int32_t passes = param <= 0 ? 1 : param > 16 ? 16 : param;
    uint32_t n = (uint32_t)w * (uint32_t)h * (uint32_t)c;
    uint16_t *tmp = heap_alloc(n * 2);
    uint8_t *buf = passes > 1 ? heap_alloc(n) : out;
    if (!tmp || !buf)
        return K_ENOMEM;
    /* ping-pong so that the last pass lands in out */
    const uint8_t *src = in;
    for (int32_t i = 0; i < passes; i++) {
        uint8_t *dst = ((passes - 1 - i) % 2 == 0) ? out : buf;
        pass(src, dst, tmp, w, h, c);
        src = dst;
    }
    return c;
}
