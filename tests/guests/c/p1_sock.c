/* p1_sock: the preview1 socket calls on things that are not sockets.
 *   regular file / preopened directory / stdout  → notsock
 *   an fd that is not open                       → badf
 * Creates /sandbox/sock.txt. */
#include "check.h"

static void on_fd(const char *what, __wasi_fd_t fd, __wasi_errno_t want) {
    char nm[64];
    __wasi_fd_t nfd = 12345;
    uint8_t buf[16];
    __wasi_iovec_t iv = {buf, sizeof buf};
    __wasi_ciovec_t cv = {(const uint8_t *)"data", 4};
    __wasi_size_t n = 777;
    __wasi_roflags_t ro = 0;

    snprintf(nm, sizeof nm, "sock_accept.%s", what);
    CHECK_ERRNO(nm, __wasi_sock_accept(fd, 0, &nfd), want);
    snprintf(nm, sizeof nm, "sock_accept.%s.no_fd", what);
    CHECK(nm, nfd == 12345);
    snprintf(nm, sizeof nm, "sock_recv.%s", what);
    CHECK_ERRNO(nm, __wasi_sock_recv(fd, &iv, 1, 0, &n, &ro), want);
    snprintf(nm, sizeof nm, "sock_recv.%s.peek", what);
    CHECK_ERRNO(nm, __wasi_sock_recv(fd, &iv, 1, __WASI_RIFLAGS_RECV_PEEK, &n, &ro), want);
    snprintf(nm, sizeof nm, "sock_send.%s", what);
    CHECK_ERRNO(nm, __wasi_sock_send(fd, &cv, 1, 0, &n), want);
    snprintf(nm, sizeof nm, "sock_shutdown.%s.rd", what);
    CHECK_ERRNO(nm, __wasi_sock_shutdown(fd, __WASI_SDFLAGS_RD), want);
    snprintf(nm, sizeof nm, "sock_shutdown.%s.rdwr", what);
    CHECK_ERRNO(nm, __wasi_sock_shutdown(fd, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR), want);
}

int main(void) {
    int dir = sandbox_fd();
    __wasi_fd_t f;
    CHECK_ERRNO("put_file.sock", put_file(dir, "sock.txt", "not a socket"), OK);
    CHECK_ERRNO("path_open.sock", open_at(dir, "sock.txt", 0, 0, &f), OK);
    on_fd("file", f, __WASI_ERRNO_NOTSOCK);
    on_fd("dir", (__wasi_fd_t)dir, __WASI_ERRNO_NOTSOCK);
    on_fd("stdout", 1, __WASI_ERRNO_NOTSOCK);
    on_fd("bad_fd", 999, __WASI_ERRNO_BADF);
    (void)__wasi_fd_close(f);
    on_fd("closed_fd", f, __WASI_ERRNO_BADF);
    /* The file is untouched by the failed sends. */
    char buf[32];
    CHECK_ERRNO("get_file.sock", get_file(dir, "sock.txt", buf, sizeof buf), OK);
    CHECK("sock.file_unchanged", strcmp(buf, "not a socket") == 0);
    return check_done();
}
