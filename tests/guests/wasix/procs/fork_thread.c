/* fork() from a pthread (not the main thread). Prints fork's result and errno; a child,
 * if there is one, exits 3 and the thread waits for it. Exits 0. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void *body(void *arg) {
    (void)arg;
    fflush(stdout);
    errno = 0;
    pid_t pid = fork();
    if (pid == 0) _exit(3);
    if (pid < 0) {
        printf("fork=-1 errno=%d\n", errno);
        return NULL;
    }
    int st = -1;
    pid_t w = waitpid(pid, &st, 0);
    printf("fork=child waitpid==child: %d WIFEXITED=%d WEXITSTATUS=%d\n", w == pid,
           WIFEXITED(st), WEXITSTATUS(st));
    return NULL;
}

int main(void) {
    pthread_t t;
    int e = pthread_create(&t, NULL, body, NULL);
    if (e) { printf("pthread_create=%d\n", e); return 1; }
    pthread_join(t, NULL);
    printf("joined\n");
    return 0;
}
