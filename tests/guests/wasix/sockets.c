/* TCP over loopback in one thread (needs --net), and a socketpair. */
#include "t.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(send(sv[0], "pair", 4, 0) == 4);
    char buf[32] = {0};
    CHECK(recv(sv[1], buf, sizeof buf, 0) == 4);
    printf("socketpair: %s\n", buf);
    close(sv[0]);
    close(sv[1]);

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(ls >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(ls, 4) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(ls, (struct sockaddr *)&a, &len) == 0);
    CHECK(ntohs(a.sin_port) != 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(c >= 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    int s = accept(ls, NULL, NULL);
    CHECK(s >= 0);
    CHECK(send(c, "over tcp", 8, 0) == 8);
    memset(buf, 0, sizeof buf);
    int got = 0;
    while (got < 8) {
        int r = recv(s, buf + got, sizeof buf - got, 0);
        CHECK(r > 0);
        if (r <= 0) break;
        got += r;
    }
    printf("tcp: %s\n", buf);
    close(c);
    CHECK(recv(s, buf, sizeof buf, 0) == 0);
    close(s);
    close(ls);
    return DONE();
}
