/* Fork until fork() fails, at most 20 times (argv[1] lowers that bound). Each child closes its copy of the write end
 * and blocks reading the pipe until the parent closes it, then exits 0. The parent reports
 * how many forks succeeded and the errno of the first failure, then reaps them all.
 * Exits 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int max = argc > 1 ? atoi(argv[1]) : 20;
    if (max < 0 || max > 20) max = 20;
    int p[2];
    if (pipe(p) != 0) { printf("pipe errno=%d\n", errno); return 1; }
    pid_t kids[20];
    int n = 0, err = 0;
    for (int i = 0; i < max; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) { err = errno; break; }
        if (pid == 0) {
            close(p[1]);
            char c;
            ssize_t r = read(p[0], &c, 1);
            _exit(r == 0 ? 0 : 3);
        }
        kids[n++] = pid;
    }
    printf("forks=%d errno=%d\n", n, err);
    fflush(stdout);
    close(p[1]);
    printf("closed the write end\n");
    fflush(stdout);
    int reaped = 0, ok = 0;
    for (int i = 0; i < n; i++) {
        int st = -1;
        if (waitpid(kids[i], &st, 0) == kids[i]) {
            printf("reaped child %d: WIFEXITED=%d WEXITSTATUS=%d\n", i, WIFEXITED(st),
                   WEXITSTATUS(st));
            fflush(stdout);
            reaped++;
            ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
        }
    }
    printf("reaped=%d exited0=%d\n", reaped, ok);
    return 0;
}
