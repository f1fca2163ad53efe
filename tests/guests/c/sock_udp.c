/* sock_udp: UDP datagrams on loopback with explicit addresses.
 *
 * usage: sock_udp [4|6] [PORT_A PORT_B]   (absent / 0: ephemeral ports via sock_addr_local)
 * Checks: two UDP sockets bound on loopback, sock_send_to → sock_recv_from delivering the
 * payload and the sender's address (family, ip, port), datagram boundaries kept (two sends
 * → two receives), RECV_PEEK leaves the datagram queued, a short buffer truncates the
 * datagram (RECV_DATA_TRUNCATED in roflags where supported), non-blocking recv → again,
 * a connected UDP socket using plain sock_send / sock_recv, sock_addr_peer of an
 * unconnected UDP socket → notconn, fdstat filetype socket_dgram. Needs --net. */
#include "check.h"
#include "wasix.h"

#define MS 1000000ull

static wx_addr_port_t loop(int fam, uint16_t port) {
    return fam == 6 ? wx_ip6_loopback(port) : wx_ip4(127, 0, 0, 1, port);
}

static int is_loop(const wx_addr_port_t *a, int fam) {
    if (fam == 4) return wx_is_ip4(a, 127, 0, 0, 1);
    if (a->tag != WX_AF_INET6) return 0;
    for (int i = 0; i < 7; i++)
        if (a->u.ip6.addr.seg[i]) return 0;
    return a->u.ip6.addr.seg[7] == 1;
}

static wx_err_t recv_from(uint32_t fd, void *buf, size_t cap, uint32_t flags, uint32_t *n, uint16_t *ro, wx_addr_port_t *from) {
    __wasi_iovec_t iv = {(uint8_t *)buf, cap};
    for (int tries = 0; tries < 50; tries++) {
        wx_err_t e = wx_sock_recv_from(fd, &iv, 1, flags, n, ro, from);
        if (e != WX_EAGAIN) return e;
        wx_wait_fd(fd, 0, 100 * MS);
    }
    return WX_ETIMEDOUT;
}

int main(int argc, char **argv) {
    int fam = argc > 1 && strcmp(argv[1], "6") == 0 ? 6 : 4;
    uint16_t pa_want = (uint16_t)wx_arg_port(argc, argv, 2), pb_want = (uint16_t)wx_arg_port(argc, argv, 3);
    uint32_t af = fam == 6 ? WX_AF_INET6 : WX_AF_INET4;
    uint32_t A, B;
    REQUIRE("udp.open_a", CHECK_ERRNO("udp.open_a", wx_sock_open(af, WX_SOCK_DGRAM, WX_PROTO_UDP, &A), OK) == OK);
    REQUIRE("udp.open_b", CHECK_ERRNO("udp.open_b", wx_sock_open(af, WX_SOCK_DGRAM, WX_PROTO_UDP, &B), OK) == OK);
    __wasi_fdstat_t fs;
    memset(&fs, 0, sizeof fs);
    wx_fd_fdstat_get(A, &fs);
    CHECK_SHOW("udp.filetype", fs.fs_filetype == __WASI_FILETYPE_SOCKET_DGRAM, "%s", filetype_name(fs.fs_filetype));
    wx_addr_port_t a_addr = loop(fam, pa_want), b_addr = loop(fam, pb_want);
    REQUIRE("udp.bind_a", CHECK_ERRNO("udp.bind_a", wx_sock_bind(A, &a_addr), OK) == OK);
    REQUIRE("udp.bind_b", CHECK_ERRNO("udp.bind_b", wx_sock_bind(B, &b_addr), OK) == OK);
    wx_addr_port_t la, lb;
    CHECK_ERRNO("udp.addr_local_a", wx_sock_addr_local(A, &la), OK);
    CHECK_ERRNO("udp.addr_local_b", wx_sock_addr_local(B, &lb), OK);
    CHECK("udp.addr_local_a.loopback", is_loop(&la, fam));
    uint16_t pa = pa_want ? pa_want : wx_port(&la), pb = pb_want ? pb_want : wx_port(&lb);
    CHECK("udp.addr_local_a.port", wx_port(&la) == pa && pa != 0);
    CHECK("udp.addr_local_b.port", wx_port(&lb) == pb && pb != 0);
    uint8_t st = 0xee;
    CHECK_SHOW("udp.status", wx_sock_status(A, &st) == OK && st == WX_SOCK_STATUS_OPENED, "opened");
    wx_addr_port_t tmp;
    CHECK_ERRNO("udp.addr_peer_unconnected", wx_sock_addr_peer(A, &tmp), __WASI_ERRNO_NOTCONN);

    CHECK_ERRNO("udp.nonblock", wx_fd_fdstat_set_flags(B, WX_FDFLAG_NONBLOCK), OK);
    char buf[64];
    uint32_t n = 0;
    uint16_t ro = 0;
    __wasi_iovec_t iv = {(uint8_t *)buf, sizeof buf};
    CHECK_ERRNO("udp.recv_empty_again", wx_sock_recv_from(B, &iv, 1, 0, &n, &ro, &tmp), __WASI_ERRNO_AGAIN);

    /* A → B */
    wx_addr_port_t to_b = loop(fam, pb), to_a = loop(fam, pa);
    __wasi_ciovec_t g[2] = {{(const uint8_t *)"dgram-", 6}, {(const uint8_t *)"one", 3}};
    CHECK_SHOW("udp.send_to", wx_sock_send_to(A, g, 2, 0, &to_b, &n) == OK && n == 9, "9");
    __wasi_ciovec_t two = {(const uint8_t *)"two", 3};
    CHECK_SHOW("udp.send_to_second", wx_sock_send_to(A, &two, 1, 0, &to_b, &n) == OK && n == 3, "3");

    wx_addr_port_t from;
    memset(buf, 0, sizeof buf);
    memset(&from, 0, sizeof from);
    CHECK_SHOW("udp.recv_peek", recv_from(B, buf, sizeof buf, WX_RECV_PEEK, &n, &ro, &from) == OK && n == 9 && memcmp(buf, "dgram-one", 9) == 0, "dgram-one");
    memset(buf, 0, sizeof buf);
    memset(&from, 0, sizeof from);
    CHECK_SHOW("udp.recv_from", recv_from(B, buf, sizeof buf, 0, &n, &ro, &from) == OK && n == 9 && memcmp(buf, "dgram-one", 9) == 0, "dgram-one");
    CHECK("udp.recv_from.addr", is_loop(&from, fam));
    CHECK("udp.recv_from.port", wx_port(&from) == pa);
    memset(buf, 0, sizeof buf);
    CHECK_SHOW("udp.boundaries", recv_from(B, buf, sizeof buf, 0, &n, &ro, &from) == OK && n == 3 && memcmp(buf, "two", 3) == 0, "two");

    /* B → A, reply to the address we got */
    __wasi_ciovec_t rep = {(const uint8_t *)"reply", 5};
    CHECK_SHOW("udp.reply", wx_sock_send_to(B, &rep, 1, 0, &to_a, &n) == OK && n == 5, "5");
    memset(buf, 0, sizeof buf);
    CHECK_SHOW("udp.reply.recv", recv_from(A, buf, sizeof buf, 0, &n, &ro, &from) == OK && n == 5 && memcmp(buf, "reply", 5) == 0, "reply");
    CHECK("udp.reply.from_port", wx_port(&from) == pb);

    /* truncation: a 20-byte datagram into 8 bytes */
    __wasi_ciovec_t longd = {(const uint8_t *)"0123456789abcdefghij", 20};
    wx_sock_send_to(A, &longd, 1, 0, &to_b, &n);
    memset(buf, 0, sizeof buf);
    ro = 0;
    wx_err_t e = recv_from(B, buf, 8, 0, &n, &ro, &from);
    CHECK_SHOW("udp.truncate", e == OK && n == 8 && memcmp(buf, "01234567", 8) == 0, "8 bytes");
    CHECK_SHOW("udp.truncate.roflags", (ro & __WASI_ROFLAGS_RECV_DATA_TRUNCATED) != 0, "data_truncated");
    CHECK_ERRNO("udp.truncate.rest_discarded", wx_sock_recv_from(B, &iv, 1, 0, &n, &ro, &tmp), __WASI_ERRNO_AGAIN);

    /* connected UDP */
    CHECK_ERRNO("udp.connect", wx_sock_connect(A, &to_b), OK);
    CHECK_ERRNO("udp.addr_peer_connected", wx_sock_addr_peer(A, &tmp), OK);
    CHECK("udp.addr_peer_connected.port", wx_port(&tmp) == pb);
    __wasi_ciovec_t c3 = {(const uint8_t *)"conn", 4};
    CHECK_SHOW("udp.send_connected", wx_sock_send(A, &c3, 1, 0, &n) == OK && n == 4, "4");
    memset(buf, 0, sizeof buf);
    for (int i = 0; i < 50; i++) {
        e = wx_sock_recv(B, &iv, 1, 0, &n, &ro);
        if (e != WX_EAGAIN) break;
        wx_wait_fd(B, 0, 100 * MS);
    }
    CHECK_SHOW("udp.recv_plain", e == OK && n == 4 && memcmp(buf, "conn", 4) == 0, "conn");

    CHECK_ERRNO("udp.close_a", wx_fd_close(A), OK);
    CHECK_ERRNO("udp.close_b", wx_fd_close(B), OK);
    WCHECK_ERRNO("udp.closed.send_to", wx_sock_send_to(A, &c3, 1, 0, &to_b, &n), WX_EBADF);
    WCHECK_ERRNO("udp.closed.recv_from", wx_sock_recv_from(B, &iv, 1, 0, &n, &ro, &tmp), WX_EBADF);
    return check_done();
}
