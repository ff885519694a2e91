/* Alpha blending of 8-bit images: out = (a * alpha + b * (255 - alpha)) / 255, rounded,
 * with the exact shift form of the division; REPS passes over n pixels, pass r with the
 * alpha mask shifted by r pixels, so no pass repeats another. */
#define MAXN (1 << 22)
#define REPS 128
#define ARENA_BYTES (4u * MAXN + REPS + 4096)
#include "simd_bench.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

static int N;
static uint8_t *fg, *bg, *alpha, *out;

EXPORT void setup(int n) {
    arena_reset();
    N = n & ~15;
    fg = arena_alloc((size_t)N);
    bg = arena_alloc((size_t)N);
    alpha = arena_alloc((size_t)N + REPS);
    out = arena_alloc((size_t)N);
    if (arena_oom) return;
    rng_t r = {31};
    for (int i = 0; i < N + REPS; i++) {
        uint64_t v = rng_next(&r);
        alpha[i] = (uint8_t)(v >> 16);
        if (i < N) {
            fg[i] = (uint8_t)v;
            bg[i] = (uint8_t)(v >> 8);
        }
    }
}

#ifdef __wasm_simd128__
/* (a * al + b * (255 - al) + 128), then (t + (t >> 8)) >> 8: all in u16 lanes. */
static inline v128_t blend8(v128_t a, v128_t b, v128_t al) {
    v128_t t = wasm_i16x8_add(wasm_i16x8_add(wasm_i16x8_mul(a, al),
                                             wasm_i16x8_mul(b, wasm_i16x8_sub(wasm_i16x8_splat(255), al))),
                              wasm_i16x8_splat(128));
    return wasm_u16x8_shr(wasm_i16x8_add(t, wasm_u16x8_shr(t, 8)), 8);
}
#endif

static void blend(const uint8_t *restrict a, const uint8_t *restrict b, const uint8_t *restrict al,
                  uint8_t *restrict o, int n) {
#ifdef __wasm_simd128__
    for (int i = 0; i < n; i += 16) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i), vl = wasm_v128_load(al + i);
        v128_t lo = blend8(wasm_u16x8_extend_low_u8x16(va), wasm_u16x8_extend_low_u8x16(vb),
                           wasm_u16x8_extend_low_u8x16(vl));
        v128_t hi = blend8(wasm_u16x8_extend_high_u8x16(va), wasm_u16x8_extend_high_u8x16(vb),
                           wasm_u16x8_extend_high_u8x16(vl));
        wasm_v128_store(o + i, wasm_u8x16_narrow_i16x8(lo, hi));
    }
#else
    for (int i = 0; i < n; i++) {
        unsigned t = a[i] * al[i] + b[i] * (255u - al[i]) + 128u;
        o[i] = (uint8_t)((t + (t >> 8)) >> 8);
    }
#endif
}

EXPORT uint64_t run(void) {
    if (arena_oom) return BENCH_FAILED;
    uint64_t h = 0;
    for (int rep = 0; rep < REPS; rep++) {
        blend(fg, bg, alpha + rep, out, N);
        h = mix(h, out[(rep * 7919) % N]);
    }
    for (int i = 0; i < N; i += 61) h = mix(h, out[i]);
    return h;
}
