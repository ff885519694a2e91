/* Levenshtein edit distance between two n-byte DNA-like strings, one DP row at a time.
 * A dependency chain through min() with short-lived loads: branchy scalar code. */
#define MAXN 16384
#define ARENA_BYTES (2u * MAXN + (MAXN + 1) * sizeof(uint32_t) + 4096)
#include "bench.h"

static int N;
static uint8_t *a, *b;
static uint32_t *row;

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    a = arena_alloc((size_t)n);
    b = arena_alloc((size_t)n);
    row = arena_alloc((size_t)(n + 1) * sizeof(uint32_t));
    if (bench_oom) return;
    static const uint8_t alphabet[4] = {'A', 'C', 'G', 'T'};
    rng_t r = {5};
    for (int i = 0; i < n; i++) a[i] = alphabet[rng_next(&r) & 3];
    /* b is a mutated copy of a (about 1 in 8 positions changed) so the distance is
     * neither 0 nor that of two unrelated strings. */
    for (int i = 0; i < n; i++) b[i] = (rng_next(&r) & 7) ? a[i] : alphabet[rng_next(&r) & 3];
}

static inline uint32_t min3(uint32_t x, uint32_t y, uint32_t z) {
    uint32_t m = x < y ? x : y;
    return m < z ? m : z;
}

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    int n = N;
    for (int j = 0; j <= n; j++) row[j] = (uint32_t)j;
    uint64_t h = 0;
    for (int i = 1; i <= n; i++) {
        uint32_t diag = row[0];
        row[0] = (uint32_t)i;
        uint8_t ai = a[i - 1];
        for (int j = 1; j <= n; j++) {
            uint32_t up = row[j];
            row[j] = min3(up + 1, row[j - 1] + 1, diag + (ai != b[j - 1]));
            diag = up;
        }
        if ((i & 1023) == 0) h = mix(h, row[n]);
    }
    return mix(h, row[n]);
}
