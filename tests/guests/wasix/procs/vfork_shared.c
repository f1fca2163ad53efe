/* vfork's child runs in its parent's memory until it exits (as on Linux): what it stores
 * before _exit is what the parent then reads. The parent also gets the child's pid and
 * its exit status. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int shared;

int main(void) {
    fflush(stdout);
    pid_t p = vfork();
    if (p < 0) { printf("vfork failed\n"); return 2; }
    if (p == 0) {
        shared = 42;
        _exit(5);
    }
    int st = -1;
    pid_t w = waitpid(p, &st, 0);
    printf("parent sees %d; waitpid==vfork: %d WEXITSTATUS=%d\n", shared, w == p, WEXITSTATUS(st));
    return 0;
}
