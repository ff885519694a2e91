/* Tries the usual ways out of the preopened /sandbox (set up by test_sandbox.py), through
   wasi-libc. Prints "<attempt>: refused" or "<attempt>: ESCAPED" for each.
   Usage: escape HOST_PATH_OF_OUTSIDE */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int ok) {
    printf("%s: %s\n", what, ok ? "ESCAPED" : "refused");
}

static void try_open(const char *path, int flags) {
    char label[600];
    snprintf(label, sizeof label, "open %s flags %#x", path, flags);
    int fd = open(path, flags, 0644);
    report(label, fd >= 0);
    if (fd >= 0)
        close(fd);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    char host[512];
    snprintf(host, sizeof host, "%s/secret.txt", argv[1]);
    const char *reads[] = {host, "/etc/passwd", "/sandbox/../outside/secret.txt",
                           "/sandbox/link_etc/passwd", "/sandbox/link_out/secret.txt",
                           "/sandbox/link_secret", "/sandbox/chain1/secret.txt",
                           "/sandbox/sub/up2/outside/secret.txt", "/sandbox/sub/deeper/far/secret.txt",
                           "../outside/secret.txt", "/sandbox/sub/../../outside/secret.txt"};
    for (unsigned i = 0; i < sizeof reads / sizeof reads[0]; i++)
        try_open(reads[i], O_RDONLY);
    try_open("/sandbox/dangling_out", O_WRONLY | O_CREAT);
    try_open("/sandbox/dangling_abs", O_WRONLY | O_CREAT | O_TRUNC);
    try_open("/sandbox/link_out/new.txt", O_WRONLY | O_CREAT);
    report("rename to ../outside", rename("/sandbox/file.txt", "/sandbox/../outside/stolen.txt") == 0);
    report("rename into link_out", rename("/sandbox/file.txt", "/sandbox/link_out/stolen.txt") == 0);
    report("rename from outside", rename("/sandbox/link_out/secret.txt", "/sandbox/mine.txt") == 0);
    report("link into link_out", link("/sandbox/file.txt", "/sandbox/link_out/hard") == 0);
    report("link from outside", link("/sandbox/link_out/secret.txt", "/sandbox/hard") == 0);
    report("unlink via link_out", unlink("/sandbox/link_out/secret.txt") == 0);
    report("rmdir via link_out", rmdir("/sandbox/link_out/dir") == 0);
    report("mkdir via link_out", mkdir("/sandbox/link_out/newdir", 0755) == 0);
    report("symlink to /etc/passwd", symlink("/etc/passwd", "/sandbox/abs") == 0);
    DIR *d = opendir("/sandbox/link_out");
    report("opendir link_out", d != NULL);
    report("opendir /sandbox/..", opendir("/sandbox/..") != NULL);
    struct stat st;
    report("stat link_secret", stat("/sandbox/link_secret", &st) == 0);
    report("truncate link_secret", truncate("/sandbox/link_secret", 0) == 0);
    FILE *f = fopen("/sandbox/file.txt", "r");
    char buf[16] = {0};
    printf("inside read: %s\n", f && fgets(buf, sizeof buf, f) && strcmp(buf, "inside") == 0 ? "ok" : "FAILED");
    return 0;
}
