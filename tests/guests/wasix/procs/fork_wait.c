/* fork, the child ends with _exit(7), the parent waits for it. The child sends its
 * getpid() and getppid() through a pipe so the parent can compare them with fork's
 * return value and its own getpid() (pids differ between engines; the comparisons
 * do not). Exits 0. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>

int main(void) {
    int p[2];
    if (pipe(p) != 0) { printf("pipe failed errno=%d\n", errno); return 1; }
    pid_t me = getpid();
    printf("before fork\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { printf("fork=-1 errno=%d\n", errno); return 2; }
    if (pid == 0) {
        int ids[2] = {getpid(), getppid()};
        write(p[1], ids, sizeof ids);
        printf("in child\n");
        fflush(stdout);
        _exit(7);
    }
    close(p[1]);
    int st = -1;
    pid_t w = waitpid(pid, &st, 0);
    int ids[2] = {-1, -1};
    ssize_t n = read(p[0], ids, sizeof ids);
    printf("waitpid==fork: %d\n", w == pid);
    printf("WIFEXITED=%d WEXITSTATUS=%d\n", WIFEXITED(st), WEXITSTATUS(st));
    printf("read=%d\n", (int)n);
    printf("child getpid==fork: %d\n", ids[0] == pid);
    printf("child getppid==parent getpid: %d\n", ids[1] == me);
    printf("parent getpid unchanged: %d\n", getpid() == me);
    return 0;
}
