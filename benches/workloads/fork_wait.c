/* fork_wait: fork, the child _exits at once, the parent waits for it; SIZE times. Under
 * WASIX this needs an asyncified module: every fork unwinds and rewinds the stack and
 * copies the memory (mostly the 8 MiB stack region wasix-libc reserves). */
#include "common.h"
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 200);
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0) die("fork");
        if (p == 0) _exit(0);
        int st = 0;
        if (waitpid(p, &st, 0) != p) die("waitpid");
    }
    return 0;
}
