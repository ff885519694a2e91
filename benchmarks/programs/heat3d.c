/* Explicit 3-D heat equation: a 7-point float stencil over an n^3 grid, STEPS time steps.
 * Three strides (1, n, n*n) per point: address arithmetic and checks dominate the loads. */
#define MAXN 224
#define STEPS 12
#define ARENA_BYTES (3u * MAXN * MAXN * MAXN * sizeof(float) + 4096)
#include "bench.h"

static int N;
static float *init, *u0, *u1;

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    size_t cells = (size_t)n * n * n;
    init = arena_alloc(cells * sizeof(float));
    u0 = arena_alloc(cells * sizeof(float));
    u1 = arena_alloc(cells * sizeof(float));
    if (bench_oom) return;
    rng_t r = {11};
    for (size_t i = 0; i < cells; i++) init[i] = (float)(rng_unit(&r) * 10.0);
}

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    int n = N;
    size_t plane = (size_t)n * n, cells = plane * n;
    const float alpha = 0.1f;
    __builtin_memcpy(u0, init, cells * sizeof(float));
    __builtin_memcpy(u1, init, cells * sizeof(float));  /* boundary cells stay as given */
    float *src = u0, *dst = u1;
    for (int s = 0; s < STEPS; s++) {
        for (int z = 1; z < n - 1; z++)
            for (int y = 1; y < n - 1; y++) {
                size_t base = (size_t)z * plane + (size_t)y * n;
                for (int x = 1; x < n - 1; x++) {
                    size_t c = base + x;
                    float lap = src[c - 1] + src[c + 1] + src[c - n] + src[c + n] +
                                src[c - plane] + src[c + plane] - 6.0f * src[c];
                    dst[c] = src[c] + alpha * lap;
                }
            }
        float *t = src; src = dst; dst = t;
    }
    uint64_t h = 0;
    for (size_t i = 0; i < cells; i++) h = mix(h, f32_bits(src[i]));
    return h;
}
