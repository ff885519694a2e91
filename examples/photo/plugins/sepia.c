/* Sepia: the usual matrix in 8.8 fixed point, each channel clamped to 255:
 *   R' = (101 R + 197 G + 48 B + 128) >> 8     (0.393 0.769 0.189)
 *   G' = ( 89 R + 176 G + 43 B + 128) >> 8     (0.349 0.686 0.168)
 *   B' = ( 70 R + 137 G + 34 B + 128) >> 8     (0.272 0.534 0.131)
 * then mixed with the original: out = (p * (256 - s) + sepia * s + 128) >> 8.
 * A gray pixel is R = G = B. Three channels out. param: strength s (0..256; 0 means 256). */
#include "filter_main.h"

static int32_t apply(const uint8_t *in, uint8_t *out, int32_t w, int32_t h, int32_t c, int32_t param) {
    int32_t s = param <= 0 ? 256 : param > 256 ? 256 : param;
    uint32_t n = (uint32_t)w * (uint32_t)h;
    for (uint32_t i = 0; i < n; i++) {
        int32_t r, g, b;
        if (c == 3) {
            r = in[3 * i]; g = in[3 * i + 1]; b = in[3 * i + 2];
        } else {
            r = g = b = in[i];
        }
        int32_t sr = clamp255((101 * r + 197 * g + 48 * b + 128) >> 8);
        int32_t sg = clamp255((89 * r + 176 * g + 43 * b + 128) >> 8);
        int32_t sb = clamp255((70 * r + 137 * g + 34 * b + 128) >> 8);
        out[3 * i] = (uint8_t)((r * (256 - s) + sr * s + 128) >> 8);
        out[3 * i + 1] = (uint8_t)((g * (256 - s) + sg * s + 128) >> 8);
        out[3 * i + 2] = (uint8_t)((b * (256 - s) + sb * s + 128) >> 8);
    }
    return 3;
}
