/* The non-filesystem checks of the public preview1 suite: poll_oneoff on stdio with a clock,
 * clocks, sched_yield, a large random_get, sock_shutdown on a non-socket / bad fd. */
#include "conformance.h"

#define CLOCK_UD 0x012345678ull
#define STDIN_UD 0x876543210ull

static __wasi_subscription_t clock_sub(uint64_t timeout) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = CLOCK_UD;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s.u.u.clock.timeout = timeout;
    return s;
}

static void poll_stdio(void) {
    __wasi_subscription_t in[3];
    __wasi_event_t out[3];
    __wasi_size_t n = 0;
    /* stdin readable or the 200ms clock: at least one event, each well-formed. */
    in[0] = clock_sub(200000000ull);
    memset(&in[1], 0, sizeof in[1]);
    in[1].userdata = STDIN_UD;
    in[1].u.tag = __WASI_EVENTTYPE_FD_READ;
    in[1].u.u.fd_read.file_descriptor = 0;
    memset(out, 0, sizeof out);
    EXPECT_OK(__wasi_poll_oneoff(in, out, 2, &n));
    CHECK(n >= 1 && n <= 2);
    for (__wasi_size_t i = 0; i < n; i++) {
        if (out[i].type == __WASI_EVENTTYPE_CLOCK) {
            CHECK(out[i].error == 0);
            CHECK(out[i].userdata == CLOCK_UD);
        } else if (out[i].type == __WASI_EVENTTYPE_FD_READ) {
            CHECK(out[i].error == 0);
            CHECK(out[i].userdata == STDIN_UD);
        } else {
            CHECK(!"unexpected event type");
        }
    }

    /* stdout and stderr are writable before a 200ms clock fires. */
    int pending = 3; /* bit 0: stdout, bit 1: stderr */
    for (int round = 0; pending && round < 10; round++) {
        int k = 0;
        for (int fd = 1; fd <= 2; fd++) {
            if (!(pending & fd)) continue;
            memset(&in[k], 0, sizeof in[k]);
            in[k].userdata = (uint64_t)fd;
            in[k].u.tag = __WASI_EVENTTYPE_FD_WRITE;
            in[k].u.u.fd_write.file_descriptor = (__wasi_fd_t)fd;
            k++;
        }
        in[k++] = clock_sub(200000000ull);
        memset(out, 0, sizeof out);
        EXPECT_OK(__wasi_poll_oneoff(in, out, k, &n));
        for (__wasi_size_t i = 0; i < n; i++) {
            if (out[i].userdata == CLOCK_UD) {
                CHECK(!"stdout/stderr not writable before the timeout");
                pending = 0;
                break;
            }
            CHECK(out[i].type == __WASI_EVENTTYPE_FD_WRITE);
            CHECK(out[i].error == 0);
            CHECK(out[i].userdata == 1 || out[i].userdata == 2);
            pending &= ~(int)out[i].userdata;
        }
    }
    CHECK(pending == 0);

    /* No subscriptions at all is INVAL. */
    EXPECT_ERRNO(__wasi_poll_oneoff(in, out, 0, &n), __WASI_ERRNO_INVAL);
}

static void clocks(void) {
    __wasi_timestamp_t t = 0, t2 = 0, res = 0;
    EXPECT_OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t));
    EXPECT_OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t2));
    CHECK(t2 >= t);
    EXPECT_OK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t));
    CHECK(t > 1500000000ull * 1000000000ull);
    EXPECT_OK(__wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res));
    CHECK(res > 0);
    EXPECT_OK(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res));
    CHECK(res > 0);
    EXPECT_ERRNO(__wasi_clock_time_get(99, 1, &t), __WASI_ERRNO_INVAL);
}

static void misc(void) {
    EXPECT_OK(__wasi_sched_yield());
    static uint8_t big[65536];
    EXPECT_OK(__wasi_random_get(big, sizeof big));
    int nonzero = 0;
    for (size_t i = 0; i < sizeof big; i++) nonzero += big[i] != 0;
    CHECK(nonzero > 60000);
    EXPECT_ERRNO(__wasi_sock_shutdown(1, __WASI_SDFLAGS_RD), __WASI_ERRNO_NOTSOCK);
    EXPECT_ERRNO(__wasi_sock_shutdown(1234, __WASI_SDFLAGS_RD), __WASI_ERRNO_BADF);
}

int main(void) {
    poll_stdio();
    clocks();
    misc();
    return cf_finish("conformance_misc");
}
