/* Files in the directory argv[1]: create, write, read, seek, stat, truncate, rename,
   unlink, mkdir/rmdir, readdir, and the errors of doing it wrong. Paths are printed
   relative to argv[1] so that both builds print the same. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[512];

static const char *at(const char *name) {
    static char path[2][1024];
    static int k;
    k ^= 1;
    snprintf(path[k], sizeof path[k], "%s/%s", base, name);
    return path[k];
}

static const char *err(int e) {
    switch (e) {
    case 0: return "ok";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

#define CHECK(label, expr) do { errno = 0; int r_ = (expr); printf("%s: %s\n", label, r_ < 0 ? err(errno) : "ok"); } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *dir) {
    DIR *d = opendir(at(dir));
    if (!d) {
        printf("opendir %s: %s\n", dir, err(errno));
        return;
    }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("ls %s:", dir);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: files DIR\n");
        return 2;
    }
    snprintf(base, sizeof base, "%s", argv[1]);

    FILE *f = fopen(at("hello.txt"), "w");
    for (int i = 0; i < 1000; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);

    f = fopen(at("hello.txt"), "r+");
    char line[64];
    fgets(line, sizeof line, f);
    printf("first: %s", line);
    fseek(f, -9, SEEK_END);
    fgets(line, sizeof line, f);
    printf("last: %s", line);
    printf("tell after: %ld\n", ftell(f));
    fseek(f, 5, SEEK_SET);
    fputs("ZERO", f);
    rewind(f);
    fgets(line, sizeof line, f);
    printf("patched: %s", line);
    fclose(f);

    struct stat st;
    CHECK("stat hello", stat(at("hello.txt"), &st));
    printf("size %lld regular %d dir %d\n", (long long)st.st_size, S_ISREG(st.st_mode), S_ISDIR(st.st_mode));

    int fd = open(at("hello.txt"), O_RDWR);
    CHECK("ftruncate", ftruncate(fd, 100));
    fstat(fd, &st);
    printf("truncated size %lld\n", (long long)st.st_size);
    char buf[16] = {0};
    printf("pread %zd [%.6s]\n", pread(fd, buf, 6, 7), buf);
    printf("pwrite %zd\n", pwrite(fd, "XY", 2, 98));
    printf("lseek end %lld\n", (long long)lseek(fd, 0, SEEK_END));
    close(fd);

    fd = open(at("append.log"), O_WRONLY | O_CREAT | O_APPEND, 0644);
    write(fd, "one\n", 4);
    lseek(fd, 0, SEEK_SET);
    write(fd, "two\n", 4);
    close(fd);
    f = fopen(at("append.log"), "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    printf("append.log: %s", buf);
    fclose(f);

    CHECK("open O_EXCL existing", open(at("hello.txt"), O_WRONLY | O_CREAT | O_EXCL, 0644));
    CHECK("open missing", open(at("missing.txt"), O_RDONLY));
    CHECK("mkdir sub", mkdir(at("sub"), 0755));
    CHECK("mkdir sub again", mkdir(at("sub"), 0755));
    CHECK("mkdir sub/inner", mkdir(at("sub/inner"), 0755));
    CHECK("open dir for writing", open(at("sub"), O_WRONLY));
    CHECK("opendir a file", open(at("hello.txt"), O_RDONLY | O_DIRECTORY));
    CHECK("file as dir in path", open(at("hello.txt/x"), O_RDONLY));
    fd = open(at("sub"), O_RDONLY);
    errno = 0;
    ssize_t got = read(fd, buf, 4);
    printf("read a directory: %zd %s\n", got, err(errno));
    close(fd);
    CHECK("rename into sub", rename(at("append.log"), at("sub/moved.log")));
    CHECK("rename missing", rename(at("append.log"), at("x.log")));
    CHECK("rename over file", rename(at("sub/moved.log"), at("hello.txt")));
    CHECK("rmdir non-empty", rmdir(at("sub")));
    CHECK("unlink a directory", unlink(at("sub/inner")));
    CHECK("rmdir a file", rmdir(at("hello.txt")));
    for (int i = 0; i < 30; i++) {
        char name[32];
        snprintf(name, sizeof name, "sub/f%02d", i);
        close(open(at(name), O_CREAT | O_WRONLY, 0644));
    }
    list("sub");
    list(".");
    list("sub/inner");
    list("nope");
    CHECK("unlink hello", unlink(at("hello.txt")));
    CHECK("unlink hello again", unlink(at("hello.txt")));
    for (int i = 0; i < 30; i++) {
        char name[32];
        snprintf(name, sizeof name, "sub/f%02d", i);
        unlink(at(name));
    }
    CHECK("rmdir inner", rmdir(at("sub/inner")));
    CHECK("rmdir sub", rmdir(at("sub")));
    list(".");
    CHECK("stat after removal", stat(at("sub"), &st));
    return 0;
}
