/* A reactor: no main; the host calls its exports (after _initialize). */
#include <stdio.h>
#include <stdlib.h>

static int *table;

__attribute__((constructor)) static void init(void) {
    table = malloc(10 * sizeof *table);
    for (int i = 0; i < 10; i++)
        table[i] = i * i;
}

__attribute__((export_name("add"))) int add(int a, int b) { return a + b; }

__attribute__((export_name("square"))) int square(int i) { return i >= 0 && i < 10 ? table[i] : -1; }

__attribute__((export_name("scale"))) double scale(double x, float k) { return x * k; }

__attribute__((export_name("shout"))) int shout(int n) {
    for (int i = 0; i < n; i++)
        printf("shout %d\n", i);
    fflush(stdout);
    return n;
}

__attribute__((export_name("quit"))) void quit(int code) { exit(code); }
