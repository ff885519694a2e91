/* Open-addressing hash table (linear probing, 64-bit keys) over a buffer much larger than
 * the caches: n inserts, then 2n lookups of which half miss. Random access to memory. */
#define MAXN (2u << 20)
#define ARENA_BYTES ((size_t)MAXN * sizeof(uint64_t) + 4u * MAXN * 16u + 4096)
#include "bench.h"

typedef struct { uint64_t key, value; } slot_t;  /* key 0 marks an empty slot */

static int N;
static uint64_t *keys;
static slot_t *slots;
static uint32_t mask, shift;

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    uint32_t cap = 1, bits = 0;
    while (cap < 2u * (uint32_t)n) { cap <<= 1; bits++; }  /* load factor <= 1/2 */
    mask = cap - 1;
    shift = 64 - bits;
    keys = arena_alloc((size_t)n * sizeof(uint64_t));
    slots = arena_alloc((size_t)cap * sizeof(slot_t));
    if (bench_oom) return;
    rng_t r = {19};
    for (int i = 0; i < n; i++) keys[i] = rng_next(&r) | 1;  /* odd: never the empty key */
}

/* Fibonacci hashing: the multiply spreads keys, the top bits index the table. */
static inline uint32_t home(uint64_t key) { return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> shift) & mask; }

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    int n = N;
    __builtin_memset(slots, 0, ((size_t)mask + 1) * sizeof(slot_t));
    for (int i = 0; i < n; i++) {
        uint64_t k = keys[i];
        uint32_t s = home(k);
        while (slots[s].key != 0 && slots[s].key != k) s = (s + 1) & mask;
        slots[s].key = k;
        slots[s].value += (uint64_t)i + 1;
    }
    uint64_t found = 0, misses = 0;
    rng_t r = {23};
    for (int i = 0; i < 2 * n; i++) {
        /* Even steps look up a present key in random order, odd steps an even (so absent) key. */
        uint64_t k = (i & 1) ? (rng_next(&r) & ~1ull) : keys[rng_below(&r, (uint32_t)n)];
        uint32_t s = home(k);
        while (slots[s].key != 0 && slots[s].key != k) s = (s + 1) & mask;
        if (slots[s].key == k) found += slots[s].value; else misses++;
    }
    return mix(found, misses);
}
