/* The embedding-cost module: exports that do (almost) nothing, so timing a call from
 * Python measures the crossing itself. Built to Wasm (the host function is an import) and
 * natively (the host function is a pointer the Python side sets), like the programs. */
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

#ifdef __wasm__
__attribute__((import_module("env"), import_name("host"))) int32_t host(int32_t);
#else
static int32_t (*host)(int32_t);
EXPORT void set_host(int32_t (*fn)(int32_t)) { host = fn; }
#endif

EXPORT void noop(void) {}

EXPORT int32_t add(int32_t a, int32_t b) { return a + b; }

/* n Wasm -> host calls in a loop: the host result feeds the next call, so none can be
 * skipped. Timed per call with pyperf's inner_loops. */
EXPORT int32_t call_host(int32_t n) {
    int32_t acc = 0;
    for (int32_t i = 0; i < n; i++) acc = host(acc);
    return acc;
}
