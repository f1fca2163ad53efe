/* sock_nonet: without --net, socket operations that need the network are refused with
 * acces or perm (either sock_open itself, or bind / connect / resolve afterwards), and the
 * calls that need no network (fd_pipe) keep working. */
#include "check.h"
#include "wasix.h"

int main(void) {
    uint32_t fd;
    wx_err_t e = wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &fd);
    if (e == OK) {
        pass("nonet.sock_open", "allowed");
        wx_addr_port_t a = wx_ip4(127, 0, 0, 1, 0);
        WCHECK_ERRNO2("nonet.bind", wx_sock_bind(fd, &a), WX_EACCES, WX_EPERM);
        wx_addr_port_t d = wx_ip4(127, 0, 0, 1, 9);
        WCHECK_ERRNO2("nonet.connect", wx_sock_connect(fd, &d), WX_EACCES, WX_EPERM);
        wx_fd_close(fd);
    } else {
        WCHECK_ERRNO2("nonet.sock_open", e, WX_EACCES, WX_EPERM);
    }
    e = wx_sock_open(WX_AF_INET4, WX_SOCK_DGRAM, WX_PROTO_UDP, &fd);
    if (e == OK) {
        __wasi_ciovec_t cv = {(const uint8_t *)"x", 1};
        uint32_t n;
        wx_addr_port_t d = wx_ip4(127, 0, 0, 1, 9);
        WCHECK_ERRNO2("nonet.udp_send_to", wx_sock_send_to(fd, &cv, 1, 0, &d, &n), WX_EACCES, WX_EPERM);
        wx_fd_close(fd);
    } else {
        WCHECK_ERRNO2("nonet.udp_open", e, WX_EACCES, WX_EPERM);
    }
    wx_addr_ip_t out[4];
    uint32_t n = 0;
    WCHECK_ERRNO2("nonet.resolve", wx_resolve("localhost", 9, 0, out, 4, &n), WX_EACCES, WX_EPERM);
    uint32_t a, b;
    CHECK_ERRNO("nonet.fd_pipe_still_works", wx_fd_pipe(&a, &b), OK);
    return check_done();
}
