// fork of a dynamically linked program: the child has the side modules its parent loaded
// (at the same places, in its copy of memory) and loads more of its own.
#include <dlfcn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int shared_counter = 1;
const char *main_greeting = "g";
int main_twice(int x) { return 2 * x; }
int main(void) {
    void *a = dlopen("liba.so", RTLD_NOW);
    int (*add)(int (*)(int), int) = dlsym(a, "a_add");
    char buf[64];
    snprintf(buf, sizeof buf, "local %d", 42);
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) { perror("fork"); return 9; }
    if (p == 0) {
        printf("child: %s add=%d\n", buf, add(main_twice, 1));
        void *b = dlopen("libb.so", RTLD_NOW);
        printf("child b_sum=%d\n", ((int (*)(void))dlsym(b, "b_sum"))());
        return 3;
    }
    int st = 0;
    waitpid(p, &st, 0);
    printf("parent: %s add=%d child exit %d\n", buf, add(main_twice, 2), WEXITSTATUS(st));
    return 0;
}
