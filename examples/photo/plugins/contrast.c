/* Brightness / contrast with 128-bit SIMD (wasm_simd128.h), 16 bytes at a time:
 *   out = clamp(((p - 128) * k >> 6) + 128 + b, 0, 255)     on every channel byte
 * with k the contrast in 1/64 (64 = unchanged, 0..256) and b the brightness (-255..255);
 * >> is arithmetic (floor). Lanes: u8x16 widened to i16x8, multiplied, shifted, then
 * narrowed back with unsigned saturation (the clamp). The tail is done in scalar code.
 * param: (k << 16) | (b & 0xFFFF); param 0 means k = 64, b = 0. */
#include <wasm_simd128.h>
#include "filter_main.h"

static int32_t apply(const uint8_t *in, uint8_t *out, int32_t w, int32_t h, int32_t c, int32_t param) {
    int32_t k = param == 0 ? 64 : clampi((param >> 16) & 0xFFFF, 0, 256);
    int32_t b = clampi((int16_t)(param & 0xFFFF), -255, 255);
    uint32_t n = (uint32_t)w * (uint32_t)h * (uint32_t)c, i = 0;
    v128_t vk = wasm_i16x8_splat((int16_t)k), v128 = wasm_i16x8_splat(128);
    v128_t vb = wasm_i16x8_splat((int16_t)(128 + b));
    for (; i + 16 <= n; i += 16) {
        v128_t p = wasm_v128_load(in + i);
        v128_t lo = wasm_u16x8_extend_low_u8x16(p), hi = wasm_u16x8_extend_high_u8x16(p);
        lo = wasm_i16x8_add(wasm_i16x8_shr(wasm_i16x8_mul(wasm_i16x8_sub(lo, v128), vk), 6), vb);
        hi = wasm_i16x8_add(wasm_i16x8_shr(wasm_i16x8_mul(wasm_i16x8_sub(hi, v128), vk), 6), vb);
        wasm_v128_store(out + i, wasm_u8x16_narrow_i16x8(lo, hi));
    }
    for (; i < n; i++)
        out[i] = (uint8_t)clamp255((((int32_t)in[i] - 128) * k >> 6) + 128 + b);
    return c;
}
