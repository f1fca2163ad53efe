/* Pipes, poll, eventfd and epoll in one thread. */
#include "t.h"
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    CHECK(poll(&pf, 1, 0) == 0);
    CHECK(write(p[1], "ping", 4) == 4);
    CHECK(poll(&pf, 1, 1000) == 1 && (pf.revents & POLLIN));
    char buf[16] = {0};
    CHECK(read(p[0], buf, sizeof buf) == 4);
    printf("pipe: %s\n", buf);
    int d = dup(p[1]);
    CHECK(d >= 0);
    CHECK(write(d, "dup", 3) == 3);
    close(d);
    memset(buf, 0, sizeof buf);
    CHECK(read(p[0], buf, sizeof buf) == 3);
    printf("dup: %s\n", buf);

    int ev = eventfd(2, 0);
    CHECK(ev >= 0);
    uint64_t v = 5;
    CHECK(write(ev, &v, 8) == 8);
    v = 0;
    CHECK(read(ev, &v, 8) == 8);
    printf("eventfd=%llu\n", (unsigned long long)v);

    int ep = epoll_create1(0);
    CHECK(ep >= 0);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 7};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) == 0);
    e.data.u64 = 9;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e) == 0);
    struct epoll_event out[4];
    CHECK(epoll_wait(ep, out, 4, 0) == 0);
    v = 1;
    CHECK(write(ev, &v, 8) == 8);
    int n = epoll_wait(ep, out, 4, 1000);
    CHECK(n == 1);
    printf("epoll ready=%d data=%llu\n", n, n > 0 ? (unsigned long long)out[0].data.u64 : 0ULL);
    CHECK(write(p[1], "x", 1) == 1);
    n = epoll_wait(ep, out, 4, 1000);
    printf("epoll ready=%d\n", n);
    close(ep);
    close(ev);
    close(p[1]);
    CHECK(read(p[0], buf, sizeof buf) == 1);
    CHECK(read(p[0], buf, sizeof buf) == 0); /* writer closed: EOF */
    close(p[0]);
    return DONE();
}
