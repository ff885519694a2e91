/* Entry points for a benchmark program translated by wasm2c (module name "prog"), so the
 * Python runner can drive it through ctypes like the native build:
 *   int bench_setup(uint32_t n)      instantiate once, then call the module's setup(n)
 *   int bench_run(uint64_t *result)  call run(); 0 on success, else the wasm_rt trap code
 * Built together with wasm2c's module.c and wasm-rt-impl.c, see benchmarks/build.py. */
#include <stdint.h>

#include "wasm-rt-impl.h"
#include "module.h"

#define EXPORT __attribute__((visibility("default")))

/* wabt 1.0.32 names things Z_prog_* / Z_progZ_*; later releases w2c_prog_* / wasm2c_*.
 * build.py defines W2C_NEW_NAMES when it sees the newer header. */
#ifdef W2C_NEW_NAMES
typedef w2c_prog prog_instance;
#define PROG_INIT() ((void)0)
#define PROG_INSTANTIATE(i) wasm2c_prog_instantiate(i)
#define PROG_SETUP(i, n) w2c_prog_setup(i, n)
#define PROG_RUN(i) w2c_prog_run(i)
#else
typedef Z_prog_instance_t prog_instance;
#define PROG_INIT() Z_prog_init_module()
#define PROG_INSTANTIATE(i) Z_prog_instantiate(i)
#define PROG_SETUP(i, n) Z_progZ_setup(i, n)
#define PROG_RUN(i) Z_progZ_run(i)
#endif

static prog_instance instance;
static int ready;

EXPORT int bench_setup(uint32_t n) {
    if (!ready) {
        wasm_rt_init();
        PROG_INIT();
        PROG_INSTANTIATE(&instance);
        ready = 1;
    }
    /* A trap longjmps back here with its code: report it instead of crashing Python. */
    int trap = wasm_rt_impl_try();
    if (trap != 0) return trap;
    PROG_SETUP(&instance, n);
    return 0;
}

EXPORT int bench_run(uint64_t *result) {
    int trap = wasm_rt_impl_try();
    if (trap != 0) return trap;
    *result = PROG_RUN(&instance);
    return 0;
}
