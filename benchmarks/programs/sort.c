/* Sort n pseudo-random 32-bit keys: quicksort (median of three, recursion on the smaller
 * side only) with insertion sort for short ranges. Unpredictable branches and swaps. */
#define MAXN (2u << 20)
#define ARENA_BYTES (2u * MAXN * sizeof(uint32_t) + 4096)
#include "bench.h"

static int N;
static uint32_t *input, *work;

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    input = arena_alloc((size_t)n * sizeof(uint32_t));
    work = arena_alloc((size_t)n * sizeof(uint32_t));
    if (bench_oom) return;
    rng_t r = {9};
    for (int i = 0; i < n; i++) input[i] = (uint32_t)rng_next(&r);
}

static void insertion_sort(uint32_t *v, int lo, int hi) {
    for (int i = lo + 1; i <= hi; i++) {
        uint32_t x = v[i];
        int j = i - 1;
        while (j >= lo && v[j] > x) { v[j + 1] = v[j]; j--; }
        v[j + 1] = x;
    }
}

static inline void swap(uint32_t *v, int i, int j) { uint32_t t = v[i]; v[i] = v[j]; v[j] = t; }

static void quicksort(uint32_t *v, int lo, int hi) {
    while (hi - lo > 16) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swap(v, mid, lo);
        if (v[hi] < v[lo]) swap(v, hi, lo);
        if (v[hi] < v[mid]) swap(v, hi, mid);
        uint32_t pivot = v[mid];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) { swap(v, i, j); i++; j--; }
        }
        /* Recurse into the smaller part, loop on the larger: depth stays O(log n), which
         * matters for Wasm's small default stack. */
        if (j - lo < hi - i) { quicksort(v, lo, j); lo = i; }
        else { quicksort(v, i, hi); hi = j; }
    }
    insertion_sort(v, lo, hi);
}

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    int n = N;
    __builtin_memcpy(work, input, (size_t)n * sizeof(uint32_t));
    quicksort(work, 0, n - 1);
    uint64_t h = 0;
    for (int i = 0; i < n; i++) {
        if (i && work[i - 1] > work[i]) return BENCH_FAILED - 1;  /* not sorted: a bug */
        if ((i & 255) == 0) h = mix(h, work[i]);
    }
    return mix(h, work[n - 1]);
}
