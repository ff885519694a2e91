/* Exit statuses: from main's return, from exit() deep in the stack (atexit handlers and
   stdio buffers run first). Usage: exit_code MODE CODE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bye(void) { printf("atexit handler ran\n"); }

static volatile int levels;

static void finish(int code) {
    printf("exiting from depth %d with %d\n", levels, code);  /* still buffered at exit() */
    exit(code);
}

static int depth(int n, int code) {
    levels++;
    if (n > 0)
        return depth(n - 1, code) + 1;
    void (*volatile end)(int) = finish;  /* opaque to the compiler: exit() is not "infinite recursion" */
    end(code);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: exit_code return|exit CODE\n");
        return 2;
    }
    atexit(bye);
    int code = atoi(argv[2]);
    if (strcmp(argv[1], "exit") == 0)
        return depth(50, code);
    printf("returning %d\n", code);
    return code;
}
