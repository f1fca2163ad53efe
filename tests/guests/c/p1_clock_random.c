/* p1_clock_random: clock_res_get, clock_time_get (all four clocks), random_get, sched_yield. */
#include "check.h"

static const char *clock_names[4] = {"realtime", "monotonic", "process_cputime", "thread_cputime"};

int main(void) {
    char name[64];
    for (__wasi_clockid_t id = 0; id < 4; id++) {
        __wasi_timestamp_t res = 0, t = 0;
        snprintf(name, sizeof name, "clock_res_get.%s", clock_names[id]);
        CHECK_ERRNO(name, __wasi_clock_res_get(id, &res), OK);
        snprintf(name, sizeof name, "clock_res_get.%s.positive", clock_names[id]);
        /* A resolution of more than a second would be useless. */
        CHECK(name, res > 0 && res <= 1000000000ull);
        snprintf(name, sizeof name, "clock_time_get.%s", clock_names[id]);
        CHECK_ERRNO(name, __wasi_clock_time_get(id, 1, &t), OK);
    }

    /* Realtime is after 2020-01-01 and before 2100-01-01. */
    __wasi_timestamp_t rt = now_ns(__WASI_CLOCKID_REALTIME);
    CHECK("clock_time_get.realtime.plausible",
          rt > 1577836800ull * 1000000000ull && rt < 4102444800ull * 1000000000ull);

    /* Monotonic (and the cputime clocks) never go backwards, and monotonic advances. */
    for (__wasi_clockid_t id = 1; id < 4; id++) {
        __wasi_timestamp_t prev = now_ns(id), first = prev;
        int ok = 1;
        for (int i = 0; i < 2000; i++) {
            __wasi_timestamp_t t = now_ns(id);
            if (t < prev) ok = 0;
            prev = t;
        }
        snprintf(name, sizeof name, "clock_time_get.%s.non_decreasing", clock_names[id]);
        CHECK(name, ok);
        if (id == 1) {
            /* 20 ms of polling later, monotonic must show at least 20 ms. */
            __wasi_subscription_t sub = {0};
            __wasi_event_t ev;
            __wasi_size_t n;
            sub.u.tag = __WASI_EVENTTYPE_CLOCK;
            sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
            sub.u.u.clock.timeout = 20000000;
            (void)__wasi_poll_oneoff(&sub, &ev, 1, &n);
            CHECK("clock_time_get.monotonic.advances", now_ns(1) - first >= 20000000ull);
        }
    }
    /* The precision argument is a hint only; 0 and huge values are accepted. */
    __wasi_timestamp_t t0 = 0;
    CHECK_ERRNO("clock_time_get.precision_zero", __wasi_clock_time_get(1, 0, &t0), OK);
    CHECK_ERRNO("clock_time_get.precision_max", __wasi_clock_time_get(1, UINT64_MAX, &t0), OK);

    /* Unknown clock ids. */
    __wasi_timestamp_t dummy;
    CHECK_ERRNO("clock_res_get.bad_id", __wasi_clock_res_get(4, &dummy), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("clock_time_get.bad_id", __wasi_clock_time_get(4, 1, &dummy), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("clock_time_get.bad_id_large", __wasi_clock_time_get(0x7fffffff, 1, &dummy),
                __WASI_ERRNO_INVAL);

    /* ---- random_get ---- */
    uint8_t a[32] = {0}, b[32] = {0};
    CHECK_ERRNO("random_get.small", __wasi_random_get(a, sizeof a), OK);
    CHECK_ERRNO("random_get.small_again", __wasi_random_get(b, sizeof b), OK);
    CHECK("random_get.calls_differ", memcmp(a, b, sizeof a) != 0);
    CHECK_ERRNO("random_get.zero_len", __wasi_random_get(a, 0), OK);

    /* 1 MiB: every byte value shows up, and no value dominates. */
    size_t big = 1 << 20;
    uint8_t *buf = malloc(big + 16);
    memset(buf, 0, big + 16);
    memset(buf + big, 0x5A, 16);
    CHECK_ERRNO("random_get.large", __wasi_random_get(buf, big), OK);
    unsigned counts[256] = {0};
    for (size_t i = 0; i < big; i++) counts[buf[i]]++;
    unsigned minc = UINT32_MAX, maxc = 0;
    for (int i = 0; i < 256; i++) {
        if (counts[i] < minc) minc = counts[i];
        if (counts[i] > maxc) maxc = counts[i];
    }
    /* Expected 4096 per value; a fair source stays far within [3000, 5200]. */
    CHECK("random_get.large.distribution", minc > 3000 && maxc < 5200);
    int tail_ok = 1;
    for (int i = 0; i < 16; i++) tail_ok &= buf[big + i] == 0x5A;
    CHECK("random_get.large.no_overrun", tail_ok);
    /* Odd length and unaligned pointer. */
    CHECK_ERRNO("random_get.unaligned", __wasi_random_get(buf + 3, 1001), OK);

    /* ---- sched_yield ---- */
    int yok = 1;
    for (int i = 0; i < 100; i++) yok &= __wasi_sched_yield() == OK;
    CHECK("sched_yield.100_times", yok);
    return check_done();
}
