/* Blocking calls that another thread interrupts. argv[1] picks the scenario:
 *   stdout     a worker calls exit(3) while main writes to a stdout pipe nobody reads
 *   waitall    MSG_WAITALL with MSG_DONTWAIT on a TCP socket holding 3 bytes of the 10
 *              asked for: returns the 3 without blocking, then EAGAIN
 *   read | poll | epoll | futex | accept
 *              a worker blocks in that call (read of an empty pipe, poll and epoll_wait on
 *              it without timeout, futex_wait, accept on a listening socket); main sends
 *              it SIGUSR1 (handler installed without SA_RESTART) and joins it; the worker
 *              prints what its call returned. Wherever the signal lands (before the call
 *              or during it) the call ends with EINTR: an interrupt of a thread ends its
 *              next wait. Whether the handler runs is not printed: wasix-libc's
 *              pthread_kill unregisters the process-wide handler around its thread_signal,
 *              and a target that reacts inside that window keeps the signal pending until
 *              it ends. */
#include "t.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *mode;
static int pfd[2];
static int lsock = -1;
static volatile int ready;
static int word;

__attribute__((import_module("wasix_32v1"), import_name("futex_wait"))) int
wasix_futex_wait(int *futex, unsigned expected, const void *timeout, unsigned char *woken);

static void on_usr1(int s) { (void)s; }

static const char *outcome(long r, int err) {
    if (r >= 0) return "ok";
    return err == EINTR ? "EINTR" : strerror(err);
}

static void *blocker(void *a) {
    (void)a;
    __atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
    long r;
    int err = 0;
    if (!strcmp(mode, "read")) {
        char c;
        r = read(pfd[0], &c, 1);
        err = errno;
    } else if (!strcmp(mode, "poll")) {
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        r = poll(&p, 1, -1);
        err = errno;
    } else if (!strcmp(mode, "epoll")) {
        int ep = epoll_create1(0);
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = 1};
        CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &e) == 0);
        struct epoll_event out[2];
        r = epoll_wait(ep, out, 2, -1);
        err = errno;
    } else if (!strcmp(mode, "futex")) {
        /* The import itself (the libc wrappers retry on EINTR): it returns the errno. */
        static struct {
            unsigned char tag; /* option<timestamp>: none */
            unsigned long long ns;
        } forever = {0, 0};
        unsigned char woken = 9;
        int e = wasix_futex_wait(&word, 0, &forever, &woken);
        r = e == 0 ? 0 : -1;
        err = e == 27 /* __WASI_ERRNO_INTR */ ? EINTR : e;
    } else {
        r = accept(lsock, 0, 0);
        err = errno;
    }
    printf("%s: %s\n", mode, outcome(r, err));
    return 0;
}

static void *exit_soon(void *a) {
    (void)a;
    usleep(200000);
    exit(3);
}

int main(int argc, char **argv) {
    mode = argc > 1 ? argv[1] : "read";
    setvbuf(stdout, 0, _IONBF, 0);
    if (!strcmp(mode, "stdout")) {
        pthread_t t;
        CHECK(pthread_create(&t, 0, exit_soon, 0) == 0);
        static char buf[65536];
        memset(buf, 'x', sizeof buf);
        for (;;) {
            if (write(1, buf, sizeof buf) < 0) return 1;
        }
    }
    if (!strcmp(mode, "waitall")) {
        int l = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t al = sizeof a;
        CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0);
        CHECK(listen(l, 1) == 0);
        CHECK(getsockname(l, (struct sockaddr *)&a, &al) == 0);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
        int s = accept(l, 0, 0);
        CHECK(s >= 0);
        CHECK(send(c, "abc", 3, 0) == 3);
        char buf[10];
        struct pollfd p = {.fd = s, .events = POLLIN};
        CHECK(poll(&p, 1, 5000) == 1);
        ssize_t n = recv(s, buf, sizeof buf, MSG_WAITALL | MSG_DONTWAIT);
        printf("waitall dontwait: %ld\n", (long)n);
        n = recv(s, buf, sizeof buf, MSG_WAITALL | MSG_DONTWAIT);
        printf("again: %s\n", n < 0 && errno == EAGAIN ? "EAGAIN" : "no");
        return DONE();
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1; /* no SA_RESTART: the interrupted call reports EINTR */
    CHECK(sigaction(SIGUSR1, &sa, 0) == 0);
    CHECK(pipe(pfd) == 0);
    if (!strcmp(mode, "accept")) {
        lsock = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(bind(lsock, (struct sockaddr *)&a, sizeof a) == 0);
        CHECK(listen(lsock, 1) == 0);
    }
    pthread_t t;
    CHECK(pthread_create(&t, 0, blocker, 0) == 0);
    while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST)) usleep(1000);
    usleep(100000);
    CHECK(pthread_kill(t, SIGUSR1) == 0);
    CHECK(pthread_join(t, 0) == 0);
    return DONE();
}
