/* argv and the environment. argv[0] differs between builds, so it is not printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=[%s] len=%zu\n", i, argv[i], strlen(argv[i]));
    const char *names[] = {"GREETING", "EMPTY", "UNICODE", "MISSING"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        printf("%s=%s\n", names[i], v ? v : "(unset)");
    }
    int n = 0;
    for (char **e = environ; *e; e++)
        n++;
    printf("environ count=%d\n", n);
    return 0;
}
