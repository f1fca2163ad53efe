/* Nonblocking connect over loopback (needs --net): connect() answers EINPROGRESS, poll()
 * reports the socket writable once connected, a second connect() says EISCONN and data
 * flows; to a port nobody listens on, the failure shows as POLLERR/POLLHUP readiness and
 * the second connect() reports ECONNREFUSED. Prints what it saw. */
#include "t.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static int nonblocking_socket(void) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(c >= 0);
    CHECK(fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK) == 0);
    return c;
}

static const char *name(int e) {
    switch (e) {
    case 0: return "0";
    case EINPROGRESS: return "EINPROGRESS";
    case EALREADY: return "EALREADY";
    case EISCONN: return "EISCONN";
    case ECONNREFUSED: return "ECONNREFUSED";
    default: return strerror(e);
    }
}

static int try_connect(int c, struct sockaddr_in *a) {
    errno = 0;
    return connect(c, (struct sockaddr *)a, sizeof *a) == 0 ? 0 : errno;
}

int main(void) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(ls >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(ls, 4) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(ls, (struct sockaddr *)&a, &len) == 0);

    int c = nonblocking_socket();
    printf("connect: %s\n", name(try_connect(c, &a)));
    struct pollfd p = {.fd = c, .events = POLLOUT};
    int n = poll(&p, 1, 10000);
    printf("poll: %d out=%d err=%d\n", n, !!(p.revents & POLLOUT),
           !!(p.revents & (POLLERR | POLLHUP)));
    printf("again: %s\n", name(try_connect(c, &a)));
    int s = accept(ls, NULL, NULL);
    CHECK(s >= 0);
    CHECK(send(c, "nb", 2, 0) == 2);
    char buf[8] = {0};
    CHECK(recv(s, buf, sizeof buf, 0) == 2);
    printf("data: %s\n", buf);
    close(s);
    close(c);

    /* A port nobody listens on: the listener's, once closed. */
    close(ls);
    c = nonblocking_socket();
    printf("refused connect: %s\n", name(try_connect(c, &a)));
    p = (struct pollfd){.fd = c, .events = POLLOUT};
    n = poll(&p, 1, 10000);
    printf("refused poll: %d\n", n);
    printf("refused again: %s\n", name(try_connect(c, &a)));
    close(c);
    return DONE();
}
