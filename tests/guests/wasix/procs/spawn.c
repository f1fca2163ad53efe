/* posix_spawn, system and popen; argv[1] picks the case. $SELF is this program's guest
 * path, $SELF_NAME its file name (the test maps its directory into the guest).
 *   actions   posix_spawn of self ("spawned") with file actions: open /tmp/ten at fd 10,
 *             dup2 11→12, close 11, and the environment {ABCD=1234}
 *   spawnp    posix_spawnp of $SELF_NAME with PATH=/nonexistent:<dir of SELF>
 *   missing   posix_spawn of a missing program: the errno is the return value
 *   system    system("exit 3") and system("echo hi there") (needs /bin/sh)
 *   popen     popen("echo hi", "r") read to EOF, then pclose (needs /bin/sh)
 * Spawned modes:
 *   spawned   prints argv[0], ABCD and whether fds 10, 11, 12 are open; writes to 10 and 12;
 *             exits 70
 *   code N    exits N
 * The parent prints only after waiting, so the lines come in one order. Exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *self(void) {
    const char *s = getenv("SELF");
    if (!s) { printf("SELF is not set\n"); exit(9); }
    return s;
}

static void status_line(const char *what, int st) {
    printf("%s: WIFEXITED=%d WEXITSTATUS=%d\n", what, WIFEXITED(st), WEXITSTATUS(st));
}

static void cat(const char *path) {
    char buf[128] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) { printf("%s: open errno=%d\n", path, errno); return; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("%s: %d bytes: %s", path, (int)n, n > 0 ? buf : "\n");
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "spawned")) {
        const char *abcd = getenv("ABCD");
        printf("spawned argv0=%s argc=%d ABCD=%s\n", argv[0], argc, abcd ? abcd : "(unset)");
        printf("fd10 open=%d fd11 open=%d fd12 open=%d\n", fcntl(10, F_GETFD) >= 0,
               fcntl(11, F_GETFD) >= 0, fcntl(12, F_GETFD) >= 0);
        fflush(stdout);
        write(10, "to ten\n", 7);
        write(12, "to twelve\n", 10);
        return 70;
    }
    if (!strcmp(mode, "code")) return argc > 2 ? atoi(argv[2]) : 0;

    if (!strcmp(mode, "actions")) {
        unlink("/tmp/ten");
        int e = open("/tmp/eleven", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (e < 0 || dup2(e, 11) != 11) { printf("setup errno=%d\n", errno); return 1; }
        close(e);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 10, "/tmp/ten", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 11, 12);
        posix_spawn_file_actions_addclose(&fa, 11);
        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        char *av[] = {"spawnee", "spawned", NULL};
        char *ev[] = {"ABCD=1234", NULL};
        pid_t pid = -1;
        fflush(stdout);
        int r = posix_spawn(&pid, self(), &fa, &at, av, ev);
        int st = -1;
        pid_t w = r == 0 ? waitpid(pid, &st, 0) : -1;
        printf("posix_spawn=%d waitpid==pid: %d\n", r, r == 0 && w == pid);
        if (r == 0) status_line("spawned", st);
        close(11);
        cat("/tmp/ten");
        cat("/tmp/eleven");
        return 0;
    }
    if (!strcmp(mode, "spawnp")) {
        const char *name = getenv("SELF_NAME");
        char dir[256];
        snprintf(dir, sizeof dir, "%s", self());
        char *slash = strrchr(dir, '/');
        if (!name || !slash) { printf("SELF_NAME/SELF unusable\n"); return 9; }
        *slash = 0;
        char path[300];
        snprintf(path, sizeof path, "/nonexistent:%s", dir);
        setenv("PATH", path, 1);
        char *av[] = {(char *)name, "code", "71", NULL};
        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        pid_t pid = -1;
        int r = posix_spawnp(&pid, name, NULL, &at, av, environ);
        int st = -1;
        pid_t w = r == 0 ? waitpid(pid, &st, 0) : -1;
        printf("posix_spawnp=%d waitpid==pid: %d\n", r, r == 0 && w == pid);
        if (r == 0) status_line("spawnp", st);
        return 0;
    }
    if (!strcmp(mode, "missing")) {
        char *av[] = {"nope.wasm", NULL};
        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        pid_t pid = -1;
        errno = 0;
        int r = posix_spawn(&pid, "/app/nope.wasm", NULL, &at, av, environ);
        printf("posix_spawn=%d pid unchanged=%d\n", r, pid == -1);
        return 0;
    }
    if (!strcmp(mode, "system")) {
        fflush(stdout);
        int st = system("exit 3");
        printf("system(exit 3)=%d\n", st);
        status_line("system(exit 3)", st);
        fflush(stdout);
        st = system("echo hi there");
        status_line("system(echo hi there)", st);
        return 0;
    }
    if (!strcmp(mode, "popen")) {
        fflush(stdout);
        FILE *f = popen("echo hi", "r");
        if (!f) { printf("popen=NULL errno=%d\n", errno); return 1; }
        char buf[64];
        size_t got = 0;
        for (int i = 0; i < 100 && got < sizeof buf - 1; i++) {
            size_t n = fread(buf + got, 1, sizeof buf - 1 - got, f);
            if (n == 0) break;
            got += n;
        }
        buf[got] = 0;
        printf("popen read %d bytes: %s", (int)got, got ? buf : "\n");
        int st = pclose(f);
        status_line("pclose", st);
        return 0;
    }
    printf("unknown mode %s\n", mode);
    return 9;
}
