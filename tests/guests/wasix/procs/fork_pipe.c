/* A pipe from child to parent: the child writes "hello" and exits 0; the parent closes its
 * write end and reads to EOF (bounded), then waits. Exits 0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int p[2];
    if (pipe(p) != 0) { printf("pipe failed errno=%d\n", errno); return 1; }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { printf("fork=-1 errno=%d\n", errno); return 2; }
    if (pid == 0) {
        close(p[0]);
        ssize_t w = write(p[1], "hello", 5);
        close(p[1]);
        _exit(w == 5 ? 0 : 3);
    }
    close(p[1]);
    char buf[64];
    size_t got = 0;
    int reads = 0, eof = 0;
    for (int i = 0; i < 100 && got < sizeof buf - 1; i++) {
        ssize_t n = read(p[0], buf + got, sizeof buf - 1 - got);
        if (n < 0) { printf("read=-1 errno=%d\n", errno); break; }
        if (n == 0) { eof = 1; break; }
        got += (size_t)n;
        reads++;
    }
    buf[got] = 0;
    printf("read: %s (%d bytes) eof=%d\n", buf, (int)got, eof);
    int st = -1;
    pid_t w = waitpid(pid, &st, 0);
    printf("waitpid==fork: %d WIFEXITED=%d WEXITSTATUS=%d\n", w == pid, WIFEXITED(st),
           WEXITSTATUS(st));
    return 0;
}
