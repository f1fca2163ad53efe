/* pthreads on wasix-libc. argv[1] picks the scenario:
 *   basic      create/join with return values, 64 threads x 100k mutex increments, condvar
 *              ping-pong, timedlock timing out, pthread_key isolation, detached threads,
 *              a thread exiting while others block
 *   exit       a worker calls exit(7) while main blocks reading stdin
 *   kill       workers sit in memory.atomic.wait32; main prints CLOCK_REALTIME (ns), then
 *              raises SIGKILL
 *   spin       a worker calls exit(9) while main computes in a loop without imports
 *   restart    main blocks in read() on a pipe with an SA_RESTART SIGUSR1 handler; a worker
 *              sends it SIGUSR1, then writes a byte
 *   signal     pthread_kill(worker, SIGUSR1) while the worker sleeps in a futex wait
 *   spawnloop  argv[2] threads created and joined one after another
 *   limit      creates threads that block until pthread_create fails; prints the count
 *   itimer     setitimer with a 20 ms interval reaches a SIGALRM handler repeatedly; then
 *              alarm(1), which wasix-libc turns into a cancel (it passes it_interval)
 *   oneshot    proc_raise_interval(SIGALRM, 200 ms, repeat=0) called directly: the handler
 *              runs once */
#include "t.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void *twice(void *a) { return (void *)((intptr_t)a * 2); }

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static void *count(void *a) {
    (void)a;
    for (int i = 0; i < 100000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return 0;
}

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn, rounds_done;
static void *pong(void *a) {
    (void)a;
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&mu);
        while (turn != 1) pthread_cond_wait(&cv, &mu);
        turn = 0;
        rounds_done++;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
    return 0;
}

static pthread_key_t key;
static void *keyed(void *a) {
    pthread_setspecific(key, a);
    usleep(1000);
    return pthread_getspecific(key);
}

static volatile int detached_ran;
static void *detached(void *a) {
    (void)a;
    __atomic_fetch_add(&detached_ran, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static void *hold(void *a) {
    (void)a;
    pthread_mutex_lock(&held);
    usleep(300000);
    pthread_mutex_unlock(&held);
    return 0;
}

static void *block_forever(void *a) {
    (void)a;
    pthread_mutex_lock(&held); /* never unlocked by its holder */
    return 0;
}

static int basic(void) {
    pthread_t t[64];
    intptr_t sum = 0;
    for (intptr_t i = 0; i < 8; i++) CHECK(pthread_create(&t[i], 0, twice, (void *)i) == 0);
    for (int i = 0; i < 8; i++) {
        void *r;
        CHECK(pthread_join(t[i], &r) == 0);
        sum += (intptr_t)r;
    }
    printf("join values sum=%ld\n", (long)sum);

    for (int i = 0; i < 64; i++) CHECK(pthread_create(&t[i], 0, count, 0) == 0);
    for (int i = 0; i < 64; i++) CHECK(pthread_join(t[i], 0) == 0);
    printf("counter=%ld\n", counter);

    CHECK(pthread_create(&t[0], 0, pong, 0) == 0);
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&mu);
        turn = 1;
        pthread_cond_signal(&cv);
        while (turn != 0) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
    }
    CHECK(pthread_join(t[0], 0) == 0);
    printf("ping-pong rounds=%d\n", rounds_done);

    CHECK(pthread_create(&t[0], 0, hold, 0) == 0);
    usleep(50000);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    int r = pthread_mutex_timedlock(&held, &ts);
    printf("timedlock=%s\n", r == ETIMEDOUT ? "ETIMEDOUT" : strerror(r));
    CHECK(pthread_join(t[0], 0) == 0);

    CHECK(pthread_key_create(&key, 0) == 0);
    pthread_setspecific(key, (void *)100);
    for (intptr_t i = 0; i < 4; i++) CHECK(pthread_create(&t[i], 0, keyed, (void *)(i + 1)) == 0);
    int keys_ok = 1;
    for (intptr_t i = 0; i < 4; i++) {
        void *v;
        CHECK(pthread_join(t[i], &v) == 0);
        keys_ok &= (intptr_t)v == i + 1;
    }
    printf("keys isolated=%d main=%ld\n", keys_ok, (long)(intptr_t)pthread_getspecific(key));

    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], &at, detached, 0) == 0);
    for (int i = 0; i < 200 && __atomic_load_n(&detached_ran, __ATOMIC_SEQ_CST) < 4; i++)
        usleep(5000);
    printf("detached ran=%d\n", detached_ran);

    /* Threads blocked on a mutex do not keep the process alive once main returns. */
    pthread_mutex_lock(&held);
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&t[i], 0, block_forever, 0) == 0);
    usleep(20000);
    return DONE();
}

static void *exit_soon(void *a) {
    (void)a;
    usleep(100000);
    exit(7);
}

static volatile int waitword;
static void *atomic_sleeper(void *a) {
    (void)a;
    for (;;) __builtin_wasm_memory_atomic_wait32((int *)&waitword, 0, -1);
}

static volatile int sig_thread_ok;
static pthread_t sig_target;
static void on_usr1(int s) {
    sig_thread_ok = (s == SIGUSR1) && pthread_equal(pthread_self(), sig_target);
}
static void *sleeper(void *a) {
    (void)a;
    usleep(500000); /* the signal interrupts this; the handler runs on this thread */
    return (void *)(intptr_t)sig_thread_ok;
}

static void *wait_unlock(void *a) {
    (void)a;
    pthread_mutex_lock(&held);
    pthread_mutex_unlock(&held);
    return 0;
}

static volatile int ticks;
static void on_alrm(int s) { ticks += s == SIGALRM; }

static int itimer(void) {
    CHECK(signal(SIGALRM, on_alrm) != SIG_ERR);
    struct itimerval it = {{0, 20000}, {0, 20000}};
    CHECK(setitimer(ITIMER_REAL, &it, 0) == 0);
    for (int i = 0; i < 500 && ticks < 3; i++) usleep(10000);
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_REAL, &off, 0) == 0);
    printf("ticks>=3: %d\n", ticks >= 3);
    usleep(50000);
    int before = ticks;
    usleep(100000);
    printf("stopped: %d\n", ticks == before);
    alarm(1);
    usleep(1500000);
    printf("alarm fired: %d\n", ticks != before);
    return DONE();
}

/* The import itself (wasix-libc's setitimer always passes repeat = 1). */
int32_t raise_interval(int32_t sig, int64_t ns, int32_t repeat)
    __attribute__((import_module("wasix_32v1"), import_name("proc_raise_interval")));

static int oneshot(void) {
    CHECK(signal(SIGALRM, on_alrm) != SIG_ERR);
    CHECK(raise_interval(SIGALRM, 200 * 1000000LL, 0) == 0);
    for (int i = 0; i < 200 && ticks < 1; i++) usleep(10000);
    usleep(600000); /* three more intervals: a repeating timer would fire again */
    printf("oneshot ticks=%d\n", ticks);
    return DONE();
}

static void *exit_nine(void *a) {
    (void)a;
    usleep(100000);
    exit(9);
}

static volatile int restart_handled;
static pthread_t restart_main;
static int restart_pipe[2];
static void on_usr1_count(int s) { restart_handled += s == SIGUSR1; }
static void *restart_worker(void *a) {
    (void)a;
    usleep(100000);
    pthread_kill(restart_main, SIGUSR1);
    usleep(200000);
    CHECK(write(restart_pipe[1], "x", 1) == 1);
    return 0;
}

static int restart(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1_count;
    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGUSR1, &sa, 0) == 0);
    CHECK(pipe(restart_pipe) == 0);
    restart_main = pthread_self();
    pthread_t t;
    CHECK(pthread_create(&t, 0, restart_worker, 0) == 0);
    char c;
    ssize_t n = read(restart_pipe[0], &c, 1);
    printf("read=%ld %s handled=%d\n", (long)n, n < 0 ? strerror(errno) : "ok", restart_handled);
    CHECK(pthread_join(t, 0) == 0);
    return DONE();
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "basic";
    setvbuf(stdout, 0, _IONBF, 0);
    if (!strcmp(mode, "basic")) return basic();
    if (!strcmp(mode, "itimer")) return itimer();
    if (!strcmp(mode, "oneshot")) return oneshot();
    if (!strcmp(mode, "restart")) return restart();
    if (!strcmp(mode, "spin")) {
        pthread_t t;
        CHECK(pthread_create(&t, 0, exit_nine, 0) == 0);
        for (;;) {
            volatile int x = 0;
            (void)x;
        }
    }
    if (!strcmp(mode, "exit")) {
        pthread_t t;
        CHECK(pthread_create(&t, 0, exit_soon, 0) == 0);
        char c;
        ssize_t n = read(0, &c, 1);
        printf("read returned %ld\n", (long)n);
        return 1;
    }
    if (!strcmp(mode, "kill")) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], 0, atomic_sleeper, 0) == 0);
        usleep(50000);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        printf("raising SIGKILL at %lld\n", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
        raise(SIGKILL);
        printf("still alive\n");
        return 1;
    }
    if (!strcmp(mode, "signal")) {
        signal(SIGUSR1, on_usr1);
        CHECK(pthread_create(&sig_target, 0, sleeper, 0) == 0);
        usleep(50000);
        CHECK(pthread_kill(sig_target, SIGUSR1) == 0);
        void *v;
        CHECK(pthread_join(sig_target, &v) == 0);
        printf("handler ran on target=%ld\n", (long)(intptr_t)v);
        return DONE();
    }
    if (!strcmp(mode, "spawnloop")) {
        int n = argc > 2 ? atoi(argv[2]) : 1000;
        intptr_t sum = 0;
        for (int i = 0; i < n; i++) {
            pthread_t t;
            void *v;
            if (pthread_create(&t, 0, twice, (void *)1) != 0) {
                printf("create failed at %d\n", i);
                return 1;
            }
            pthread_join(t, &v);
            sum += (intptr_t)v;
        }
        printf("spawned=%d sum=%ld\n", n, (long)sum);
        return DONE();
    }
    if (!strcmp(mode, "limit")) {
        pthread_t t[256];
        int n = 0, r = 0;
        pthread_mutex_lock(&held);
        while (n < 256 && (r = pthread_create(&t[n], 0, wait_unlock, 0)) == 0) n++;
        printf("created=%d then %s\n", n, r == EAGAIN ? "EAGAIN" : strerror(r));
        pthread_mutex_unlock(&held);
        for (int i = 0; i < n; i++) pthread_join(t[i], 0);
        return DONE();
    }
    printf("unknown mode\n");
    return 2;
}
