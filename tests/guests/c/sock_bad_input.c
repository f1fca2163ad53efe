/* sock_bad_input: socket calls with bad arguments must fail with specific errnos and never
 * touch memory outside the guest's.
 * Checks: sock_open with a bad address family / socket type / protocol; bind / connect /
 * send_to with an address whose family tag is unknown (→ inval) or unix on an inet socket;
 * out-of-bounds address and result pointers (→ memviolation); iovec arrays that are out
 * of bounds or whose count overflows the address space (→ memviolation / overflow);
 * listen / accept on an unbound or non-listening socket; recv / send on an unconnected
 * stream socket (→ notconn); connect to a closed port (→ connrefused); bind to an address
 * in use (→ addrinuse) and to a non-local address (→ addrnotavail); socket calls on a
 * pipe / stdout (→ notsock) and on closed or never-open fds (→ badf); shutdown with bad
 * flags (→ inval). Needs --net.
 * usage: sock_bad_input [PORT]   (a free port used for the connrefused / addrinuse checks) */
#include "check.h"
#include "wasix.h"

#define OOB ((void *)0xFFFFFFF0u)

int main(int argc, char **argv) {
    uint16_t port = (uint16_t)wx_arg_port(argc, argv, 1);
    if (!port) port = 1; /* port 1 on loopback: nobody listens there */
    uint32_t fd = 0xdead, T, U;

    /* sock_open */
    WCHECK_ERRNO2("bad.open_family", wx_sock_open(9, WX_SOCK_STREAM, WX_PROTO_TCP, &fd), WX_EAFNOSUPPORT, WX_EINVAL);
    WCHECK_ERRNO2("bad.open_type", wx_sock_open(WX_AF_INET4, 9, WX_PROTO_TCP, &fd), WX_EINVAL, __WASI_ERRNO_PROTOTYPE);
    WCHECK_ERRNO2("bad.open_proto", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_UDP, &fd), __WASI_ERRNO_PROTONOSUPPORT, WX_EINVAL);
    WCHECK_ERRNO("bad.open_oob_ret", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, (uint32_t *)0xFFFFFFFEu), WX_EMEMVIOLATION);

    REQUIRE("bad.open_tcp", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &T) == OK);
    REQUIRE("bad.open_udp", wx_sock_open(WX_AF_INET4, WX_SOCK_DGRAM, WX_PROTO_UDP, &U) == OK);

    /* addresses */
    wx_addr_port_t a = wx_ip4(127, 0, 0, 1, 0);
    a.tag = 9;
    WCHECK_ERRNO("bad.bind_family_tag", wx_sock_bind(T, &a), WX_EINVAL);
    WCHECK_ERRNO("bad.connect_family_tag", wx_sock_connect(T, &a), WX_EINVAL);
    a.tag = 0xFF;
    WCHECK_ERRNO("bad.bind_family_tag_ff", wx_sock_bind(T, &a), WX_EINVAL);
    a.tag = WX_AF_UNSPEC;
    WCHECK_ERRNO2("bad.bind_unspec", wx_sock_bind(T, &a), WX_EINVAL, WX_EAFNOSUPPORT);
    WCHECK_ERRNO("bad.bind_oob", wx_sock_bind(T, (const wx_addr_port_t *)OOB), WX_EMEMVIOLATION);
    WCHECK_ERRNO("bad.connect_oob", wx_sock_connect(T, (const wx_addr_port_t *)OOB), WX_EMEMVIOLATION);
    /* the full 110-byte witx union must be in bounds, even for an ip4 address */
    WCHECK_ERRNO("bad.bind_straddles_end", wx_sock_bind(T, (const wx_addr_port_t *)(uintptr_t)(__builtin_wasm_memory_size(0) * 65536u - 20u)), WX_EMEMVIOLATION);

    __wasi_ciovec_t cv = {(const uint8_t *)"x", 1};
    uint32_t n = 0;
    wx_addr_port_t to = wx_ip4(127, 0, 0, 1, port);
    to.tag = 9;
    WCHECK_ERRNO("bad.send_to_family_tag", wx_sock_send_to(U, &cv, 1, 0, &to, &n), WX_EINVAL);
    WCHECK_ERRNO("bad.send_to_oob_addr", wx_sock_send_to(U, &cv, 1, 0, (const wx_addr_port_t *)OOB, &n), WX_EMEMVIOLATION);
    to.tag = WX_AF_INET4;
    WCHECK_ERRNO("bad.send_to_oob_iovs", wx_sock_send_to(U, (const __wasi_ciovec_t *)OOB, 4, 0, &to, &n), WX_EMEMVIOLATION);
    WCHECK_ERRNO2("bad.send_to_huge_iov_count", wx_sock_send_to(U, &cv, 0x20000000u, 0, &to, &n), WX_EMEMVIOLATION, WX_EOVERFLOW);
    __wasi_ciovec_t oobbuf = {(const uint8_t *)OOB, 64};
    WCHECK_ERRNO("bad.send_to_oob_buffer", wx_sock_send_to(U, &oobbuf, 1, 0, &to, &n), WX_EMEMVIOLATION);

    /* stream socket, not connected */
    uint8_t b[8];
    __wasi_iovec_t iv = {b, sizeof b};
    uint16_t ro;
    WCHECK_ERRNO("bad.recv_unconnected", wx_sock_recv(T, &iv, 1, 0, &n, &ro), WX_ENOTCONN);
    WCHECK_ERRNO2("bad.send_unconnected", wx_sock_send(T, &cv, 1, 0, &n), WX_ENOTCONN, WX_EPIPE);
    wx_addr_port_t pa;
    WCHECK_ERRNO2("bad.accept_unbound", wx_sock_accept_v2(T, 0, &fd, &pa), WX_EINVAL, WX_ENOTCONN);
    WCHECK_ERRNO2("bad.shutdown_unconnected", wx_sock_shutdown(T, WX_SHUT_RD), WX_ENOTCONN, WX_EINVAL);
    WCHECK_ERRNO("bad.shutdown_flags", wx_sock_shutdown(T, 0x80), WX_EINVAL);

    /* huge / out-of-bounds iovecs on recv (UDP bound, so there is a real socket) */
    wx_addr_port_t ub = wx_ip4(127, 0, 0, 1, 0);
    if (CHECK_ERRNO("bad.bind_udp", wx_sock_bind(U, &ub), OK) == OK) {
        wx_fd_fdstat_set_flags(U, WX_FDFLAG_NONBLOCK);
        WCHECK_ERRNO2("bad.recv_huge_iov_count", wx_sock_recv(U, &iv, 0x20000000u, 0, &n, &ro), WX_EMEMVIOLATION, WX_EOVERFLOW);
        WCHECK_ERRNO("bad.recv_oob_iovs", wx_sock_recv(U, (const __wasi_iovec_t *)OOB, 4, 0, &n, &ro), WX_EMEMVIOLATION);
        wx_addr_port_t from;
        WCHECK_ERRNO2("bad.recv_from_huge_iov_count", wx_sock_recv_from(U, &iv, 0xFFFFFFFFu, 0, &n, &ro, &from), WX_EMEMVIOLATION, WX_EOVERFLOW);
        wx_addr_port_t l;
        WCHECK_ERRNO("bad.addr_local_oob", wx_sock_addr_local(U, (wx_addr_port_t *)OOB), WX_EMEMVIOLATION);
        WCHECK_ERRNO("bad.addr_local_ok", wx_sock_addr_local(U, &l), OK);
    }

    /* connect to a port nobody listens on */
    uint32_t R;
    if (wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &R) == OK) {
        wx_addr_port_t d = wx_ip4(127, 0, 0, 1, port);
        WCHECK_ERRNO("bad.connect_refused", wx_sock_connect(R, &d), WX_ECONNREFUSED);
        wx_fd_close(R);
    }
    /* address in use / not local */
    uint32_t L1, L2;
    uint16_t lp;
    if (wx_tcp_listen4(port == 1 ? 0 : port, &L1, &lp) == OK) {
        if (wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &L2) == OK) {
            wx_addr_port_t d = wx_ip4(127, 0, 0, 1, lp);
            WCHECK_ERRNO("bad.bind_in_use", wx_sock_bind(L2, &d), WX_EADDRINUSE);
            wx_fd_close(L2);
        }
        wx_fd_close(L1);
    }
    if (wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &L2) == OK) {
        wx_addr_port_t d = wx_ip4(192, 0, 2, 1, 0); /* TEST-NET-1: not an address of this host */
        WCHECK_ERRNO("bad.bind_not_local", wx_sock_bind(L2, &d), WX_EADDRNOTAVAIL);
        wx_fd_close(L2);
    }

    /* not sockets / not open */
    uint32_t pr, pw;
    if (wx_fd_pipe(&pr, &pw) == OK) {
        WCHECK_ERRNO("bad.pipe.sock_status", wx_sock_status(pr, (uint8_t *)b), WX_ENOTSOCK);
        WCHECK_ERRNO("bad.pipe.sock_send", wx_sock_send(pw, &cv, 1, 0, &n), WX_ENOTSOCK);
        WCHECK_ERRNO("bad.pipe.sock_bind", wx_sock_bind(pr, &ub), WX_ENOTSOCK);
        wx_fd_close(pr);
        wx_fd_close(pw);
    }
    WCHECK_ERRNO("bad.stdout.sock_connect", wx_sock_connect(1, &ub), WX_ENOTSOCK);
    WCHECK_ERRNO("bad.stdout.sock_listen", wx_sock_listen(1, 4), WX_ENOTSOCK);
    WCHECK_ERRNO("bad.stdout.addr_local", wx_sock_addr_local(1, &pa), WX_ENOTSOCK);
    WCHECK_ERRNO("bad.never_open.bind", wx_sock_bind(4242, &ub), WX_EBADF);
    WCHECK_ERRNO("bad.never_open.listen", wx_sock_listen(4242, 4), WX_EBADF);
    WCHECK_ERRNO("bad.never_open.send_to", wx_sock_send_to(4242, &cv, 1, 0, &ub, &n), WX_EBADF);
    wx_fd_close(T);
    wx_fd_close(U);
    WCHECK_ERRNO("bad.closed.bind", wx_sock_bind(T, &ub), WX_EBADF);
    WCHECK_ERRNO("bad.closed.connect", wx_sock_connect(T, &ub), WX_EBADF);
    WCHECK_ERRNO("bad.closed.set_opt", wx_sock_set_opt_flag(U, WX_OPT_REUSE_ADDR, 1), WX_EBADF);
    WCHECK_ERRNO("bad.closed.recv_from", wx_sock_recv_from(U, &iv, 1, 0, &n, &ro, &pa), WX_EBADF);
    return check_done();
}
