/* CRC-32 (IEEE 802.3, the zlib one) of PASSES copies of an n-byte buffer, slicing-by-8:
 * eight table lookups per 8 bytes. Loads with data-dependent addresses in a small hot
 * table. Several passes over one buffer keep the module's memory small. */
#define MAXN (32u << 20)
#define PASSES 8
#define ARENA_BYTES (MAXN + 4096)
#include "bench.h"

static int N;
static uint8_t *data;
static uint32_t table[8][256];

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    data = arena_alloc((size_t)n);
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int s = 1; s < 8; s++) table[s][i] = (table[s - 1][i] >> 8) ^ table[0][table[s - 1][i] & 0xFF];
    if (bench_oom) return;
    rng_t r = {17};
    for (int i = 0; i < n; i++) data[i] = (uint8_t)(rng_next(&r) >> 56);
}

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    uint32_t c = 0xFFFFFFFFu;
    for (int pass = 0; pass < PASSES; pass++) {
        const uint8_t *p = data;
        size_t n = (size_t)N;
        for (; n >= 8; n -= 8, p += 8) {
            /* Little-endian assembly by hand: the same on every target, no unaligned casts. */
            uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
            uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
            c = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^
                table[4][lo >> 24] ^ table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^
                table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        }
        for (; n; n--, p++) c = (c >> 8) ^ table[0][(c ^ *p) & 0xFF];
    }
    return ~c;
}
