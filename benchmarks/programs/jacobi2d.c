/* 2-D Jacobi relaxation: a 5-point stencil over an (n+2) x (n+2) double grid with fixed
 * boundaries, ITERS sweeps between two buffers. Streaming loads from three rows. */
#define MAXN 1536
#define ITERS 80
#define ARENA_BYTES (3u * (MAXN + 2) * (MAXN + 2) * sizeof(double) + 4096)
#include "bench.h"

static int N;
static double *init, *g0, *g1;

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    size_t cells = (size_t)(n + 2) * (n + 2);
    init = arena_alloc(cells * sizeof(double));
    g0 = arena_alloc(cells * sizeof(double));
    g1 = arena_alloc(cells * sizeof(double));
    if (bench_oom) return;
    rng_t r = {3};
    for (size_t i = 0; i < cells; i++) init[i] = rng_unit(&r);
    /* Hot left edge, cold right edge: the interior has something to relax towards. */
    for (int i = 0; i < n + 2; i++) {
        init[(size_t)i * (n + 2)] = 100.0;
        init[(size_t)i * (n + 2) + n + 1] = 0.0;
    }
}

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    int n = N, w = n + 2;
    size_t cells = (size_t)w * w;
    __builtin_memcpy(g0, init, cells * sizeof(double));
    __builtin_memcpy(g1, init, cells * sizeof(double));
    double *src = g0, *dst = g1;
    for (int it = 0; it < ITERS; it++) {
        for (int i = 1; i <= n; i++) {
            const double *up = src + (size_t)(i - 1) * w, *mid = up + w, *down = mid + w;
            double *out = dst + (size_t)i * w;
            for (int j = 1; j <= n; j++)
                out[j] = 0.2 * (mid[j] + mid[j - 1] + mid[j + 1] + up[j] + down[j]);
        }
        double *t = src; src = dst; dst = t;
    }
    uint64_t h = 0;
    for (size_t i = 0; i < cells; i++) h = mix(h, f64_bits(src[i]));
    return h;
}
