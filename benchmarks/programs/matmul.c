/* Dense matrix multiply C = A x B of n x n doubles (i-k-j order, row-major). Exercises
 * f64 multiply-add throughput and sequential loads/stores the compiler can keep in
 * registers; natively clang also vectorises the inner loop, Wasm without SIMD cannot. */
#define MAXN 768
#define ARENA_BYTES (3u * MAXN * MAXN * sizeof(double) + 4096)
#include "bench.h"

static int N;
static double *A, *B, *C;

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    A = arena_alloc((size_t)n * n * sizeof(double));
    B = arena_alloc((size_t)n * n * sizeof(double));
    C = arena_alloc((size_t)n * n * sizeof(double));
    if (bench_oom) return;
    rng_t r = {42};
    for (int i = 0; i < n * n; i++) {
        A[i] = rng_unit(&r) - 0.5;
        B[i] = rng_unit(&r) - 0.5;
    }
}

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    int n = N;
    __builtin_memset(C, 0, (size_t)n * n * sizeof(double));
    for (int i = 0; i < n; i++) {
        double *ci = C + (size_t)i * n;
        for (int k = 0; k < n; k++) {
            double a = A[(size_t)i * n + k];
            const double *bk = B + (size_t)k * n;
            for (int j = 0; j < n; j++) ci[j] += a * bk[j];
        }
    }
    uint64_t h = 0;
    for (int i = 0; i < n * n; i++) h = mix(h, f64_bits(C[i]));
    return h;
}
