/* Shared by the SIMD benchmark kernels: the exported interface, a static arena, a PRNG
 * and a checksum step. No libc, so one source builds three ways: natively (clang -O2
 * -march=native, auto-vectorised), to Wasm with SIMD (-msimd128: the kernel's
 * wasm_simd128.h branch) and to scalar Wasm (no -msimd128: the plain C branch).
 *
 * Each kernel exports
 *   void setup(int n)     build inputs of n elements (not timed)
 *   uint64_t run(void)    REPS passes of the kernel, then a checksum (timed)
 * run() returns the same checksum on every call after one setup(n), and every build
 * returns the same checksum (integer kernels are exact; the float kernel does the same
 * IEEE operations in every build: no fused multiply-add, no reassociation).
 */
#ifndef SIMD_BENCH_H
#define SIMD_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))
#define BENCH_FAILED 0xDEADDEADDEADDEADull

#ifndef ARENA_BYTES
#error "define ARENA_BYTES before including simd_bench.h"
#endif

/* Static, so it is part of the Wasm module's initial memory: no memory.grow when timed. */
static _Alignas(64) uint8_t arena[ARENA_BYTES];
static size_t arena_used;
static int arena_oom;

static inline void arena_reset(void) { arena_used = 0; arena_oom = 0; }

static inline void *arena_alloc(size_t bytes) {
    size_t start = (arena_used + 63) & ~(size_t)63;
    if (start > ARENA_BYTES || bytes > ARENA_BYTES - start) { arena_oom = 1; return 0; }
    arena_used = start + bytes;
    return arena + start;
}

typedef struct { uint64_t s; } rng_t;

static inline uint64_t rng_next(rng_t *r) { /* splitmix64: the same output on every target */
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xFF51AFD7ED558CCDull;
}

#endif
