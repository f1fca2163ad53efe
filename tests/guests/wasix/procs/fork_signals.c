/* Children and signals; argv[1] picks the case:
 *   sigchld    a SIGCHLD handler counts 3 children (each forked, exited and waited for in
 *              turn; the parent polls up to ~1 s per child for the handler to run)
 *   kill9      kill(child, SIGKILL) on a child blocked in read → WIFSIGNALED / WTERMSIG
 *   term_read  kill(child, SIGTERM) on a child blocked in read (no handler: libc's default)
 *   term_sleep kill(child, SIGTERM) on a child blocked in sleep
 *   wnohang    waitpid(child, WNOHANG) on a running child, then a blocking wait
 *   nochild    waitpid(-1) with no children, blocking and WNOHANG
 *   ppid       getppid() of the root
 *   kill_none  kill() of a pid that does not exist (wasix-libc returns the errno value)
 * Every case exits 0 once it has printed its lines (a fork failure exits 2). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int chld;
static void on_chld(int s) { chld += s == SIGCHLD; }

static void nap_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void status_line(const char *what, pid_t w, pid_t pid, int st) {
    printf("%s: waitpid==child: %d WIFEXITED=%d WEXITSTATUS=%d WIFSIGNALED=%d WTERMSIG=%d\n",
           what, w == pid, WIFEXITED(st), WEXITSTATUS(st), WIFSIGNALED(st),
           WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* A child that tells the parent it is about to block (one byte on `ready`), then blocks
 * in read() on `hold` (or in sleep) until the parent closes its end. It exits 5 on EOF. */
static pid_t blocked_child(int use_sleep, int hold[2]) {
    int ready[2];
    if (pipe(ready) != 0 || pipe(hold) != 0) { printf("pipe errno=%d\n", errno); exit(1); }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { printf("fork=-1 errno=%d\n", errno); exit(2); }
    if (pid == 0) {
        close(ready[0]);
        close(hold[1]);
        write(ready[1], "r", 1);
        close(ready[1]);
        if (use_sleep) {
            sleep(30);
            _exit(6);
        }
        char c;
        ssize_t n = read(hold[0], &c, 1);
        _exit(n == 0 ? 5 : 4);
    }
    close(ready[1]);
    close(hold[0]);
    char c;
    read(ready[0], &c, 1); /* the child is running and about to block */
    close(ready[0]);
    nap_ms(50);
    return pid;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    int st = -1;
    if (!strcmp(mode, "sigchld")) {
        signal(SIGCHLD, on_chld);
        for (int i = 0; i < 3; i++) {
            fflush(stdout);
            pid_t pid = fork();
            if (pid < 0) { printf("fork=-1 errno=%d\n", errno); return 2; }
            if (pid == 0) _exit(i);
            pid_t w = waitpid(pid, &st, 0);
            for (int t = 0; t < 200 && chld < i + 1; t++) nap_ms(5);
            printf("child %d: waitpid==child: %d WEXITSTATUS=%d sigchld=%d\n", i, w == pid,
                   WEXITSTATUS(st), chld);
        }
        printf("sigchld count=%d\n", chld);
    } else if (!strcmp(mode, "kill9") || !strcmp(mode, "term_read") ||
               !strcmp(mode, "term_sleep")) {
        int hold[2];
        int sig = !strcmp(mode, "kill9") ? SIGKILL : SIGTERM;
        pid_t pid = blocked_child(!strcmp(mode, "term_sleep"), hold);
        int k = kill(pid, sig);
        printf("kill=%d\n", k);
        fflush(stdout);
        pid_t w = waitpid(pid, &st, 0);
        status_line(mode, w, pid, st);
        close(hold[1]);
    } else if (!strcmp(mode, "wnohang")) {
        int hold[2];
        pid_t pid = blocked_child(0, hold);
        st = -1;
        pid_t w = waitpid(pid, &st, WNOHANG);
        printf("wnohang: ret=%s status=%d\n", w == pid ? "child" : w == 0 ? "0" : "other", st);
        close(hold[1]);
        st = -1;
        errno = 0;
        w = waitpid(pid, &st, 0);
        printf("then blocking: ret=%s errno=%d\n", w == pid ? "child" : w == -1 ? "-1" : "other",
               errno);
        status_line("blocking", w, pid, st);
    } else if (!strcmp(mode, "nochild")) {
        errno = 0;
        pid_t w = waitpid(-1, &st, 0);
        printf("waitpid(-1)=%d errno=%d\n", (int)w, errno);
        errno = 0;
        w = waitpid(-1, &st, WNOHANG);
        printf("waitpid(-1, WNOHANG)=%d errno=%d\n", (int)w, errno);
        errno = 0;
        w = wait(&st);
        printf("wait=%d errno=%d\n", (int)w, errno);
    } else if (!strcmp(mode, "ppid")) {
        printf("getppid=%d getpid>0: %d\n", (int)getppid(), getpid() > 0);
    } else if (!strcmp(mode, "kill_none")) {
        errno = 0;
        int k = kill(99999, SIGTERM);
        printf("kill(99999)=%d errno=%d\n", k, errno);
        errno = 0;
        k = kill(getpid(), 0);
        printf("kill(self, 0)=%d errno=%d\n", k, errno);
    } else {
        printf("unknown mode %s\n", mode);
        return 9;
    }
    return 0;
}
