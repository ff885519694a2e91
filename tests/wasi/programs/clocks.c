/* Clocks: the monotonic clock never goes back, sleeping takes at least as long as asked,
   the realtime clock agrees with time(). Prints only verdicts, which must match native. */
#include <stdio.h>
#include <time.h>

static long long ns(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return -1;
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
    long long prev = ns(CLOCK_MONOTONIC), backwards = 0;
    for (int i = 0; i < 20000; i++) {
        long long t = ns(CLOCK_MONOTONIC);
        if (t < prev)
            backwards++;
        prev = t;
    }
    printf("monotonic backwards steps: %lld\n", backwards);
    struct timespec res;
    printf("monotonic resolution ok: %d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 &&
                                             res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
    long long t0 = ns(CLOCK_MONOTONIC);
    struct timespec nap = {0, 20 * 1000 * 1000};
    int r = nanosleep(&nap, NULL);
    long long slept = ns(CLOCK_MONOTONIC) - t0;
    printf("nanosleep returned %d, slept at least 20ms: %d, less than 5s: %d\n", r,
           slept >= 20000000, slept < 5000000000LL);
    long long wall = ns(CLOCK_REALTIME) / 1000000000LL;
    time_t now = time(NULL);
    printf("realtime agrees with time(): %d, after 2020: %d\n",
           (wall - now) >= -1 && (wall - now) <= 1, now > 1577836800);
    return 0;
}
