/* Reads all of stdin, then reports its size, line count, a checksum and the lines
   reversed (in reverse order). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    size_t cap = 1024, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len == cap)
            buf = realloc(buf, cap *= 2);
    }
    uint64_t sum = 0, lines = 0;
    for (size_t i = 0; i < len; i++) {
        sum = sum * 31 + (unsigned char)buf[i];
        lines += buf[i] == '\n';
    }
    printf("bytes=%zu lines=%llu checksum=%llu eof=%d error=%d\n", len, (unsigned long long)lines,
           (unsigned long long)sum, feof(stdin), ferror(stdin));
    size_t end = len;
    for (size_t i = len; i > 0; i--) {
        if (buf[i - 1] == '\n' || i == 1) {
            size_t start = buf[i - 1] == '\n' ? i : 0;
            if (end > start && lines < 20)
                printf("line: %.*s\n", (int)(end - start), buf + start);
            end = i - 1;
        }
    }
    free(buf);
    return 0;
}
