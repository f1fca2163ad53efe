/* setjmp/longjmp (stack_checkpoint/stack_restore under asyncify); argv[1] picks the case:
 *   frames  longjmp out of three nested calls: "1 2 3 back:42"
 *   loop    10000 iterations of setjmp then longjmp back to it
 *   fork    a setjmp before fork; the child longjmps to it, then exits 8
 *   unset   longjmp to a jmp_buf that setjmp never filled (undefined in C: reports how
 *           the engine ends the program)
 * Exits 0 unless said otherwise. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static jmp_buf env;

__attribute__((noinline)) static void f3(int v) {
    printf("3 ");
    longjmp(env, v);
}
__attribute__((noinline)) static void f2(int v) {
    printf("2 ");
    f3(v);
    printf("not reached 2\n");
}
__attribute__((noinline)) static void f1(int v) {
    printf("1 ");
    f2(v);
    printf("not reached 1\n");
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "frames")) {
        int r = setjmp(env);
        if (r == 0) {
            f1(42);
            printf("not reached main\n");
            return 1;
        }
        printf("back:%d\n", r);
        return 0;
    }
    if (!strcmp(mode, "loop")) {
        volatile long sum = 0;
        volatile int i;
        for (i = 0; i < 10000; i++) {
            int r = setjmp(env);
            if (r == 0) longjmp(env, i + 1);
            sum += r;
        }
        printf("loops=%d sum=%ld\n", i, (long)sum);
        return 0;
    }
    if (!strcmp(mode, "fork")) {
        volatile int forked = 0;
        int r = setjmp(env);
        if (r != 0) {
            printf("child back:%d forked=%d\n", r, forked);
            fflush(stdout);
            _exit(8);
        }
        forked = 1;
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) { printf("fork=-1 errno=%d\n", errno); return 2; }
        if (pid == 0) longjmp(env, 7);
        int st = -1;
        pid_t w = waitpid(pid, &st, 0);
        printf("parent: waitpid==child: %d WIFEXITED=%d WEXITSTATUS=%d\n", w == pid,
               WIFEXITED(st), WEXITSTATUS(st));
        return 0;
    }
    if (!strcmp(mode, "unset")) {
        jmp_buf b;
        memset(b, 0, sizeof b);
        printf("longjmp to an unset jmp_buf\n");
        fflush(stdout);
        longjmp(b, 1);
        printf("not reached\n");
        return 1;
    }
    printf("unknown mode %s\n", mode);
    return 9;
}
