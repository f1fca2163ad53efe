/* sock_echo_server: a single-threaded TCP echo server for the cross-module and load tests.
 *
 * usage: sock_echo_server PORT MAXCONN [poll|epoll] [IDLE_MS]
 *   PORT 0 binds an ephemeral port (learned through sock_addr_local). Prints
 *   `listening: <port>` once ready, echoes every byte back on every connection, closes a
 *   connection after its peer shuts down writing and everything was echoed, and exits 0
 *   after MAXCONN connections completed (`served: N`, `bytes: B`). Exits 3 if nothing
 *   happens for IDLE_MS (default 20000) so a broken test cannot hang it.
 * The readiness loop uses epoll (default) or poll_oneoff with one subscription per fd. */
#include "check.h"
#include "wasix.h"

#define MAXC 512
#define CAP 65536
#define MS 1000000ull

struct conn {
    uint32_t fd;
    int used, eof;
    size_t len, off; /* pending echo bytes: buf[off..len] */
    uint8_t *buf;
};
static struct conn conns[MAXC];

int main(int argc, char **argv) {
    uint16_t port = (uint16_t)wx_arg_port(argc, argv, 1);
    int maxconn = argc > 2 ? atoi(argv[2]) : 1;
    int use_epoll = !(argc > 3 && strcmp(argv[3], "poll") == 0);
    uint64_t idle_ms = argc > 4 ? (uint64_t)atoll(argv[4]) : 20000;
    uint32_t L, ep = 0;
    uint16_t bound = 0;
    wx_err_t e = wx_tcp_listen4(port, &L, &bound);
    if (e) {
        printf("listen: %s\n", wx_errno_name(e));
        return 2;
    }
    wx_fd_fdstat_set_flags(L, WX_FDFLAG_NONBLOCK);
    if (use_epoll) {
        if ((e = wx_epoll_create(&ep))) {
            printf("epoll_create: %s\n", wx_errno_name(e));
            return 2;
        }
        wx_epoll_event_t r = {WX_EPOLLIN, {0, L, 0, 0}};
        wx_epoll_ctl(ep, WX_EPOLL_CTL_ADD, L, &r);
    }
    printf("listening: %u\n", bound);
    fflush(stdout);

    int served = 0, active = 0;
    uint64_t bytes = 0, last = wx_now_ms();
    static __wasi_subscription_t subs[MAXC * 2 + 2];
    static __wasi_event_t evs[MAXC * 2 + 2];
    static wx_epoll_event_t eevs[64];
    while (served < maxconn) {
        if (wx_now_ms() - last > idle_ms) {
            printf("idle timeout: served %d, active %d\n", served, active);
            return 3;
        }
        /* wait */
        if (use_epoll) {
            uint32_t n = 0;
            wx_epoll_wait(ep, eevs, 64, 100 * MS, &n);
        } else {
            uint32_t k = 0;
            memset(subs, 0, sizeof subs);
            subs[k].u.tag = __WASI_EVENTTYPE_CLOCK;
            subs[k].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
            subs[k].u.u.clock.timeout = 100 * MS;
            k++;
            subs[k].u.tag = __WASI_EVENTTYPE_FD_READ;
            subs[k].u.u.fd_read.file_descriptor = L;
            k++;
            for (int i = 0; i < MAXC; i++) {
                if (!conns[i].used) continue;
                subs[k].userdata = i;
                subs[k].u.tag = conns[i].off < conns[i].len ? __WASI_EVENTTYPE_FD_WRITE : __WASI_EVENTTYPE_FD_READ;
                subs[k].u.u.fd_read.file_descriptor = conns[i].fd;
                k++;
            }
            uint32_t n = 0;
            wx_poll_oneoff(subs, evs, k, &n);
        }
        /* accept everything pending */
        for (;;) {
            uint32_t fd;
            wx_addr_port_t pa;
            if (wx_sock_accept_v2(L, WX_FDFLAG_NONBLOCK, &fd, &pa) != OK) break;
            int slot = -1;
            for (int i = 0; i < MAXC; i++)
                if (!conns[i].used) { slot = i; break; }
            if (slot < 0) { wx_fd_close(fd); continue; }
            struct conn *c = &conns[slot];
            if (!c->buf) c->buf = malloc(CAP);
            c->fd = fd; c->used = 1; c->eof = 0; c->len = c->off = 0;
            active++;
            last = wx_now_ms();
            if (use_epoll) {
                wx_epoll_event_t r = {WX_EPOLLIN | WX_EPOLLOUT | WX_EPOLLRDHUP, {0, fd, (uint32_t)slot, 0}};
                wx_epoll_ctl(ep, WX_EPOLL_CTL_ADD, fd, &r);
            }
        }
        /* service every connection without blocking (all fds are non-blocking) */
        for (int i = 0; i < MAXC; i++) {
            struct conn *c = &conns[i];
            if (!c->used) continue;
            for (int rounds = 0; rounds < 8; rounds++) {
                int progress = 0;
                if (c->off < c->len) {
                    __wasi_ciovec_t cv = {c->buf + c->off, c->len - c->off};
                    uint32_t w = 0;
                    e = wx_sock_send(c->fd, &cv, 1, 0, &w);
                    if (e == OK && w > 0) { c->off += w; bytes += w; progress = 1; }
                    else if (e != OK && e != WX_EAGAIN) { c->eof = 1; c->off = c->len; }
                    if (c->off == c->len) c->off = c->len = 0;
                }
                if (!c->eof && c->len < CAP) {
                    __wasi_iovec_t iv = {c->buf + c->len, CAP - c->len};
                    uint32_t r = 0;
                    uint16_t ro;
                    e = wx_sock_recv(c->fd, &iv, 1, 0, &r, &ro);
                    if (e == OK && r == 0) { c->eof = 1; progress = 1; }
                    else if (e == OK) { c->len += r; progress = 1; }
                    else if (e != WX_EAGAIN) { c->eof = 1; c->off = c->len = 0; }
                }
                if (progress) last = wx_now_ms();
                if (!progress) break;
            }
            if (c->eof && c->off == c->len) {
                if (use_epoll) wx_epoll_ctl(ep, WX_EPOLL_CTL_DEL, c->fd, NULL);
                wx_fd_close(c->fd);
                c->used = 0;
                active--;
                served++;
            }
        }
    }
    printf("served: %d\nbytes: %llu\n", served, (unsigned long long)bytes);
    return 0;
}
