// `diff` determinism guest: prints the realtime and monotonic clocks twice and 16 random
// bytes. With --fake-clock and --seed every run prints the same. With the argument
// `abstime` it instead polls until 20 ms after a monotonic reading (an absolute deadline).
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wasi/api.h>

static void show(const char *name, clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    printf("%s %lld.%09ld\n", name, (long long)t.tv_sec, t.tv_nsec);
}

static int abstime(void) {
    __wasi_timestamp_t t0;
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0) != 0)
        return 1;
    __wasi_subscription_t s = {0};
    s.userdata = 7;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s.u.u.clock.timeout = t0 + 20 * 1000 * 1000;
    s.u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    __wasi_event_t ev;
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_poll_oneoff(&s, &ev, 1, &n);
    printf("abstime monotonic: errno %u, %u event(s), userdata %llu, error %u\n", e, n,
           (unsigned long long)ev.userdata, ev.error);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "abstime") == 0)
        return abstime();
    show("realtime", CLOCK_REALTIME);
    show("monotonic", CLOCK_MONOTONIC);
    show("realtime", CLOCK_REALTIME);
    unsigned char r[16];
    if (__wasi_random_get(r, sizeof r) != 0)
        return 1;
    printf("random ");
    for (unsigned i = 0; i < sizeof r; i++)
        printf("%02x", r[i]);
    printf("\n");
    return 0;
}
