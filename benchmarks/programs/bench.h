/* Shared by every benchmark program: the exported interface, a bump allocator over a
 * static arena, a PRNG and a checksum mix. No libc, so the same source builds natively
 * (clang -O2 -shared) and to Wasm (clang --target=wasm32 -nostdlib -mbulk-memory).
 *
 * Every program defines ARENA_BYTES, then includes this file, and exports
 *   void setup(int n)     build the input of size n (not timed)
 *   uint64_t run(void)    do the work once and return a checksum (timed)
 * run() must return the same checksum every time it is called after one setup(n): the
 * harness times several run() calls per setup and checks every result.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

/* A failed allocation makes run() return this, which no runner's checksum can agree on
 * by accident with a real result, so the harness reports the program as broken. */
#define BENCH_FAILED 0xDEADDEADDEADDEADull

#ifndef ARENA_BYTES
#error "define ARENA_BYTES before including bench.h"
#endif

/* Static, not malloc: Wasm has no libc here, and a static arena is part of the module's
 * initial memory, so no runner pays for memory.grow inside the timed region. */
static _Alignas(64) uint8_t bench_arena[ARENA_BYTES];
static size_t bench_used;
static int bench_oom;

static inline void arena_reset(void) {
    bench_used = 0;
    bench_oom = 0;
}

/* 64-byte aligned so cache-line behaviour is the same natively and in Wasm. */
static inline void *arena_alloc(size_t bytes) {
    size_t start = (bench_used + 63) & ~(size_t)63;
    if (start > ARENA_BYTES || bytes > ARENA_BYTES - start) {
        bench_oom = 1;
        return 0;
    }
    bench_used = start + bytes;
    return bench_arena + start;
}

/* splitmix64: a tiny, good-enough generator whose output is identical on every target. */
typedef struct { uint64_t s; } rng_t;

static inline uint64_t rng_next(rng_t *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform double in [0, 1) from the top 53 bits. */
static inline double rng_unit(rng_t *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

/* Uniform in [0, bound) (bound > 0); the slight modulo bias does not matter here. */
static inline uint32_t rng_below(rng_t *r, uint32_t bound) { return (uint32_t)(rng_next(r) % bound); }

/* Order-sensitive checksum step, so a permuted or shifted result changes the checksum. */
static inline uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xFF51AFD7ED558CCDull;
}

/* Bits of a double, without libc or type punning through pointers. */
static inline uint64_t f64_bits(double d) {
    uint64_t u;
    __builtin_memcpy(&u, &d, sizeof u);
    return u;
}

static inline uint32_t f32_bits(float f) {
    uint32_t u;
    __builtin_memcpy(&u, &f, sizeof u);
    return u;
}

#endif
