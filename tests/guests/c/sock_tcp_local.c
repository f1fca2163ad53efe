/* sock_tcp_local: a TCP echo server and client inside one module, driven by non-blocking
 * sockets and poll_oneoff (no threads).
 *
 * usage: sock_tcp_local [4|6] [PORT]     (PORT 0 or absent: bind an ephemeral port and
 *                                         learn it from sock_addr_local)
 * Checks: sock_open / bind / listen / sock_status / sock_addr_local / sock_addr_peer,
 * fd_fdstat of a socket, non-blocking accept and recv → again, RECV_DONT_WAIT, poll_oneoff
 * read / write readiness and timeouts, RECV_PEEK, scatter/gather send and recv, a 256 KiB
 * echo round trip with every byte verified, shutdown(WR) → peer reads EOF while the other
 * direction still works, peer close → poll read-ready + EOF, send after shutdown, ops on
 * the closed fd → badf. Needs --net. */
#include "check.h"
#include "wasix.h"

#define BIG (256 * 1024)
static uint8_t out_buf[BIG], echo_buf[BIG], back_buf[BIG];

/* poll_oneoff on fd for `type` plus a relative clock; returns 1 and the event if the fd
 * fired, 0 on timeout, -1 on a poll error. */
static int poll_one(uint32_t fd, uint8_t type, uint64_t timeout_ns, __wasi_event_t *out) {
    __wasi_subscription_t s[2];
    __wasi_event_t ev[2];
    memset(s, 0, sizeof s);
    memset(ev, 0, sizeof ev);
    s[0].userdata = 0x1111;
    s[0].u.tag = type;
    s[0].u.u.fd_read.file_descriptor = fd;
    s[1].userdata = 0x2222;
    s[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    s[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s[1].u.u.clock.timeout = timeout_ns;
    uint32_t n = 0;
    if (wx_poll_oneoff(s, ev, 2, &n) != 0) return -1;
    for (uint32_t i = 0; i < n; i++)
        if (ev[i].userdata == 0x1111) {
            if (out) *out = ev[i];
            return 1;
        }
    return 0;
}

static int is_loopback(const wx_addr_port_t *a, int fam) {
    if (fam == 4) return wx_is_ip4(a, 127, 0, 0, 1);
    if (a->tag != WX_AF_INET6) return 0;
    for (int i = 0; i < 7; i++)
        if (a->u.ip6.addr.seg[i]) return 0;
    return a->u.ip6.addr.seg[7] == 1;
}

int main(int argc, char **argv) {
    int fam = argc > 1 && strcmp(argv[1], "6") == 0 ? 6 : 4;
    uint16_t want_port = (uint16_t)wx_arg_port(argc, argv, 2);
    uint32_t af = fam == 6 ? WX_AF_INET6 : WX_AF_INET4;
    wx_addr_port_t bind_addr = fam == 6 ? wx_ip6_loopback(want_port) : wx_ip4(127, 0, 0, 1, want_port);
    uint8_t st = 0xee;

    /* ---- listener ---- */
    uint32_t L = 0;
    REQUIRE("tcp.open_listener", CHECK_ERRNO("tcp.open_listener", wx_sock_open(af, WX_SOCK_STREAM, WX_PROTO_TCP, &L), OK) == OK);
    CHECK_SHOW("tcp.status_fresh", wx_sock_status(L, &st) == OK && st == WX_SOCK_STATUS_OPENING, "opening");
    __wasi_fdstat_t fs;
    memset(&fs, 0, sizeof fs);
    CHECK_ERRNO("tcp.fdstat_listener", wx_fd_fdstat_get(L, &fs), OK);
    CHECK_SHOW("tcp.fdstat_listener.filetype", fs.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM, "%s", filetype_name(fs.fs_filetype));
    (void)wx_sock_set_opt_flag(L, WX_OPT_REUSE_ADDR, 1);
    REQUIRE("tcp.bind", CHECK_ERRNO("tcp.bind", wx_sock_bind(L, &bind_addr), OK) == OK);
    REQUIRE("tcp.listen", CHECK_ERRNO("tcp.listen", wx_sock_listen(L, 16), OK) == OK);
    CHECK_SHOW("tcp.status_listening", wx_sock_status(L, &st) == OK && st == WX_SOCK_STATUS_OPENED, "opened");

    wx_addr_port_t la;
    memset(&la, 0xAB, sizeof la);
    CHECK_ERRNO("tcp.addr_local_listener", wx_sock_addr_local(L, &la), OK);
    CHECK("tcp.addr_local_listener.loopback", is_loopback(&la, fam));
    uint16_t port = want_port;
    if (want_port) {
        CHECK_SHOW("tcp.addr_local_listener.port", wx_port(&la) == want_port, "given port");
    } else {
        port = wx_port(&la);
        CHECK_SHOW("tcp.addr_local_listener.port", port != 0, "ephemeral");
    }
    /* The witx union is 110 bytes; the host writes only what the case needs, at most. */
    CHECK("tcp.addr_local_listener.tail_untouched", ((uint8_t *)&la)[109] == 0xAB || la.tag == WX_AF_UNIX);

    CHECK_ERRNO("tcp.listener_nonblock", wx_fd_fdstat_set_flags(L, WX_FDFLAG_NONBLOCK), OK);
    memset(&fs, 0, sizeof fs);
    wx_fd_fdstat_get(L, &fs);
    CHECK("tcp.listener_nonblock.fdstat", (fs.fs_flags & WX_FDFLAG_NONBLOCK) != 0);
    uint32_t S = 0xdead;
    wx_addr_port_t pa;
    CHECK_ERRNO("tcp.accept_nonblock_empty", wx_sock_accept_v2(L, WX_FDFLAG_NONBLOCK, &S, &pa), __WASI_ERRNO_AGAIN);
    CHECK_SHOW("tcp.poll_listener_idle", poll_one(L, __WASI_EVENTTYPE_FD_READ, 30 * 1000000ull, NULL) == 0, "timeout");

    /* ---- client ---- */
    uint32_t C = 0;
    REQUIRE("tcp.open_client", CHECK_ERRNO("tcp.open_client", wx_sock_open(af, WX_SOCK_STREAM, WX_PROTO_TCP, &C), OK) == OK);
    wx_addr_port_t dst = fam == 6 ? wx_ip6_loopback(port) : wx_ip4(127, 0, 0, 1, port);
    REQUIRE("tcp.connect", CHECK_ERRNO("tcp.connect", wx_sock_connect(C, &dst), OK) == OK);
    CHECK_SHOW("tcp.status_connected", wx_sock_status(C, &st) == OK && st == WX_SOCK_STATUS_OPENED, "opened");
    CHECK_ERRNO("tcp.connect_again", wx_sock_connect(C, &dst), __WASI_ERRNO_ISCONN);

    __wasi_event_t ev;
    CHECK_SHOW("tcp.poll_listener_ready", poll_one(L, __WASI_EVENTTYPE_FD_READ, 5000 * 1000000ull, &ev) == 1, "ready");
    memset(&pa, 0xAB, sizeof pa);
    REQUIRE("tcp.accept", CHECK_ERRNO("tcp.accept", wx_sock_accept_v2(L, WX_FDFLAG_NONBLOCK, &S, &pa), OK) == OK);
    CHECK("tcp.accept.peer_loopback", is_loopback(&pa, fam));
    memset(&fs, 0, sizeof fs);
    wx_fd_fdstat_get(S, &fs);
    CHECK("tcp.accept.nonblock_flag", (fs.fs_flags & WX_FDFLAG_NONBLOCK) != 0);
    CHECK_SHOW("tcp.accept.filetype", fs.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM, "%s", filetype_name(fs.fs_filetype));

    wx_addr_port_t cl, cp, sl, sp;
    CHECK_ERRNO("tcp.addr_local_client", wx_sock_addr_local(C, &cl), OK);
    CHECK_ERRNO("tcp.addr_peer_client", wx_sock_addr_peer(C, &cp), OK);
    CHECK_ERRNO("tcp.addr_local_server", wx_sock_addr_local(S, &sl), OK);
    CHECK_ERRNO("tcp.addr_peer_server", wx_sock_addr_peer(S, &sp), OK);
    CHECK("tcp.addr_peer_client.is_listener", is_loopback(&cp, fam) && wx_port(&cp) == port);
    CHECK("tcp.addr_local_server.port", is_loopback(&sl, fam) && wx_port(&sl) == port);
    CHECK("tcp.addr_peer_server.is_client", is_loopback(&sp, fam) && wx_port(&sp) == wx_port(&cl) && wx_port(&cl) != 0);
    CHECK("tcp.accept.addr_is_peer", wx_port(&pa) == wx_port(&cl));
    wx_addr_port_t tmp;
    CHECK_ERRNO("tcp.addr_peer_listener", wx_sock_addr_peer(L, &tmp), __WASI_ERRNO_NOTCONN);

    /* ---- readiness and would-block ---- */
    uint8_t small[64];
    __wasi_iovec_t iv = {small, sizeof small};
    uint32_t n = 0;
    uint16_t ro = 0;
    CHECK_ERRNO("tcp.recv_nonblock_empty", wx_sock_recv(S, &iv, 1, 0, &n, &ro), __WASI_ERRNO_AGAIN);
    CHECK_ERRNO("tcp.recv_dont_wait_empty", wx_sock_recv(C, &iv, 1, WX_RECV_DONT_WAIT, &n, &ro), __WASI_ERRNO_AGAIN);
    CHECK_SHOW("tcp.poll_write_ready", poll_one(S, __WASI_EVENTTYPE_FD_WRITE, 2000 * 1000000ull, &ev) == 1 && ev.error == 0, "ready");
    CHECK_SHOW("tcp.poll_write_ready.type", ev.type == __WASI_EVENTTYPE_FD_WRITE, "fd_write");
    CHECK_SHOW("tcp.poll_read_idle", poll_one(S, __WASI_EVENTTYPE_FD_READ, 30 * 1000000ull, NULL) == 0, "timeout");

    __wasi_ciovec_t cv = {(const uint8_t *)"hello", 5};
    CHECK_SHOW("tcp.send_hello", wx_sock_send(C, &cv, 1, 0, &n) == OK && n == 5, "5");
    memset(&ev, 0, sizeof ev);
    CHECK_SHOW("tcp.poll_read_ready", poll_one(S, __WASI_EVENTTYPE_FD_READ, 5000 * 1000000ull, &ev) == 1 && ev.error == 0, "ready");
    CHECK_SHOW("tcp.poll_read_ready.type", ev.type == __WASI_EVENTTYPE_FD_READ, "fd_read");
    CHECK_SHOW("tcp.poll_read_ready.nbytes", ev.fd_readwrite.nbytes >= 1, "nonzero");
    memset(small, 0, sizeof small);
    CHECK_SHOW("tcp.recv_peek", wx_sock_recv(S, &iv, 1, WX_RECV_PEEK, &n, &ro) == OK && n == 5 && memcmp(small, "hello", 5) == 0, "hello");
    memset(small, 0, sizeof small);
    CHECK_SHOW("tcp.recv_after_peek", wx_sock_recv(S, &iv, 1, 0, &n, &ro) == OK && n == 5 && memcmp(small, "hello", 5) == 0, "hello");
    CHECK_SHOW("tcp.recv_roflags", ro == 0, "0");

    /* scatter / gather */
    __wasi_ciovec_t g[3] = {{(const uint8_t *)"ab", 2}, {(const uint8_t *)"", 0}, {(const uint8_t *)"cdefg", 5}};
    CHECK_SHOW("tcp.send_gather", wx_sock_send(C, g, 3, 0, &n) == OK && n == 7, "7");
    uint8_t p1[3], p2[10];
    __wasi_iovec_t sc[2] = {{p1, 3}, {p2, 10}};
    size_t total = 0;
    uint64_t deadline = wx_now_ms() + 5000;
    char got[16] = {0};
    while (total < 7 && wx_now_ms() < deadline) {
        poll_one(S, __WASI_EVENTTYPE_FD_READ, 100 * 1000000ull, NULL);
        if (wx_sock_recv(S, sc, 2, 0, &n, &ro) != OK) continue;
        /* only the first read is checked for the split; the rest is appended */
        if (total == 0 && n >= 3) {
            memcpy(got, p1, 3);
            memcpy(got + 3, p2, n - 3);
        } else {
            memcpy(got + total, p1, n < 3 ? n : 3);
            if (n > 3) memcpy(got + total + 3, p2, n - 3);
        }
        total += n;
    }
    CHECK_SHOW("tcp.recv_scatter", total == 7 && memcmp(got, "abcdefg", 7) == 0, "abcdefg");

    /* ---- bulk echo: C sends BIG, S echoes, C verifies ---- */
    CHECK_ERRNO("tcp.client_nonblock", wx_fd_fdstat_set_flags(C, WX_FDFLAG_NONBLOCK), OK);
    for (size_t i = 0; i < BIG; i++) out_buf[i] = (uint8_t)(i * 7 + (i >> 9));
    size_t c_sent = 0, s_got = 0, s_sent = 0, c_got = 0;
    deadline = wx_now_ms() + 20000;
    int stuck = 0;
    while (c_got < BIG && wx_now_ms() < deadline) {
        int progress = 0;
        if (c_sent < BIG) {
            __wasi_ciovec_t o = {out_buf + c_sent, BIG - c_sent > 65536 ? 65536 : BIG - c_sent};
            if (wx_sock_send(C, &o, 1, 0, &n) == OK && n > 0) { c_sent += n; progress = 1; }
        }
        if (s_got < BIG) {
            __wasi_iovec_t i2 = {echo_buf + s_got, BIG - s_got};
            if (wx_sock_recv(S, &i2, 1, 0, &n, &ro) == OK && n > 0) { s_got += n; progress = 1; }
        }
        if (s_sent < s_got) {
            __wasi_ciovec_t o = {echo_buf + s_sent, s_got - s_sent};
            if (wx_sock_send(S, &o, 1, 0, &n) == OK && n > 0) { s_sent += n; progress = 1; }
        }
        if (c_got < s_sent) {
            __wasi_iovec_t i2 = {back_buf + c_got, BIG - c_got};
            if (wx_sock_recv(C, &i2, 1, 0, &n, &ro) == OK && n > 0) { c_got += n; progress = 1; }
        }
        if (!progress) {
            stuck++;
            /* wait for anything on either socket, bounded */
            __wasi_subscription_t s[3];
            __wasi_event_t evs[3];
            memset(s, 0, sizeof s);
            s[0].u.tag = __WASI_EVENTTYPE_FD_READ; s[0].u.u.fd_read.file_descriptor = S;
            s[1].u.tag = __WASI_EVENTTYPE_FD_READ; s[1].u.u.fd_read.file_descriptor = C;
            s[2].u.tag = __WASI_EVENTTYPE_CLOCK; s[2].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
            s[2].u.u.clock.timeout = 5 * 1000000ull;
            uint32_t k;
            wx_poll_oneoff(s, evs, 3, &k);
        }
    }
    CHECK_SHOW("tcp.echo_bulk.complete", c_sent == BIG && s_got == BIG && c_got == BIG, "%d bytes", BIG);
    CHECK("tcp.echo_bulk.verified", memcmp(back_buf, out_buf, BIG) == 0);

    /* ---- shutdown(WR) on the client: server sees EOF, reverse direction still works ---- */
    CHECK_ERRNO("tcp.shutdown_wr", wx_sock_shutdown(C, WX_SHUT_WR), OK);
    memset(&ev, 0, sizeof ev);
    CHECK_SHOW("tcp.poll_read_eof", poll_one(S, __WASI_EVENTTYPE_FD_READ, 5000 * 1000000ull, &ev) == 1, "ready");
    CHECK_SHOW("tcp.poll_read_eof.hangup_flag", (ev.fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP) != 0, "hangup");
    n = 99;
    wx_err_t e = wx_sock_recv(S, &iv, 1, 0, &n, &ro);
    CHECK_SHOW("tcp.recv_eof_after_shutdown", e == OK && n == 0, "eof");
    cv.buf = (const uint8_t *)"after";
    cv.buf_len = 5;
    WCHECK_ERRNO2("tcp.send_after_shutdown_wr", wx_sock_send(C, &cv, 1, 0, &n), __WASI_ERRNO_PIPE, WX_ESHUTDOWN);
    CHECK_SHOW("tcp.reverse_after_shutdown", wx_send_all(S, "bye", 3, 5000) == OK, "sent");
    size_t gotn = 0;
    memset(small, 0, sizeof small);
    CHECK_SHOW("tcp.reverse_after_shutdown.recv", wx_recv_all(C, small, 3, &gotn, 5000) == OK && gotn == 3 && memcmp(small, "bye", 3) == 0, "bye");

    /* ---- server closes: client gets read readiness and EOF ---- */
    CHECK_ERRNO("tcp.close_server_side", wx_fd_close(S), OK);
    memset(&ev, 0, sizeof ev);
    CHECK_SHOW("tcp.poll_hangup", poll_one(C, __WASI_EVENTTYPE_FD_READ, 5000 * 1000000ull, &ev) == 1, "ready");
    CHECK_SHOW("tcp.poll_hangup.flag", (ev.fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP) != 0, "hangup");
    n = 99;
    e = wx_sock_recv(C, &iv, 1, 0, &n, &ro);
    CHECK_SHOW("tcp.recv_eof_after_close", e == OK && n == 0, "eof");

    /* ---- closed fds ---- */
    CHECK_ERRNO("tcp.close_client", wx_fd_close(C), OK);
    CHECK_ERRNO("tcp.close_listener", wx_fd_close(L), OK);
    WCHECK_ERRNO("tcp.closed.sock_status", wx_sock_status(C, &st), WX_EBADF);
    WCHECK_ERRNO("tcp.closed.send", wx_sock_send(C, &cv, 1, 0, &n), WX_EBADF);
    WCHECK_ERRNO("tcp.closed.recv", wx_sock_recv(C, &iv, 1, 0, &n, &ro), WX_EBADF);
    WCHECK_ERRNO("tcp.closed.accept", wx_sock_accept_v2(L, 0, &S, &pa), WX_EBADF);
    WCHECK_ERRNO("tcp.closed.shutdown", wx_sock_shutdown(C, WX_SHUT_RD), WX_EBADF);
    WCHECK_ERRNO("tcp.closed.addr_local", wx_sock_addr_local(L, &la), WX_EBADF);
    WCHECK_ERRNO("tcp.closed.close_again", wx_fd_close(C), WX_EBADF);
    return check_done();
}
