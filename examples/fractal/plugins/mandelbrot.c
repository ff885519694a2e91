/* Mandelbrot set: z <- z^2 + c from z = 0, c = the pixel. */
#include "fractal.h"

FRACTAL_EXPORT void render_tile(uint32_t *counts, int32_t x0, int32_t y0, int32_t w, int32_t h,
                                int32_t img_w, int32_t img_h, double cx, double cy, double scale,
                                double p_re, double p_im, int32_t max_iter) {
    (void)p_re, (void)p_im;
    for (int32_t y = 0; y < h; y++) {
        double ci = fractal_im(y0 + y, img_h, cy, scale);
        for (int32_t x = 0; x < w; x++) {
            double cr = fractal_re(x0 + x, img_w, cx, scale);
            double zr = 0.0, zi = 0.0;
            int32_t n = 0;
            while (n < max_iter) {
                double zr2 = zr * zr, zi2 = zi * zi;
                if (zr2 + zi2 > 4.0)
                    break;
                zi = (2.0 * zr) * zi + ci;
                zr = (zr2 - zi2) + cr;
                n++;
            }
            counts[y * w + x] = (uint32_t)n;
        }
    }
}
