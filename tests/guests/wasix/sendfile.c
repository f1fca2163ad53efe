/* sendfile() on a nonblocking TCP socket whose peer reads slowly: each partial send reports
 * exactly what went out and every byte arrives once, in order. Then recv(MSG_WAITALL)
 * interrupted by a signal after part of the data: it returns that part (POSIX), and the
 * rest follows in the next recv (the sender then closes). Needs --net. */
#include "t.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#define TOTAL (32L << 20)

static unsigned char at(long i) { return (unsigned char)(i * 7 + i / 251); }

static void pair(int *c, int *s) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(ls, 4) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(ls, (struct sockaddr *)&a, &len) == 0);
    *c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(*c, (struct sockaddr *)&a, sizeof a) == 0);
    *s = accept(ls, NULL, NULL);
    CHECK(*s >= 0);
    close(ls);
}

static int peer;
static pthread_t main_thread;
static void on_usr1(int s) { (void)s; }
static void *send_half_then_signal(void *a) {
    (void)a;
    char buf[1000];
    memset(buf, 'w', sizeof buf);
    CHECK(send(peer, buf, sizeof buf, 0) == 1000);
    usleep(200000);
    pthread_kill(main_thread, SIGUSR1);
    usleep(100000);
    CHECK(send(peer, buf, sizeof buf, 0) == 1000);
    close(peer);
    return 0;
}

int main(void) {
    static unsigned char chunk[65536];
    int fd = open("/tmp/big", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    for (long i = 0; i < TOTAL; i += sizeof chunk) {
        for (long k = 0; k < (long)sizeof chunk; k++) chunk[k] = at(i + k);
        CHECK(write(fd, chunk, sizeof chunk) == (ssize_t)sizeof chunk);
    }
    int c, s;
    pair(&c, &s);
    CHECK(fcntl(c, F_SETFL, O_NONBLOCK) == 0);
    off_t off = 0;
    long received = 0, partial = 0, rounds = 0;
    int intact = 1;
    static unsigned char rbuf[65536];
    while ((off < TOTAL || received < TOTAL) && rounds++ < 1000000) {
        if (off < TOTAL) {
            off_t o = off;
            ssize_t n = sendfile(c, fd, &o, TOTAL - off);
            if (n > 0) {
                partial += n < TOTAL - off;
                off += n;
            } else if (!(n < 0 && errno == EAGAIN)) {
                CHECK(n > 0);
                break;
            }
        }
        ssize_t r = recv(s, rbuf, sizeof rbuf, MSG_DONTWAIT);
        for (ssize_t k = 0; k < r; k++) intact &= rbuf[k] == at(received + k);
        if (r > 0) received += r;
    }
    printf("sent=%ld received=%ld intact=%d partial=%d\n", (long)off, received, intact,
           partial > 0);
    close(c);
    close(s);

    /* recv(MSG_WAITALL) of 2000 bytes: 1000 arrive, a signal interrupts, 1000 follow. */
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1; /* no SA_RESTART */
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    pair(&peer, &s);
    main_thread = pthread_self();
    pthread_t t;
    CHECK(pthread_create(&t, 0, send_half_then_signal, 0) == 0);
    char got[2000];
    ssize_t first = recv(s, got, sizeof got, MSG_WAITALL);
    ssize_t second = recv(s, got, first > 0 ? sizeof got - first : sizeof got, MSG_WAITALL);
    CHECK(pthread_join(t, 0) == 0);
    printf("waitall interrupted: first=%ld second=%ld\n", (long)first, (long)second);
    return DONE();
}
