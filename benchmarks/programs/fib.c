/* Doubly recursive Fibonacci: nothing but calls, compares and adds. Measures the cost of
 * a call (prologue, stack-limit check, vmctx passing) in each runner. */
#define ARENA_BYTES 64
#include "bench.h"

static int N;

EXPORT void setup(int n) { N = n; }

/* noinline keeps the recursion a real call in every build. */
__attribute__((noinline)) static uint64_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

EXPORT uint64_t run(void) { return fib((uint32_t)N); }
