/* The legacy `proc_spawn` import (wasix-libc no longer calls it), called directly:
 * /bin/sh -c "echo from legacy" with stdin null, stdout piped, stderr inherited. Prints the
 * errno, which process_handles entries are set, what the child wrote into the pipe, and its
 * exit status. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct option_fd {
    uint8_t tag;
    uint32_t fd;
};
struct process_handles {
    uint32_t pid;
    struct option_fd in, out, err;
};

int32_t raw_proc_spawn(const char *name, size_t name_len, int32_t chroot, const char *args,
                       size_t args_len, const char *preopen, size_t preopen_len,
                       int32_t stdin_mode, int32_t stdout_mode, int32_t stderr_mode,
                       const char *wd, size_t wd_len, struct process_handles *out)
    __attribute__((import_module("wasix_32v1"), import_name("proc_spawn")));

int main(void) {
    const char *args = "sh\n-c\necho from legacy\n";
    struct process_handles h;
    memset(&h, 0xff, sizeof h);
    /* stdio_mode: 0 piped, 1 inherit, 2 null */
    int e = raw_proc_spawn("/bin/sh", 7, 0, args, strlen(args), "", 0, 2, 0, 1, "", 0, &h);
    printf("proc_spawn=%d stdin=%d stdout=%d stderr=%d\n", e, h.in.tag, h.out.tag, h.err.tag);
    if (e != 0) return 1;
    char buf[64] = {0};
    size_t got = 0;
    for (int i = 0; i < 100 && got < sizeof buf - 1; i++) {
        ssize_t n = read((int)h.out.fd, buf + got, sizeof buf - 1 - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    printf("child said: %s", buf);
    int st = -1;
    pid_t w = waitpid((pid_t)h.pid, &st, 0);
    printf("waitpid==pid: %d WEXITSTATUS=%d\n", w == (pid_t)h.pid, WEXITSTATUS(st));
    return 0;
}
