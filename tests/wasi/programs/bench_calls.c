/* Times WASI calls from inside the guest: N calls of each kind, reporting wall and
   thread-CPU nanoseconds per call. Usage: bench_calls N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static char big[1 << 20];

static void report(const char *what, long long n, long long wall, long long cpu) {
    fprintf(stderr, "%-28s %9.0f ns wall %9.0f ns cpu per call\n", what, (double)wall / n, (double)cpu / n);
}

#define TIME(what, n, body) do { \
        long long w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID); \
        for (long long i_ = 0; i_ < (n); i_++) { body; } \
        report(what, (n), now(CLOCK_MONOTONIC) - w0, now(CLOCK_THREAD_CPUTIME_ID) - c0); \
    } while (0)

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 100000;
    struct timespec ts;
    volatile long sink = 0;
    memset(big, 'x', sizeof big);
    TIME("clock_time_get", n, clock_gettime(CLOCK_MONOTONIC, &ts); sink += ts.tv_nsec);
    TIME("fd_write 1 byte", n, sink += write(1, "x", 1));
    TIME("fd_write 64 bytes", n, sink += write(1, big, 64));
    TIME("fd_write 1 MiB", n / 1000 + 1, sink += write(1, big, sizeof big));
    TIME("printf line (stdio-buffered)", n, printf("line %lld\n", i_));
    fflush(stdout);
    return sink == 0;
}
