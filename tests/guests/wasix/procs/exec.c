/* exec; argv[1] picks the case. $SELF is this program's guest path (the test maps its
 * directory into the guest), $SELF_NAME its file name in that directory.
 *   missing      execv of a missing file → "execv=-1 errno=N", then exits 30
 *   cloexec      an O_CLOEXEC fd keeps FD_CLOEXEC after a failed exec → exits 40
 *   cloexec_ok   a successful exec of self ("checkfd FD") closes the O_CLOEXEC fd
 *   self         execv of self with "child PID" → the new image exits 20
 *   fork_exec    fork, the child execs self, the parent waits and prints the status
 *   vfork_exec   the same with vfork
 *   execvp       execvp of $SELF_NAME with PATH=/nonexistent:<dir of SELF>
 *   text         execv of a text file → ENOEXEC, exits 50
 * The new image's modes:
 *   child PID    prints argc, argv[1] and whether getpid()==PID, exits 20
 *   checkfd FD   prints what fcntl(FD, F_GETFD) gives, exits 21 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *self(void) {
    const char *s = getenv("SELF");
    if (!s) { printf("SELF is not set\n"); exit(9); }
    return s;
}

static void print_status(const char *what, pid_t w, pid_t pid, int st) {
    printf("%s: waitpid==child: %d WIFEXITED=%d WEXITSTATUS=%d\n", what, w == pid,
           WIFEXITED(st), WEXITSTATUS(st));
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    char pidbuf[16];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
    if (!strcmp(mode, "child")) {
        int want = argc > 2 ? atoi(argv[2]) : -1;
        printf("child argc=%d argv1=%s pid-match=%d\n", argc, argv[1], getpid() == want);
        fflush(stdout);
        return 20;
    }
    if (!strcmp(mode, "checkfd")) {
        int fd = argc > 2 ? atoi(argv[2]) : -1;
        errno = 0;
        int r = fcntl(fd, F_GETFD);
        printf("new image: fcntl(F_GETFD)=%d errno=%d\n", r, r < 0 ? errno : 0);
        fflush(stdout);
        return 21;
    }
    if (!strcmp(mode, "missing")) {
        char *av[] = {"not-here.wasm", NULL};
        errno = 0;
        int r = execv("/app/not-here.wasm", av);
        printf("execv=%d errno=%d\n", r, errno);
        return 30;
    }
    if (!strcmp(mode, "cloexec") || !strcmp(mode, "cloexec_ok")) {
        int fd = open("/tmp/cloexec", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) { printf("open errno=%d\n", errno); return 1; }
        printf("before: FD_CLOEXEC=%d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
        fflush(stdout);
        if (!strcmp(mode, "cloexec")) {
            char *av[] = {"not-here.wasm", NULL};
            int r = execv("/app/not-here.wasm", av);
            printf("execv=%d errno=%d\n", r, errno);
            int f = fcntl(fd, F_GETFD);
            printf("after failed exec: fcntl=%s FD_CLOEXEC=%d\n", f < 0 ? "-1" : "ok",
                   f >= 0 && (f & FD_CLOEXEC) != 0);
            return 40;
        }
        char fdbuf[16];
        snprintf(fdbuf, sizeof fdbuf, "%d", fd);
        char *av[] = {(char *)self(), "checkfd", fdbuf, NULL};
        int r = execv(self(), av);
        printf("execv=%d errno=%d\n", r, errno);
        return 41;
    }
    if (!strcmp(mode, "self")) {
        char *av[] = {(char *)self(), "child", pidbuf, NULL};
        printf("exec self\n");
        fflush(stdout);
        int r = execv(self(), av);
        printf("execv=%d errno=%d\n", r, errno);
        return 1;
    }
    if (!strcmp(mode, "fork_exec") || !strcmp(mode, "vfork_exec")) {
        int v = !strcmp(mode, "vfork_exec");
        const char *path = self();
        fflush(stdout);
        pid_t pid = v ? vfork() : fork();
        if (pid < 0) { printf("%s=-1 errno=%d\n", v ? "vfork" : "fork", errno); return 2; }
        if (pid == 0) {
            char mine[16];
            snprintf(mine, sizeof mine, "%d", (int)getpid());
            char *av[] = {(char *)path, "child", mine, NULL};
            execv(path, av);
            _exit(99);
        }
        int st = -1;
        pid_t w = waitpid(pid, &st, 0);
        print_status(mode, w, pid, st);
        return 0;
    }
    if (!strcmp(mode, "execvp")) {
        const char *name = getenv("SELF_NAME");
        char dir[256];
        snprintf(dir, sizeof dir, "%s", self());
        char *slash = strrchr(dir, '/');
        if (!name || !slash) { printf("SELF_NAME/SELF unusable\n"); return 9; }
        *slash = 0;
        char path[300];
        snprintf(path, sizeof path, "/nonexistent:%s", dir);
        setenv("PATH", path, 1);
        char *av[] = {(char *)name, "child", pidbuf, NULL};
        printf("execvp %s\n", name);
        fflush(stdout);
        int r = execvp(name, av);
        printf("execvp=%d errno=%d\n", r, errno);
        return 1;
    }
    if (!strcmp(mode, "text")) {
        FILE *f = fopen("/tmp/script.txt", "w");
        if (!f) { printf("fopen errno=%d\n", errno); return 1; }
        fputs("this is not a program\n", f);
        fclose(f);
        char *av[] = {"script.txt", NULL};
        errno = 0;
        int r = execv("/tmp/script.txt", av);
        printf("execv=%d errno=%d\n", r, errno);
        return 50;
    }
    printf("unknown mode %s\n", mode);
    return 9;
}
