/* sock_opts: socket options set/get round trips and their errors.
 * Checks (TCP/IPv4 unless noted): flag options reuse_addr, reuse_port, no_delay,
 * keep_alive, broadcast (UDP), only_v6 (IPv6) set true/false and read back; size options
 * recv_buf_size / send_buf_size (read back ≥ what was set: hosts may round up or double),
 * ttl; time options linger / recv_timeout / send_timeout / connect_timeout (some → value,
 * none → none); a recv_timeout making a blocking recv give up with again / timedout
 * within a bounded time; bad option numbers → inval / noprotoopt; a time option via the
 * flag call → inval / noprotoopt; options on a non-socket → notsock, on a bad fd → badf;
 * out-of-bounds result pointers → memviolation. Needs --net.
 * usage: sock_opts [PORT]   (listener port for the recv-timeout check; 0 = ephemeral) */
#include "check.h"
#include "wasix.h"

#define MS 1000000ull

static void flag_round(uint32_t fd, const char *name, uint32_t opt) {
    char nm[96];
    uint8_t v = 0xee;
    snprintf(nm, sizeof nm, "opt.%s.set_true", name);
    wx_err_t e = CHECK_ERRNO(nm, wx_sock_set_opt_flag(fd, opt, 1), OK);
    snprintf(nm, sizeof nm, "opt.%s.get_true", name);
    CHECK_SHOW(nm, e == OK && wx_sock_get_opt_flag(fd, opt, &v) == OK && v == 1, "1");
    snprintf(nm, sizeof nm, "opt.%s.set_false", name);
    CHECK_ERRNO(nm, wx_sock_set_opt_flag(fd, opt, 0), OK);
    v = 0xee;
    snprintf(nm, sizeof nm, "opt.%s.get_false", name);
    CHECK_SHOW(nm, wx_sock_get_opt_flag(fd, opt, &v) == OK && v == 0, "0");
}

static void time_round(uint32_t fd, const char *name, uint32_t opt, uint64_t ns) {
    char nm[96];
    wx_option_timestamp_t t = {1, ns}, g;
    snprintf(nm, sizeof nm, "opt.%s.set_some", name);
    wx_err_t e = CHECK_ERRNO(nm, wx_sock_set_opt_time(fd, opt, &t), OK);
    memset(&g, 0xee, sizeof g);
    snprintf(nm, sizeof nm, "opt.%s.get_some", name);
    /* hosts round to their clock granularity: accept within 1 ms */
    CHECK_SHOW(nm, e == OK && wx_sock_get_opt_time(fd, opt, &g) == OK && g.tag == 1 &&
                       g.ts + 1000000ull >= ns && g.ts <= ns + 1000000ull, "some");
    t.tag = 0;
    t.ts = 0;
    snprintf(nm, sizeof nm, "opt.%s.set_none", name);
    CHECK_ERRNO(nm, wx_sock_set_opt_time(fd, opt, &t), OK);
    memset(&g, 0xee, sizeof g);
    snprintf(nm, sizeof nm, "opt.%s.get_none", name);
    CHECK_SHOW(nm, wx_sock_get_opt_time(fd, opt, &g) == OK && g.tag == 0, "none");
}

int main(int argc, char **argv) {
    uint16_t want_port = (uint16_t)wx_arg_port(argc, argv, 1);
    uint32_t T, U, V6;
    REQUIRE("opt.open_tcp", CHECK_ERRNO("opt.open_tcp", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &T), OK) == OK);
    REQUIRE("opt.open_udp", CHECK_ERRNO("opt.open_udp", wx_sock_open(WX_AF_INET4, WX_SOCK_DGRAM, WX_PROTO_UDP, &U), OK) == OK);

    flag_round(T, "reuse_addr", WX_OPT_REUSE_ADDR);
    flag_round(T, "reuse_port", WX_OPT_REUSE_PORT);
    flag_round(T, "no_delay", WX_OPT_NO_DELAY);
    flag_round(T, "keep_alive", WX_OPT_KEEP_ALIVE);
    flag_round(U, "broadcast", WX_OPT_BROADCAST);
    if (CHECK_ERRNO("opt.open_tcp6", wx_sock_open(WX_AF_INET6, WX_SOCK_STREAM, WX_PROTO_TCP, &V6), OK) == OK) {
        flag_round(V6, "only_v6", WX_OPT_ONLY_V6);
        wx_fd_close(V6);
    }

    /* sizes: set, read back at least as much */
    uint64_t sz = 0;
    CHECK_ERRNO("opt.recv_buf_size.set", wx_sock_set_opt_size(T, WX_OPT_RECV_BUF_SIZE, 65536), OK);
    CHECK_SHOW("opt.recv_buf_size.get", wx_sock_get_opt_size(T, WX_OPT_RECV_BUF_SIZE, &sz) == OK && sz >= 65536, ">= set");
    sz = 0;
    CHECK_ERRNO("opt.send_buf_size.set", wx_sock_set_opt_size(T, WX_OPT_SEND_BUF_SIZE, 32768), OK);
    CHECK_SHOW("opt.send_buf_size.get", wx_sock_get_opt_size(T, WX_OPT_SEND_BUF_SIZE, &sz) == OK && sz >= 32768, ">= set");
    sz = 0;
    CHECK_ERRNO("opt.ttl.set", wx_sock_set_opt_size(T, WX_OPT_TTL, 33), OK);
    CHECK_SHOW("opt.ttl.get", wx_sock_get_opt_size(T, WX_OPT_TTL, &sz) == OK && sz == 33, "33");

    /* times */
    time_round(T, "linger", WX_OPT_LINGER, 2000000000ull);
    time_round(T, "recv_timeout", WX_OPT_RECV_TIMEOUT, 250 * MS);
    time_round(T, "send_timeout", WX_OPT_SEND_TIMEOUT, 300 * MS);
    time_round(T, "connect_timeout", WX_OPT_CONNECT_TIMEOUT, 1500 * MS);

    /* a receive timeout bounds a blocking recv */
    uint32_t L, C, S;
    uint16_t port;
    wx_addr_port_t pa;
    if (CHECK_ERRNO("opt.listen", wx_tcp_listen4(want_port, &L, &port), OK) == OK &&
        CHECK_ERRNO("opt.client", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &C), OK) == OK) {
        wx_addr_port_t dst = wx_ip4(127, 0, 0, 1, port);
        if (CHECK_ERRNO("opt.connect", wx_sock_connect(C, &dst), OK) == OK &&
            CHECK_ERRNO("opt.accept", wx_sock_accept_v2(L, 0, &S, &pa), OK) == OK) {
            wx_option_timestamp_t t = {1, 200 * MS};
            CHECK_ERRNO("opt.recv_timeout.set_connected", wx_sock_set_opt_time(S, WX_OPT_RECV_TIMEOUT, &t), OK);
            char b[8];
            __wasi_iovec_t iv = {(uint8_t *)b, sizeof b};
            uint32_t n = 0;
            uint16_t ro;
            uint64_t t0 = wx_now_ms();
            wx_err_t e = wx_sock_recv(S, &iv, 1, 0, &n, &ro);
            uint64_t dt = wx_now_ms() - t0;
            WCHECK_ERRNO2("opt.recv_timeout.effect", e, WX_EAGAIN, WX_ETIMEDOUT);
            CHECK_SHOW("opt.recv_timeout.duration", dt >= 150 && dt < 5000, "bounded");
            wx_fd_close(S);
        }
        wx_fd_close(C);
        wx_fd_close(L);
    }

    /* errors */
    uint8_t v;
    wx_option_timestamp_t g;
    WCHECK_ERRNO2("opt.bad_option_flag", wx_sock_set_opt_flag(T, 200, 1), WX_EINVAL, WX_ENOPROTOOPT);
    WCHECK_ERRNO2("opt.bad_option_get_flag", wx_sock_get_opt_flag(T, 200, &v), WX_EINVAL, WX_ENOPROTOOPT);
    /* One rule for every getter and setter: a number beyond the option enum is inval; a
     * read-only option given to a setter is noprotoopt. */
    WCHECK_ERRNO("opt.bad_option_size", wx_sock_set_opt_size(T, 200, 1), WX_EINVAL);
    WCHECK_ERRNO2("opt.set_type_read_only", wx_sock_set_opt_size(T, WX_OPT_TYPE, 1), WX_ENOPROTOOPT, WX_EINVAL);
    WCHECK_ERRNO2("opt.time_via_flag", wx_sock_set_opt_flag(T, WX_OPT_RECV_TIMEOUT, 1), WX_EINVAL, WX_ENOPROTOOPT);
    WCHECK_ERRNO2("opt.flag_via_time", wx_sock_get_opt_time(T, WX_OPT_NO_DELAY, &g), WX_EINVAL, WX_ENOPROTOOPT);
    wx_option_timestamp_t badtag = {7, 1};
    WCHECK_ERRNO("opt.time_bad_tag", wx_sock_set_opt_time(T, WX_OPT_RECV_TIMEOUT, &badtag), WX_EINVAL);
    WCHECK_ERRNO("opt.not_socket", wx_sock_set_opt_flag(1, WX_OPT_NO_DELAY, 1), WX_ENOTSOCK);
    WCHECK_ERRNO("opt.not_socket_get", wx_sock_get_opt_size(1, WX_OPT_RECV_BUF_SIZE, &sz), WX_ENOTSOCK);
    WCHECK_ERRNO("opt.bad_fd", wx_sock_set_opt_flag(9999, WX_OPT_NO_DELAY, 1), WX_EBADF);
    WCHECK_ERRNO("opt.oob_get_flag", wx_sock_get_opt_flag(T, WX_OPT_NO_DELAY, (uint8_t *)0xFFFFFFFFu), WX_EMEMVIOLATION);
    WCHECK_ERRNO("opt.oob_get_size", wx_sock_get_opt_size(T, WX_OPT_RECV_BUF_SIZE, (uint64_t *)0xFFFFFFFCu), WX_EMEMVIOLATION);
    WCHECK_ERRNO("opt.oob_set_time", wx_sock_set_opt_time(T, WX_OPT_RECV_TIMEOUT, (const wx_option_timestamp_t *)0xFFFFFFF8u), WX_EMEMVIOLATION);
    WCHECK_ERRNO("opt.oob_get_time", wx_sock_get_opt_time(T, WX_OPT_RECV_TIMEOUT, (wx_option_timestamp_t *)0xFFFFFFF8u), WX_EMEMVIOLATION);

    wx_fd_close(T);
    wx_fd_close(U);
    WCHECK_ERRNO("opt.closed", wx_sock_set_opt_flag(T, WX_OPT_NO_DELAY, 1), WX_EBADF);
    return check_done();
}
