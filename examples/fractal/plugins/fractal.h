/* The interface every fractal plugin exports (plain C, no libc).
 *
 * Build (see examples/fractal/build.py):
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=tile_buffer
 *         -Wl,--export=render_tile -Wl,--export=colorize  <fractal>.c common.c
 * The same sources also build natively (benchmarks/fractal/), without tile_buffer.
 *
 * Pixel (px, py) of an img_w x img_h image shows the complex number
 *   re = cx + (((double)px + 0.5) - 0.5 * img_w) * scale
 *   im = cy - (((double)py + 0.5) - 0.5 * img_h) * scale        (rows go down, im goes up)
 * evaluated in exactly this order (fractal_re / fractal_im below). No fused multiply-add
 * (Wasm has none; native builds use -ffp-contract=off), so a reference computing the same
 * double operations gets bit-identical coordinates and iteration counts.
 */
#ifndef FRACTAL_H
#define FRACTAL_H

#include <stdint.h>

#define FRACTAL_EXPORT __attribute__((visibility("default")))

/* Work area for tiles of up to max_w x max_h pixels, in the plugin's own memory:
 * max_w * max_h uint32 iteration counts, followed by max_w * max_h RGB pixels (3 bytes
 * each). Grows the memory; returns 0 if it cannot. Call once, before rendering. */
FRACTAL_EXPORT void *tile_buffer(int32_t max_w, int32_t max_h);

/* Iteration counts of the w x h tile whose top-left pixel is (x0, y0), row by row into
 * counts[0 .. w*h). A count of max_iter means "did not escape" (inside the set).
 * (p_re, p_im) is the fractal's parameter (Julia's c); the others ignore it. */
FRACTAL_EXPORT void render_tile(uint32_t *counts, int32_t x0, int32_t y0, int32_t w, int32_t h,
                                int32_t img_w, int32_t img_h, double cx, double cy, double scale,
                                double p_re, double p_im, int32_t max_iter);

/* Colours n iteration counts into n RGB pixels (palette: fractal_palette below). */
FRACTAL_EXPORT void colorize(uint8_t *rgb, const uint32_t *counts, int32_t n, int32_t max_iter);

static inline double fractal_re(int32_t px, int32_t img_w, double cx, double scale) {
    return cx + (((double)px + 0.5) - 0.5 * (double)img_w) * scale;
}

static inline double fractal_im(int32_t py, int32_t img_h, double cy, double scale) {
    return cy - (((double)py + 0.5) - 0.5 * (double)img_h) * scale;
}

#endif
