/* LU decomposition with partial pivoting of an n x n double matrix (Doolittle, in place
 * on a copy). Mixes a data-dependent pivot search, row swaps and a rank-1 update whose
 * trip counts shrink: loop overhead and bounds checks matter more than in matmul. */
#define MAXN 1024
#define ARENA_BYTES (2u * MAXN * MAXN * sizeof(double) + MAXN * sizeof(int) + 4096)
#include "bench.h"

static int N;
static double *A0, *LU;
static int *piv;

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    A0 = arena_alloc((size_t)n * n * sizeof(double));
    LU = arena_alloc((size_t)n * n * sizeof(double));
    piv = arena_alloc((size_t)n * sizeof(int));
    if (bench_oom) return;
    rng_t r = {7};
    for (int i = 0; i < n * n; i++) A0[i] = rng_unit(&r) * 2.0 - 1.0;
}

static inline double fabs_(double x) { return x < 0 ? -x : x; }

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    int n = N;
    __builtin_memcpy(LU, A0, (size_t)n * n * sizeof(double));
    for (int k = 0; k < n; k++) {
        int p = k;
        double best = fabs_(LU[(size_t)k * n + k]);
        for (int i = k + 1; i < n; i++) {
            double v = fabs_(LU[(size_t)i * n + k]);
            if (v > best) { best = v; p = i; }
        }
        piv[k] = p;
        if (p != k) {
            double *rk = LU + (size_t)k * n, *rp = LU + (size_t)p * n;
            for (int j = 0; j < n; j++) { double t = rk[j]; rk[j] = rp[j]; rp[j] = t; }
        }
        double d = LU[(size_t)k * n + k];
        if (d == 0.0) continue;  /* singular column: leave it, the checksum still agrees */
        const double *rk = LU + (size_t)k * n;
        for (int i = k + 1; i < n; i++) {
            double *ri = LU + (size_t)i * n;
            double l = ri[k] / d;
            ri[k] = l;
            for (int j = k + 1; j < n; j++) ri[j] -= l * rk[j];
        }
    }
    uint64_t h = 0;
    for (int k = 0; k < n; k++) h = mix(h, (uint64_t)piv[k]);
    for (int i = 0; i < n * n; i++) h = mix(h, f64_bits(LU[i]));
    return h;
}
