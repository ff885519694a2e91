/* Allocates and frees hundreds of MB: big blocks, many small ones, realloc growth. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fill_and_sum(unsigned char *p, size_t n, unsigned seed) {
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i += 4096)
        p[i] = (unsigned char)(i / 4096 + seed);
    for (size_t i = 0; i < n; i += 4096)
        sum += p[i];
    return sum;
}

int main(void) {
    size_t mb = 1 << 20;
    for (int round = 0; round < 3; round++) {  /* 3 x 200 MB, freed each round */
        unsigned char *a = malloc(120 * mb), *b = malloc(80 * mb);
        if (!a || !b) {
            printf("round %d: allocation failed\n", round);
            return 1;
        }
        memset(a, round, 120 * mb);
        uint64_t s = fill_and_sum(a, 120 * mb, round) + fill_and_sum(b, 80 * mb, round + 7);
        printf("round %d: sum %llu last %d\n", round, (unsigned long long)s, a[120 * mb - 1]);
        free(a);
        free(b);
    }
    static void *small[20000];  /* not on the stack: a wasm32 program gets only 64 KiB of it */
    uint64_t total = 0;
    for (int i = 0; i < 20000; i++) {
        size_t n = 16 + (i * 37) % 5000;
        small[i] = malloc(n);
        memset(small[i], i & 0xff, n);
        total += n;
    }
    for (int i = 0; i < 20000; i += 2)
        free(small[i]);
    for (int i = 1; i < 20000; i += 2)
        total += ((unsigned char *)small[i])[0];
    for (int i = 1; i < 20000; i += 2)
        free(small[i]);
    printf("small blocks: %llu\n", (unsigned long long)total);
    unsigned char *g = NULL;
    size_t size = 0;
    for (int i = 0; i < 12; i++) {  /* realloc up to 256 MB, keeping the contents */
        size_t next = (size_t)1 << (17 + i);
        g = realloc(g, next);
        memset(g + size, i, next - size);
        size = next;
    }
    printf("realloc: %zu MB, first %d middle %d last %d\n", size / mb, g[0], g[size / 2], g[size - 1]);
    free(g);
    return 0;
}
