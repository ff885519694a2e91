/* Image filter over an n x n 8-bit grayscale image: BLUR_PASSES rounds of a 3x3 Gaussian
 * blur, then Sobel edge magnitude. Byte loads from three rows, integer arithmetic,
 * clamping. Natively clang vectorises these loops; Wasm without SIMD runs them scalar. */
#define MAXN 4096
#define BLUR_PASSES 24
#define ARENA_BYTES (3u * MAXN * MAXN + 4096)
#include "bench.h"

static int N;
static uint8_t *img, *tmp, *out;

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    img = arena_alloc((size_t)n * n);
    tmp = arena_alloc((size_t)n * n);
    out = arena_alloc((size_t)n * n);
    if (bench_oom) return;
    rng_t r = {37};
    /* Smooth gradients with noise and a few hard edges: something for Sobel to find. */
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            int v = (x * 255 / n + y * 128 / n) + (int)(rng_next(&r) & 31) - 16;
            if (((x / 64) ^ (y / 64)) & 1) v = 255 - v;
            img[(size_t)y * n + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

static inline int iabs(int v) { return v < 0 ? -v : v; }

/* size_t indices and restrict pointers: written with int indices, these loops are not
 * vectorised at all by clang 14 (the native baseline; "value that could not be identified
 * as reduction is used outside the loop"), and the baseline should be the best that
 * plain C gets. */
static void blur(const uint8_t *restrict src, uint8_t *restrict dst, size_t n) {
    for (size_t y = 1; y + 1 < n; y++) {
        const uint8_t *a = src + (y - 1) * n, *b = a + n, *c = b + n;
        uint8_t *o = dst + y * n;
        for (size_t x = 1; x + 1 < n; x++) {
            int s = a[x - 1] + 2 * a[x] + a[x + 1] + 2 * b[x - 1] + 4 * b[x] + 2 * b[x + 1] +
                    c[x - 1] + 2 * c[x] + c[x + 1];
            o[x] = (uint8_t)((s + 8) >> 4);
        }
    }
}

static void sobel(const uint8_t *restrict src, uint8_t *restrict dst, size_t n) {
    for (size_t y = 1; y + 1 < n; y++) {
        const uint8_t *a = src + (y - 1) * n, *b = a + n, *c = b + n;
        uint8_t *o = dst + y * n;
        for (size_t x = 1; x + 1 < n; x++) {
            int gx = (a[x + 1] + 2 * b[x + 1] + c[x + 1]) - (a[x - 1] + 2 * b[x - 1] + c[x - 1]);
            int gy = (c[x - 1] + 2 * c[x] + c[x + 1]) - (a[x - 1] + 2 * a[x] + a[x + 1]);
            int m = iabs(gx) + iabs(gy);
            o[x] = (uint8_t)(m > 255 ? 255 : m);
        }
    }
}

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    int n = N;
    /* Border pixels are never written by the filters: give both buffers the input's. */
    __builtin_memcpy(tmp, img, (size_t)n * n);
    __builtin_memcpy(out, img, (size_t)n * n);
    const uint8_t *src = img;
    uint8_t *dst = tmp;
    for (int pass = 0; pass < BLUR_PASSES; pass++) {
        blur(src, dst, n);
        src = dst;
        dst = dst == tmp ? out : tmp;
    }
    sobel(src, dst, n);  /* from the last blurred image into the other buffer */
    uint64_t h = 0;
    const uint64_t *w = (const uint64_t *)dst;  /* arena blocks are 64-byte aligned */
    for (size_t i = 0; i < (size_t)n * n / 8; i++) h = mix(h, w[i]);
    return h;
}
