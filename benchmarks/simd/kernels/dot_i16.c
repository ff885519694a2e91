/* Dot products of int16 vectors (audio / quantised ML style): REPS passes, each against
 * a shifted window of the second vector so no pass can be reused. Sums fit int32. */
#define MAXN (1 << 20)
#define REPS 512
#define ARENA_BYTES (2u * (MAXN + REPS * 8) * 2 + 4096)
#include "simd_bench.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

static int N;
static int16_t *a, *b;

EXPORT void setup(int n) {
    arena_reset();
    N = n & ~15;
    a = arena_alloc((size_t)N * 2);
    b = arena_alloc((size_t)(N + REPS * 8) * 2);
    if (arena_oom) return;
    rng_t r = {23};
    for (int i = 0; i < N; i++) a[i] = (int16_t)(int)(rng_next(&r) % 255 - 127);
    for (int i = 0; i < N + REPS * 8; i++) b[i] = (int16_t)(int)(rng_next(&r) % 255 - 127);
}

static int32_t dot(const int16_t *xs, const int16_t *ys, int n) {
#ifdef __wasm_simd128__
    v128_t acc1 = wasm_i32x4_splat(0), acc2 = wasm_i32x4_splat(0);
    for (int i = 0; i < n; i += 16) {
        acc1 = wasm_i32x4_add(acc1, wasm_i32x4_dot_i16x8(wasm_v128_load(xs + i), wasm_v128_load(ys + i)));
        acc2 = wasm_i32x4_add(acc2, wasm_i32x4_dot_i16x8(wasm_v128_load(xs + i + 8), wasm_v128_load(ys + i + 8)));
    }
    v128_t acc = wasm_i32x4_add(acc1, acc2);
    return wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
           wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
#else
    int32_t sum = 0;
    for (int i = 0; i < n; i++) sum += xs[i] * ys[i];
    return sum;
#endif
}

EXPORT uint64_t run(void) {
    if (arena_oom) return BENCH_FAILED;
    uint64_t h = 0;
    for (int rep = 0; rep < REPS; rep++) h = mix(h, (uint32_t)dot(a, b + rep * 8, N));
    return h;
}
