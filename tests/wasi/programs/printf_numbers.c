/* printf of integers and floating point: the output must match the native build. */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    int ints[] = {0, 1, -1, 42, -42, 255, 65535, INT_MAX, INT_MIN};
    for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++)
        printf("int %d|%5d|%-6d|%x|%o|%u\n", ints[i], ints[i], ints[i], ints[i], ints[i], (unsigned)ints[i]);
    long long ll[] = {0LL, 1234567890123LL, -9876543210987LL, LLONG_MAX, LLONG_MIN};
    for (unsigned i = 0; i < sizeof ll / sizeof ll[0]; i++)
        printf("ll %lld %llx\n", ll[i], (unsigned long long)ll[i]);
    printf("u64 %" PRIu64 " i64 %" PRId64 "\n", UINT64_MAX, INT64_MIN);
    double ds[] = {0.0, -0.0, 1.0, -1.5, 3.141592653589793, 2.718281828459045, 1e-300, 1e300,
                   123456789.125, 0.1, 1.0 / 3.0, 5e-324, 1.7976931348623157e308};
    for (unsigned i = 0; i < sizeof ds / sizeof ds[0]; i++)
        printf("dbl %f|%.3e|%g|%.17g\n", ds[i], ds[i], ds[i], ds[i]);
    printf("hex %a %a %a\n", 1.0, -0.75, 3.141592653589793);  /* normal numbers: libcs agree */
    float fs[] = {1.5f, 0.1f, 3.4028235e38f, 1e-45f};
    for (unsigned i = 0; i < sizeof fs / sizeof fs[0]; i++)
        printf("flt %f|%.9g\n", fs[i], fs[i]);
    printf("special %f %f %f %e\n", INFINITY, -INFINITY, NAN, HUGE_VAL);
    printf("sqrt %.17g %.17g\n", sqrt(2.0), sqrt(1e10 + 1));
    printf("round %.0f %.0f %.0f %.1f %.2f\n", 0.5, 1.5, 2.5, 0.05, 1.005);
    char buf[64];
    snprintf(buf, sizeof buf, "%08.3f|%+d|% d|%%", 3.14159, 7, 7);
    printf("snprintf [%s]\n", buf);
    printf("strtod %.17g %.17g %ld\n", strtod("6.02214076e23", NULL), strtod("0x1.8p1", NULL),
           strtol("-0x7fff", NULL, 16));
    printf("chars %c%c%c %s %.3s %10s|\n", 'a', 66, '!', "str", "truncate", "right");
    return 0;
}
