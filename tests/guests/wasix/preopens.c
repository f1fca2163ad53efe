/* Prints the preopened directories (fd and name) and the working directory: the layout a
 * WASIX program starts with. */
#include <stdio.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0) continue;
        char name[256] = {0};
        size_t n = ps.u.dir.pr_name_len < sizeof name - 1 ? ps.u.dir.pr_name_len : sizeof name - 1;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)name, n) != 0) continue;
        printf("preopen %u %s\n", fd, name);
    }
    char cwd[256];
    printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
    return 0;
}
