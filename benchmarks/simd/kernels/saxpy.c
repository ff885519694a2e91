/* saxpy over f32: y = a * x + y, REPS passes over n floats (elementwise, no reduction,
 * so a compiler may vectorise it without changing any result). */
#define MAXN (1 << 20)
#define REPS 1024
#define ARENA_BYTES (3u * MAXN * 4 + 4096)
#include "simd_bench.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

static int N;
static float *x, *y, *y0;

EXPORT void setup(int n) {
    arena_reset();
    N = n & ~15;
    x = arena_alloc((size_t)N * 4);
    y = arena_alloc((size_t)N * 4);
    y0 = arena_alloc((size_t)N * 4);
    if (arena_oom) return;
    rng_t r = {11};
    for (int i = 0; i < N; i++) {
        x[i] = (float)(int)(rng_next(&r) % 2001 - 1000) * 0.001f;
        y0[i] = (float)(int)(rng_next(&r) % 2001 - 1000) * 0.5f;
    }
}

static void saxpy(float a, const float *restrict xs, float *restrict ys, int n) {
#ifdef __wasm_simd128__
    v128_t va = wasm_f32x4_splat(a);
    for (int i = 0; i < n; i += 8) {  /* two vectors per iteration */
        v128_t y1 = wasm_f32x4_add(wasm_f32x4_mul(va, wasm_v128_load(xs + i)), wasm_v128_load(ys + i));
        v128_t y2 = wasm_f32x4_add(wasm_f32x4_mul(va, wasm_v128_load(xs + i + 4)), wasm_v128_load(ys + i + 4));
        wasm_v128_store(ys + i, y1);
        wasm_v128_store(ys + i + 4, y2);
    }
#else
    for (int i = 0; i < n; i++) ys[i] = a * xs[i] + ys[i];
#endif
}

EXPORT uint64_t run(void) {
    if (arena_oom) return BENCH_FAILED;
    __builtin_memcpy(y, y0, (size_t)N * 4);
    for (int rep = 0; rep < REPS; rep++) saxpy(rep & 1 ? 0.25f : -0.125f, x, y, N);
    uint64_t h = 0;
    for (int i = 0; i < N; i += 7) {
        uint32_t bits;
        __builtin_memcpy(&bits, &y[i], 4);
        h = mix(h, bits);
    }
    return h;
}
