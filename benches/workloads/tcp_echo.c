/* tcp_echo: SIZE one-byte round trips over a loopback TCP connection (default 100,000),
 * client and server in one thread. argv[2] is a free port. Natively POSIX sockets; on
 * WASI the WASIX socket imports with the witx address layout. */
#include "common.h"
#include <stdint.h>

#ifdef __wasi__
#define WX(n) __attribute__((import_module("wasix_32v1"), import_name(#n)))
typedef struct { const uint8_t *buf; uint32_t len; } iov_t;
WX(sock_open) int32_t wx_open(int32_t af, int32_t ty, int32_t proto, uint32_t *fd);
WX(sock_bind) int32_t wx_bind(uint32_t fd, const uint8_t *addr);
WX(sock_listen) int32_t wx_listen(uint32_t fd, uint32_t backlog);
WX(sock_connect) int32_t wx_connect(uint32_t fd, const uint8_t *addr);
WX(sock_accept_v2) int32_t wx_accept(uint32_t fd, uint32_t flags, uint32_t *nfd, uint8_t *addr);
WX(sock_set_opt_flag) int32_t wx_flag(uint32_t fd, uint32_t opt, uint32_t on);
WX(sock_send) int32_t wx_send(uint32_t fd, const iov_t *iov, uint32_t n, uint32_t fl, uint32_t *sent);
WX(sock_recv) int32_t wx_recv(uint32_t fd, const iov_t *iov, uint32_t n, uint32_t fl, uint32_t *got, uint16_t *ro);

static uint8_t addr[110];
static int open_tcp(void) {
    uint32_t fd;
    if (wx_open(1, 1, 0, &fd)) die("sock_open");
    wx_flag(fd, 3 /* no_delay */, 1);
    return (int)fd;
}
static void xfer(int fd, int send) {
    char b = 'x';
    iov_t v = {(const uint8_t *)&b, 1};
    uint32_t n = 0;
    uint16_t ro;
    int32_t e = send ? wx_send(fd, &v, 1, 0, &n) : wx_recv(fd, &v, 1, 0, &n, &ro);
    if (e || n != 1) die(send ? "send" : "recv");
}
int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 100000);
    int port = atoi(arg_dir(argc, argv));
    addr[0] = 1; /* inet4: port (LE) at 2, 127.0.0.1 at 4 */
    addr[2] = port & 0xff; addr[3] = port >> 8;
    addr[4] = 127; addr[7] = 1;
    int srv = open_tcp(), cli = open_tcp();
    if (wx_bind(srv, addr) || wx_listen(srv, 4)) die("listen");
    if (wx_connect(cli, addr)) die("connect");
    uint32_t conn; uint8_t peer[110];
    if (wx_accept(srv, 0, &conn, peer)) die("accept");
    wx_flag(conn, 3, 1);
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
static int open_tcp(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    if (fd < 0) die("socket");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return fd;
}
static void xfer(int fd, int send_) {
    char b = 'x';
    if ((send_ ? send(fd, &b, 1, 0) : recv(fd, &b, 1, 0)) != 1) die(send_ ? "send" : "recv");
}
int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 100000);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(arg_dir(argc, argv)))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int srv = open_tcp(), cli = open_tcp(), on = 1;
    if (bind(srv, (struct sockaddr *)&a, sizeof a) || listen(srv, 4)) die("listen");
    if (connect(cli, (struct sockaddr *)&a, sizeof a)) die("connect");
    int conn = accept(srv, NULL, NULL);
    if (conn < 0) die("accept");
    setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
#endif
    for (long i = 0; i < n; i++) {
        xfer(cli, 1);
        xfer(conn, 0);
        xfer(conn, 1);
        xfer(cli, 0);
    }
    return 0;
}
