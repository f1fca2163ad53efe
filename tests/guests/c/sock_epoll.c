/* sock_epoll: epoll_create / epoll_ctl / epoll_wait over TCP sockets and a pipe.
 *
 * usage: sock_epoll [PORT]   (0 / absent: ephemeral port from sock_addr_local)
 * Checks: an idle wait times out with 0 events within a bounded time, EPOLLIN when data
 * arrives with the registered epoll_data (ptr, fd, data1, data2) handed back intact,
 * level-triggered re-reporting until drained, EPOLL_CTL_MOD to EPOLLOUT, a listener
 * reporting EPOLLIN for a pending connection, two ready fds in one wait (socket + pipe),
 * maxevents bounding the count, peer close → EPOLLIN plus RDHUP/HUP, and bad input: ADD
 * twice → exist, DEL / MOD of an unregistered fd → noent, bad fd → badf, bad op → inval,
 * maxevents 0 → inval, an out-of-bounds event pointer → memviolation, epoll_wait on a
 * non-epoll fd. Needs --net. */
#include "check.h"
#include "wasix.h"

#define MS 1000000ull

static uint32_t wait_n(uint32_t ep, wx_epoll_event_t *evs, uint32_t max, uint64_t timeout_ns, wx_err_t *err) {
    uint32_t n = 0xffff;
    *err = wx_epoll_wait(ep, evs, max, timeout_ns, &n);
    return *err == OK ? n : 0;
}

static int find_fd(const wx_epoll_event_t *evs, uint32_t n, uint32_t fd) {
    for (uint32_t i = 0; i < n; i++)
        if (evs[i].data.fd == fd) return (int)i;
    return -1;
}

int main(int argc, char **argv) {
    uint16_t want_port = (uint16_t)wx_arg_port(argc, argv, 1);
    uint32_t L, C, S, C2, S2, ep;
    uint16_t port;
    wx_addr_port_t pa;
    wx_err_t e;
    wx_epoll_event_t evs[8];

    REQUIRE("epoll.listen", CHECK_ERRNO("epoll.listen", wx_tcp_listen4(want_port, &L, &port), OK) == OK);
    REQUIRE("epoll.open_client", CHECK_ERRNO("epoll.open_client", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &C), OK) == OK);
    wx_addr_port_t dst = wx_ip4(127, 0, 0, 1, port);
    REQUIRE("epoll.connect", CHECK_ERRNO("epoll.connect", wx_sock_connect(C, &dst), OK) == OK);
    REQUIRE("epoll.accept", CHECK_ERRNO("epoll.accept", wx_sock_accept_v2(L, WX_FDFLAG_NONBLOCK, &S, &pa), OK) == OK);

    REQUIRE("epoll.create", CHECK_ERRNO("epoll.create", wx_epoll_create(&ep), OK) == OK);

    wx_epoll_event_t reg;
    memset(&reg, 0, sizeof reg);
    reg.events = WX_EPOLLIN;
    reg.data.ptr = 0x10203040u;
    reg.data.fd = S;
    reg.data.data1 = 0x1234u;
    reg.data.data2 = 0xdeadbeefcafe0001ull;
    CHECK_ERRNO("epoll.ctl_add", wx_epoll_ctl(ep, WX_EPOLL_CTL_ADD, S, &reg), OK);
    CHECK_ERRNO("epoll.ctl_add_twice", wx_epoll_ctl(ep, WX_EPOLL_CTL_ADD, S, &reg), __WASI_ERRNO_EXIST);

    /* idle: times out, bounded */
    uint64_t t0 = wx_now_ms();
    uint32_t n = wait_n(ep, evs, 8, 50 * MS, &e);
    uint64_t dt = wx_now_ms() - t0;
    CHECK_SHOW("epoll.wait_idle", e == OK && n == 0, "0 events");
    CHECK_SHOW("epoll.wait_idle.duration", dt >= 40 && dt < 3000, "bounded");
    n = wait_n(ep, evs, 8, 0, &e);
    CHECK_SHOW("epoll.wait_zero_timeout", e == OK && n == 0, "0 events");

    /* data arrives */
    REQUIRE("epoll.send", wx_send_all(C, "ping", 4, 5000) == OK);
    memset(evs, 0, sizeof evs);
    n = wait_n(ep, evs, 8, 5000 * MS, &e);
    CHECK_SHOW("epoll.wait_in", e == OK && n == 1, "1 event");
    CHECK_SHOW("epoll.wait_in.events", (evs[0].events & WX_EPOLLIN) != 0, "in");
    CHECK("epoll.wait_in.data_fd", evs[0].data.fd == S);
    CHECK("epoll.wait_in.data_ptr", evs[0].data.ptr == 0x10203040u);
    CHECK("epoll.wait_in.data1", evs[0].data.data1 == 0x1234u);
    CHECK("epoll.wait_in.data2", evs[0].data.data2 == 0xdeadbeefcafe0001ull);
    /* level-triggered: still ready until read */
    n = wait_n(ep, evs, 8, 100 * MS, &e);
    CHECK_SHOW("epoll.level_triggered", e == OK && n == 1, "still ready");
    char buf[16];
    size_t got = 0;
    CHECK_SHOW("epoll.recv", wx_recv_all(S, buf, 4, &got, 5000) == OK && got == 4 && memcmp(buf, "ping", 4) == 0, "ping");
    n = wait_n(ep, evs, 8, 30 * MS, &e);
    CHECK_SHOW("epoll.drained", e == OK && n == 0, "0 events");

    /* MOD to EPOLLOUT */
    reg.events = WX_EPOLLOUT;
    reg.data.data1 = 0x5678u;
    CHECK_ERRNO("epoll.ctl_mod", wx_epoll_ctl(ep, WX_EPOLL_CTL_MOD, S, &reg), OK);
    memset(evs, 0, sizeof evs);
    n = wait_n(ep, evs, 8, 5000 * MS, &e);
    CHECK_SHOW("epoll.wait_out", e == OK && n == 1 && (evs[0].events & WX_EPOLLOUT) != 0, "out");
    CHECK("epoll.wait_out.data1", evs[0].data.data1 == 0x5678u);
    CHECK_ERRNO("epoll.ctl_del", wx_epoll_ctl(ep, WX_EPOLL_CTL_DEL, S, &reg), OK);
    CHECK_ERRNO("epoll.ctl_del_again", wx_epoll_ctl(ep, WX_EPOLL_CTL_DEL, S, &reg), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("epoll.ctl_mod_unregistered", wx_epoll_ctl(ep, WX_EPOLL_CTL_MOD, S, &reg), __WASI_ERRNO_NOENT);
    n = wait_n(ep, evs, 8, 30 * MS, &e);
    CHECK_SHOW("epoll.after_del", e == OK && n == 0, "0 events");

    /* a listener with a pending connection */
    memset(&reg, 0, sizeof reg);
    reg.events = WX_EPOLLIN;
    reg.data.fd = L;
    CHECK_ERRNO("epoll.ctl_add_listener", wx_epoll_ctl(ep, WX_EPOLL_CTL_ADD, L, &reg), OK);
    n = wait_n(ep, evs, 8, 30 * MS, &e);
    CHECK_SHOW("epoll.listener_idle", e == OK && n == 0, "0 events");
    REQUIRE("epoll.open_client2", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &C2) == OK);
    REQUIRE("epoll.connect2", wx_sock_connect(C2, &dst) == OK);
    memset(evs, 0, sizeof evs);
    n = wait_n(ep, evs, 8, 5000 * MS, &e);
    CHECK_SHOW("epoll.listener_ready", e == OK && n == 1 && evs[0].data.fd == L && (evs[0].events & WX_EPOLLIN), "in");
    CHECK_ERRNO("epoll.accept2", wx_sock_accept_v2(L, WX_FDFLAG_NONBLOCK, &S2, &pa), OK);
    CHECK_ERRNO("epoll.ctl_del_listener", wx_epoll_ctl(ep, WX_EPOLL_CTL_DEL, L, &reg), OK);

    /* two ready fds: a socket and a pipe; maxevents bounds the result */
    uint32_t pr = 0, pw = 0;
    if (CHECK_ERRNO("epoll.pipe", wx_fd_pipe(&pr, &pw), OK) == OK) {
        memset(&reg, 0, sizeof reg);
        reg.events = WX_EPOLLIN;
        reg.data.fd = pr;
        CHECK_ERRNO("epoll.ctl_add_pipe", wx_epoll_ctl(ep, WX_EPOLL_CTL_ADD, pr, &reg), OK);
        reg.data.fd = S2;
        CHECK_ERRNO("epoll.ctl_add_s2", wx_epoll_ctl(ep, WX_EPOLL_CTL_ADD, S2, &reg), OK);
        __wasi_ciovec_t cv = {(const uint8_t *)"p", 1};
        uint32_t w = 0;
        CHECK_ERRNO("epoll.pipe_write", wx_fd_write(pw, &cv, 1, &w), OK);
        REQUIRE("epoll.send2", wx_send_all(C2, "q", 1, 5000) == OK);
        /* wait until both are reported (they may arrive in separate wakeups) */
        int seen_pipe = 0, seen_sock = 0;
        uint64_t deadline = wx_now_ms() + 5000;
        while (!(seen_pipe && seen_sock) && wx_now_ms() < deadline) {
            n = wait_n(ep, evs, 8, 200 * MS, &e);
            if (find_fd(evs, n, pr) >= 0) seen_pipe = 1;
            if (find_fd(evs, n, S2) >= 0) seen_sock = 1;
        }
        CHECK_SHOW("epoll.two_ready", seen_pipe && seen_sock, "pipe+socket");
        n = wait_n(ep, evs, 2, 1000 * MS, &e);
        CHECK_SHOW("epoll.two_ready.together", e == OK && n == 2, "2 events");
        n = wait_n(ep, evs, 1, 1000 * MS, &e);
        CHECK_SHOW("epoll.maxevents_1", e == OK && n == 1, "1 event");
        CHECK_ERRNO("epoll.ctl_del_pipe", wx_epoll_ctl(ep, WX_EPOLL_CTL_DEL, pr, &reg), OK);
        CHECK_ERRNO("epoll.ctl_del_s2", wx_epoll_ctl(ep, WX_EPOLL_CTL_DEL, S2, &reg), OK);
        wx_fd_close(pr);
        wx_fd_close(pw);
    }

    /* peer close: EPOLLIN + RDHUP / HUP on the client */
    memset(&reg, 0, sizeof reg);
    reg.events = WX_EPOLLIN | WX_EPOLLRDHUP;
    reg.data.fd = C;
    CHECK_ERRNO("epoll.ctl_add_client", wx_epoll_ctl(ep, WX_EPOLL_CTL_ADD, C, &reg), OK);
    n = wait_n(ep, evs, 8, 30 * MS, &e);
    CHECK_SHOW("epoll.client_idle", e == OK && n == 0, "0 events");
    wx_fd_close(S);
    memset(evs, 0, sizeof evs);
    n = wait_n(ep, evs, 8, 5000 * MS, &e);
    if (!(e == OK && n == 1)) fprintf(stderr, "peer_closed: e=%d n=%u ev0=%#x fd=%u\n", e, n, evs[0].events, evs[0].data.fd);
    CHECK_SHOW("epoll.peer_closed", e == OK && n == 1 && evs[0].data.fd == C && (evs[0].events & WX_EPOLLIN), "in");
    CHECK_SHOW("epoll.peer_closed.hup", (evs[0].events & (WX_EPOLLRDHUP | WX_EPOLLHUP)) != 0, "rdhup/hup");

    /* bad input */
    memset(&reg, 0, sizeof reg);
    reg.events = WX_EPOLLIN;
    WCHECK_ERRNO("epoll.ctl_bad_fd", wx_epoll_ctl(ep, WX_EPOLL_CTL_ADD, 9999, &reg), WX_EBADF);
    WCHECK_ERRNO("epoll.ctl_bad_epfd", wx_epoll_ctl(9999, WX_EPOLL_CTL_ADD, C2, &reg), WX_EBADF);
    WCHECK_ERRNO("epoll.ctl_bad_op", wx_epoll_ctl(ep, 7, C2, &reg), WX_EINVAL);
    WCHECK_ERRNO("epoll.ctl_oob_event", wx_epoll_ctl(ep, WX_EPOLL_CTL_ADD, C2, (const wx_epoll_event_t *)0xFFFFFFF0u), WX_EMEMVIOLATION);
    uint32_t cnt = 0;
    WCHECK_ERRNO("epoll.wait_maxevents_0", wx_epoll_wait(ep, evs, 0, 0, &cnt), WX_EINVAL);
    WCHECK_ERRNO("epoll.wait_bad_epfd", wx_epoll_wait(9999, evs, 8, 0, &cnt), WX_EBADF);
    WCHECK_ERRNO2("epoll.wait_not_epoll", wx_epoll_wait(C2, evs, 8, 0, &cnt), WX_EINVAL, WX_EBADF);
    /* C still has its readiness (EOF) registered, so the wait has something to write */
    WCHECK_ERRNO("epoll.wait_oob_events", wx_epoll_wait(ep, (wx_epoll_event_t *)0xFFFFFFF0u, 8, 100 * MS, &cnt), WX_EMEMVIOLATION);
    WCHECK_ERRNO("epoll.create_oob", wx_epoll_create((uint32_t *)0xFFFFFFFFu), WX_EMEMVIOLATION);

    CHECK_ERRNO("epoll.close", wx_fd_close(ep), OK);
    WCHECK_ERRNO("epoll.wait_closed", wx_epoll_wait(ep, evs, 8, 0, &cnt), WX_EBADF);
    wx_fd_close(C);
    wx_fd_close(C2);
    wx_fd_close(S2);
    wx_fd_close(L);
    return check_done();
}
