/* The translator benchmark's client: calls the imported op n times.
 *
 * Each call's result feeds the next call's argument, and the import is opaque to clang
 * (it may have any effect), so no call can be hoisted, merged or dropped. */
#include "kbench.h"

__attribute__((export_name("loop"))) int32_t loop(int32_t n, cap_t c) {
    int32_t acc = 0;
    for (int32_t i = 0; i < n; i++)
        acc = op(c, acc, i);
    return acc;
}

__attribute__((export_name("loop_badge"))) int32_t loop_badge(int32_t n, cap_t c) {
    int32_t acc = 0;
    for (int32_t i = 0; i < n; i++)
        acc = op_badge(c, acc, i);
    return acc;
}
