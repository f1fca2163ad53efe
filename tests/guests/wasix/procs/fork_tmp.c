/* The child writes /tmp/x and exits 0; the parent reads it back after waiting. Exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    unlink("/tmp/x");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { printf("fork=-1 errno=%d\n", errno); return 2; }
    if (pid == 0) {
        int fd = open("/tmp/x", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) _exit(3);
        const char *s = "written by the child\n";
        ssize_t w = write(fd, s, strlen(s));
        close(fd);
        _exit(w == (ssize_t)strlen(s) ? 0 : 4);
    }
    int st = -1;
    pid_t w = waitpid(pid, &st, 0);
    printf("waitpid==fork: %d WIFEXITED=%d WEXITSTATUS=%d\n", w == pid, WIFEXITED(st),
           WEXITSTATUS(st));
    int fd = open("/tmp/x", O_RDONLY);
    if (fd < 0) { printf("open=-1 errno=%d\n", errno); return 1; }
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("read %d: %s", (int)n, buf);
    return 0;
}
