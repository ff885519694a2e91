/* Pointer chasing: follow `next` pointers around one random cycle through n nodes that
 * cover a buffer far larger than the caches. Every load depends on the previous one, so
 * this measures memory latency plus whatever the sandbox adds to each dependent load.
 * A node is 16 bytes both natively (8-byte pointer + value) and in Wasm (4-byte pointer,
 * 4 bytes of padding before the 8-byte value), so both touch the same memory. */
#define MAXN (2u << 20)
#define ARENA_BYTES ((size_t)MAXN * 16u + (size_t)MAXN * sizeof(uint32_t) + 4096)
#include "bench.h"

typedef struct node { struct node *next; uint64_t value; } node_t;
_Static_assert(sizeof(node_t) == 16, "node layout must match across targets");

static int N;
static node_t *nodes;

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    nodes = arena_alloc((size_t)n * sizeof(node_t));
    uint32_t *order = arena_alloc((size_t)n * sizeof(uint32_t));
    if (bench_oom) return;
    rng_t r = {31};
    /* Sattolo's shuffle gives a single cycle through all nodes. */
    for (int i = 0; i < n; i++) order[i] = (uint32_t)i;
    for (int i = n - 1; i > 0; i--) {
        uint32_t j = rng_below(&r, (uint32_t)i);
        uint32_t t = order[i]; order[i] = order[j]; order[j] = t;
    }
    for (int i = 0; i < n; i++) {
        nodes[order[i]].next = &nodes[order[(i + 1) % n]];
        nodes[order[i]].value = rng_next(&r) >> 40;
    }
}

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    const node_t *p = &nodes[0];
    uint64_t sum = 0;
    for (int i = 0; i < N; i++) {
        sum = sum * 31 + p->value;
        p = p->next;
    }
    return mix(sum, (uint64_t)(p - nodes));
}
