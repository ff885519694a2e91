/* N-body gravity: n bodies, all pairs per step, STEPS steps of a leapfrog-style update.
 * f64 arithmetic with a square root and a division per pair; small, cache-resident data. */
#define MAXN 4096
#define STEPS 20
#define ARENA_BYTES (14u * MAXN * sizeof(double) + 4096)
#include "bench.h"

static int N;
static double *x0, *y0, *z0, *vx0, *vy0, *vz0, *mass;
static double *x, *y, *z, *vx, *vy, *vz;

static double *vec(void) { return arena_alloc((size_t)N * sizeof(double)); }

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    x0 = vec(); y0 = vec(); z0 = vec(); vx0 = vec(); vy0 = vec(); vz0 = vec(); mass = vec();
    x = vec(); y = vec(); z = vec(); vx = vec(); vy = vec(); vz = vec();
    if (bench_oom) return;
    rng_t r = {41};
    for (int i = 0; i < n; i++) {
        x0[i] = rng_unit(&r) * 100.0; y0[i] = rng_unit(&r) * 100.0; z0[i] = rng_unit(&r) * 100.0;
        vx0[i] = rng_unit(&r) - 0.5; vy0[i] = rng_unit(&r) - 0.5; vz0[i] = rng_unit(&r) - 0.5;
        mass[i] = 1.0 + rng_unit(&r);
    }
}

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    int n = N;
    size_t bytes = (size_t)n * sizeof(double);
    __builtin_memcpy(x, x0, bytes); __builtin_memcpy(y, y0, bytes); __builtin_memcpy(z, z0, bytes);
    __builtin_memcpy(vx, vx0, bytes); __builtin_memcpy(vy, vy0, bytes); __builtin_memcpy(vz, vz0, bytes);
    const double dt = 0.01, soft = 0.01;
    for (int s = 0; s < STEPS; s++) {
        for (int i = 0; i < n; i++) {
            double ax = 0, ay = 0, az = 0;
            for (int j = 0; j < n; j++) {
                double dx = x[j] - x[i], dy = y[j] - y[i], dz = z[j] - z[i];
                double d2 = dx * dx + dy * dy + dz * dz + soft;
                double inv = mass[j] / (d2 * __builtin_sqrt(d2));
                ax += dx * inv; ay += dy * inv; az += dz * inv;
            }
            vx[i] += ax * dt; vy[i] += ay * dt; vz[i] += az * dt;
        }
        for (int i = 0; i < n; i++) { x[i] += vx[i] * dt; y[i] += vy[i] * dt; z[i] += vz[i] * dt; }
    }
    uint64_t h = 0;
    for (int i = 0; i < n; i++) {
        h = mix(h, f64_bits(x[i]));
        h = mix(h, f64_bits(vy[i]));
    }
    return h;
}
