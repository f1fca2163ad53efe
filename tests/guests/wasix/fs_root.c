/* The root `wasmer run` gives a WASIX program: /tmp, /dev, mounts beneath /, cwd.
 * argv[1] is the guest path of a host directory holding `in.txt` ("from host\n"). */
#include "t.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void list(const char *path) {
    DIR *d = opendir(path);
    CHECK(d != NULL);
    if (!d) return;
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("ls %s:", path);
    for (int i = 0; i < n; i++) printf(" %s", names[i]), free(names[i]);
    printf("\n");
}

int main(int argc, char **argv) {
    const char *mnt = argc > 1 ? argv[1] : "/data";
    char buf[256];
    CHECK(getcwd(buf, sizeof buf) != NULL);
    printf("cwd=%s\n", buf);
    list("/");
    list("/dev");

    /* /tmp is a writable in-memory directory. */
    int fd = open("/tmp/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "hello tmp\n", 10) == 10);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    memset(buf, 0, sizeof buf);
    CHECK(read(fd, buf, sizeof buf) == 10);
    printf("tmp read: %s", buf);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 10 && S_ISREG(st.st_mode));
    close(fd);
    CHECK(mkdir("/tmp/d", 0755) == 0);
    CHECK(mkdir("/tmp/d", 0755) == -1 && errno == EEXIST);
    fd = open("/tmp/d/x", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    close(fd);
    CHECK(rename("/tmp/d/x", "/tmp/d/y") == 0);
    list("/tmp/d");
    CHECK(unlink("/tmp/d/y") == 0);
    CHECK(rmdir("/tmp/d") == 0);
    CHECK(stat("/tmp/d", &st) == -1 && errno == ENOENT);

    /* Device files. */
    fd = open("/dev/null", O_RDWR);
    CHECK(fd >= 0);
    CHECK(write(fd, "gone", 4) == 4);
    CHECK(read(fd, buf, sizeof buf) == 0);
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    CHECK(fd >= 0);
    memset(buf, 0x55, 16);
    CHECK(read(fd, buf, 16) == 16);
    int zeros = 0;
    for (int i = 0; i < 16; i++) zeros += buf[i] == 0;
    printf("zero bytes=%d\n", zeros);
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, 32) == 32);
    close(fd);
    fflush(stdout);
    FILE *f = fopen("/dev/stdout", "w");
    CHECK(f != NULL);
    if (f) fprintf(f, "via /dev/stdout\n"), fclose(f);
    fflush(stdout);

    /* The host directory mounted beneath the root. */
    snprintf(buf, sizeof buf, "%s/in.txt", mnt);
    f = fopen(buf, "r");
    CHECK(f != NULL);
    char line[64] = {0};
    if (f) {
        CHECK(fgets(line, sizeof line, f) != NULL);
        fclose(f);
    }
    printf("mount read: %s", line);
    snprintf(buf, sizeof buf, "%s/out.txt", mnt);
    f = fopen(buf, "w");
    CHECK(f != NULL);
    if (f) fputs("written by guest\n", f), fclose(f);

    /* Relative paths and `..` through the root. */
    CHECK(chdir("/tmp") == 0);
    CHECK(getcwd(buf, sizeof buf) != NULL);
    printf("cwd=%s\n", buf);
    fd = open("a.txt", O_RDONLY);
    CHECK(fd >= 0);
    close(fd);
    snprintf(buf, sizeof buf, "..%s/in.txt", mnt);
    CHECK(access(buf, R_OK) == 0);
    CHECK(chdir(mnt) == 0);
    CHECK(access("../tmp/a.txt", R_OK) == 0);
    CHECK(unlink("/tmp/a.txt") == 0);
    CHECK(open("/nonexistent/x", O_RDONLY) == -1 && errno == ENOENT);
    return DONE();
}
