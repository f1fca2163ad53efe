/* The C programs of the public suite go through wasi-libc: stdio buffering over lseek,
 * O_APPEND with pwrite, O_WRONLY then O_RDONLY, fdopendir's d_ino against fstatat, and
 * st_dev / st_ino. argv[1] is the scratch preopen; paths are relative to it (libc maps
 * them onto the preopen by name). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(c)                                                                  \
    do {                                                                          \
        if (!(c)) {                                                               \
            failures++;                                                           \
            printf("FAIL line %d: %s (errno %d %s)\n", __LINE__, #c, errno,       \
                   strerror(errno));                                              \
        }                                                                         \
    } while (0)

static char P[512];
static const char *at(const char *scratch, const char *rel) {
    snprintf(P, sizeof P, "%s/%s", scratch, rel);
    return P;
}

int main(int argc, char **argv) {
    const char *s = argc > 1 ? argv[1] : "fs-tests.dir";
    CHECK(mkdir(at(s, "libc.cleanup"), 0755) == 0);

    /* lseek after buffered fread. */
    FILE *w = fopen(at(s, "libc.cleanup/lseek.txt"), "w");
    CHECK(w != NULL);
    if (w) {
        fputs("01234567", w);
        fclose(w);
    }
    FILE *f = fopen(at(s, "libc.cleanup/lseek.txt"), "r");
    CHECK(f != NULL);
    if (f) {
        char buf[4];
        int fd = fileno(f);
        CHECK(fread(buf, 1, 4, f) == 4);
        fflush(f);
        CHECK(lseek(fd, 0, SEEK_CUR) == 4);
        CHECK(fread(buf, 1, 1, f) == 1);
        fflush(f);
        CHECK(lseek(fd, 0, SEEK_CUR) == 5);
        CHECK(buf[0] == '4');
        CHECK(lseek(fd, 0, SEEK_SET) == 0);
        CHECK(lseek(fd, 0, SEEK_END) == 8);
        fclose(f);
    }

    /* O_APPEND: write goes to the end; pwrite writes at its offset and leaves the file
     * offset alone. That is POSIX's pwrite and WASI 0.2's descriptor.write(offset), which
     * the core implements; Linux's pwrite(2) appends instead (a documented Linux bug). */
    int fd = open(at(s, "libc.cleanup/append"), O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0644);
    CHECK(fd >= 0);
    if (fd >= 0) {
        char b[4] = "abcd";
        CHECK(write(fd, b, 2) == 2);
        CHECK(lseek(fd, 0, SEEK_SET) == 0);
        CHECK(write(fd, b, 2) == 2);
        CHECK(lseek(fd, 0, SEEK_CUR) == 4);
        CHECK(pwrite(fd, b, 3, 0) == 3);
        CHECK(lseek(fd, 0, SEEK_CUR) == 4);
        off_t end = lseek(fd, 0, SEEK_END);
        CHECK(end == 4);
        close(fd);
        char got[8] = {0};
        fd = open(at(s, "libc.cleanup/append"), O_RDONLY);
        CHECK(fd >= 0 && read(fd, got, sizeof got) == 4 && memcmp(got, "abcb", 4) == 0);
        if (fd >= 0) close(fd);
    }

    /* pwrite on a write-only fd, then read back through a read-only one. */
    const char *pf = at(s, "libc.cleanup/pw.txt");
    char pfn[512];
    strcpy(pfn, pf);
    CHECK(access(pfn, F_OK) != 0);
    fd = open(pfn, O_WRONLY | O_CREAT, 0644);
    CHECK(fd > 0);
    if (fd > 0) {
        CHECK(pwrite(fd, "very long text", 14, 0) == 14);
        CHECK(pwrite(fd, "test", 4, 3) == 4);
        char r;
        CHECK(read(fd, &r, 1) < 0);
        close(fd);
    }
    fd = open(pfn, O_RDONLY);
    CHECK(fd > 0);
    if (fd > 0) {
        char rb[16] = {0};
        CHECK(read(fd, rb, sizeof rb) == 14);
        CHECK(strncmp(rb, "vertestng text", 14) == 0);
        CHECK(write(fd, "x", 1) < 0);
        close(fd);
    }
    CHECK(remove(pfn) == 0);

    /* fdopendir: d_ino agrees with fstatat, distinct files have distinct inodes. */
    CHECK(mkdir(at(s, "libc.cleanup/d"), 0755) == 0);
    for (int i = 0; i < 2; i++) {
        char n[64];
        snprintf(n, sizeof n, "libc.cleanup/d/file-%d", i);
        int t = open(at(s, n), O_CREAT | O_WRONLY, 0644);
        CHECK(t >= 0);
        if (t >= 0) close(t);
    }
    int dfd = open(at(s, "libc.cleanup/d"), O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    if (dfd >= 0) {
        DIR *d = fdopendir(dfd);
        CHECK(d != NULL);
        ino_t inos[2] = {0, 0};
        int seen = 0;
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            int k = strcmp(e->d_name, "file-0") == 0 ? 0 : strcmp(e->d_name, "file-1") == 0 ? 1 : -1;
            CHECK(k >= 0);
            if (k < 0) continue;
            seen |= 1 << k;
            inos[k] = e->d_ino;
            struct stat st;
            CHECK(fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0);
            CHECK(st.st_ino == e->d_ino);
        }
        CHECK(seen == 3);
        CHECK(inos[0] != inos[1]);
        if (d) closedir(d);
    }

    /* st_dev equal, st_ino different for two files in one directory. */
    int a = open(at(s, "libc.cleanup/d/file-0"), O_RDONLY);
    int b = open(at(s, "libc.cleanup/lseek.txt"), O_RDONLY);
    CHECK(a >= 0 && b >= 0);
    struct stat sa, sb;
    CHECK(fstat(a, &sa) == 0 && fstat(b, &sb) == 0);
    CHECK(sa.st_dev == sb.st_dev);
    CHECK(sa.st_ino != sb.st_ino);
    close(a);
    close(b);

    /* Opening a missing file for reading: ENOENT. */
    errno = 0;
    CHECK(fopen(at(s, "libc.cleanup/missing"), "r") == NULL && errno == ENOENT);

    unlink(at(s, "libc.cleanup/d/file-0"));
    unlink(at(s, "libc.cleanup/d/file-1"));
    CHECK(rmdir(at(s, "libc.cleanup/d")) == 0);
    CHECK(unlink(at(s, "libc.cleanup/append")) == 0);
    CHECK(unlink(at(s, "libc.cleanup/lseek.txt")) == 0);
    CHECK(rmdir(at(s, "libc.cleanup")) == 0);
    if (failures) {
        printf("%d failure(s) in conformance_libc\n", failures);
        return 1;
    }
    printf("ok conformance_libc\n");
    return 0;
}
