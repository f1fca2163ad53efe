/* fork + waitpid against the 2022 sysroot (6c2e047), whose waitpid calls the 2-argument
 * `proc_join(pid, exitcode*)` and stores the code in *status unchanged. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) { printf("fork failed\n"); return 2; }
    if (p == 0) _exit(7);
    int st = -1;
    pid_t w = waitpid(p, &st, 0);
    printf("waitpid==fork: %d raw status=%d\n", w == p, st);
    return 0;
}
