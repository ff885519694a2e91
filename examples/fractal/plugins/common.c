/* What every fractal plugin shares: the tile work area and the palette. */
#include "fractal.h"

#ifdef __wasm__
FRACTAL_EXPORT void *tile_buffer(int32_t max_w, int32_t max_h) {
    if (max_w <= 0 || max_h <= 0 || max_w > 4096 || max_h > 4096)
        return 0;
    uint32_t bytes = (uint32_t)max_w * (uint32_t)max_h * 7u;   /* <= 112 MiB */
    uint32_t pages = (bytes + 65535u) >> 16;
    int32_t old = __builtin_wasm_memory_grow(0, pages);
    if (old < 0)
        return 0;
    return (void *)((uintptr_t)old << 16);
}
#endif

/* Escaped pixels: t = sqrt(n / max_iter) through Bernstein polynomials (dark blue ->
 * orange -> pale yellow); pixels that never escaped are black. Every step is one IEEE
 * double operation in a fixed order, and the cast truncates (values are in [0, 255)). */
FRACTAL_EXPORT void colorize(uint8_t *rgb, const uint32_t *counts, int32_t n, int32_t max_iter) {
    for (int32_t i = 0; i < n; i++) {
        uint32_t c = counts[i];
        uint8_t r = 0, g = 0, b = 0;
        if (c < (uint32_t)max_iter) {
            double t = __builtin_sqrt((double)c / (double)max_iter);
            double u = 1.0 - t;
            r = (uint8_t)(((9.0 * u) * (t * t * t)) * 255.0);
            g = (uint8_t)(((15.0 * (u * u)) * (t * t)) * 255.0);
            b = (uint8_t)(((8.5 * (u * u * u)) * t) * 255.0);
        }
        rgb[3 * i] = r;
        rgb[3 * i + 1] = g;
        rgb[3 * i + 2] = b;
    }
}
