/* Sharpen: the unsharp Laplacian out = clamp(p + ((amount * (4p - N - S - E - W) + 8) >> 4))
 * per channel, edges clamped; amount 16 is the classic kernel [0 -1 0; -1 5 -1; 0 -1 0].
 * The shift is arithmetic (floor). param: amount in 1/16 (0..256; 0 means 16). */
#include "filter_main.h"

static int32_t apply(const uint8_t *in, uint8_t *out, int32_t w, int32_t h, int32_t c, int32_t param) {
    int32_t amount = param <= 0 ? 16 : param > 256 ? 256 : param;
    for (int32_t y = 0; y < h; y++) {
        int32_t yn = y > 0 ? y - 1 : 0, ys = y < h - 1 ? y + 1 : h - 1;
        for (int32_t x = 0; x < w; x++) {
            int32_t xw = x > 0 ? x - 1 : 0, xe = x < w - 1 ? x + 1 : w - 1;
            for (int32_t k = 0; k < c; k++) {
                int32_t p = in[(y * w + x) * c + k];
                int32_t lap = 4 * p - in[(yn * w + x) * c + k] - in[(ys * w + x) * c + k]
                              - in[(y * w + xw) * c + k] - in[(y * w + xe) * c + k];
                out[(y * w + x) * c + k] = (uint8_t)clamp255(p + ((amount * lap + 8) >> 4));
            }
        }
    }
    return c;
}
