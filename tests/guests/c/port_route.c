/* port_route: the route table decides where outbound traffic may go. Connects (TCP) and
 * sends (UDP) to a loopback listener that the Rust test runs:
 *   no routes → allowed; a table that does not cover the destination → netunreach;
 *   an expired covering route does not count; a covering route (also one past its
 *   preferred time) → allowed; removing it → netunreach again; route_clear → allowed;
 *   a default route of the other family does not count; a gateway is the default route.
 * usage: port_route 4|6 TCP_PORT UDP_PORT   (run with --net) */
#include "check.h"
#include "wasix.h"
#include "port_util.h"

static int v6;
static uint16_t tcp_port, udp_port;

static wx_addr_port_t dest(uint16_t port) {
    return v6 ? wx_ip6_loopback(port) : wx_ip4(127, 0, 0, 1, port);
}

/* A fresh TCP socket connecting to the listener: the connect's errno. */
static wx_err_t try_connect(void) {
    uint32_t fd;
    wx_err_t e = wx_sock_open(v6 ? WX_AF_INET6 : WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &fd);
    if (e) return 1000 + e;
    wx_addr_port_t d = dest(tcp_port);
    e = wx_sock_connect(fd, &d);
    wx_fd_close(fd);
    return e;
}

/* A fresh UDP socket bound on loopback sending one datagram: send_to's errno. */
static wx_err_t try_send(const char *msg) {
    uint32_t fd;
    wx_err_t e = wx_sock_open(v6 ? WX_AF_INET6 : WX_AF_INET4, WX_SOCK_DGRAM, WX_PROTO_UDP, &fd);
    if (e) return 1000 + e;
    wx_addr_port_t local = dest(0);
    if ((e = wx_sock_bind(fd, &local))) {
        wx_fd_close(fd);
        return 2000 + e;
    }
    __wasi_ciovec_t cv = {(const uint8_t *)msg, strlen(msg)};
    uint32_t w = 0;
    wx_addr_port_t d = dest(udp_port);
    e = wx_sock_send_to(fd, &cv, 1, 0, &d, &w);
    wx_fd_close(fd);
    return e;
}

int main(int argc, char **argv) {
    v6 = argc > 1 && strcmp(argv[1], "6") == 0;
    tcp_port = (uint16_t)wx_arg_port(argc, argv, 2);
    udp_port = (uint16_t)wx_arg_port(argc, argv, 3);
    REQUIRE("args", tcp_port && udp_port);

    uint64_t now = wx_realtime_ns();
    const uint64_t S = 1000000000ull;
    wx_option_timestamp_t none = wx_ts_none();
    wx_option_timestamp_t past = wx_ts_some(now - 60 * S);
    wx_option_timestamp_t later = wx_ts_some(now + 3600 * S);

    /* Elsewhere (10.0.0.0/8 or fd00::/16) and loopback (127.0.0.0/8 or ::1/128). */
    wx_addr_cidr_t elsewhere = v6 ? wx_cidr(wx_a6(0xfd00, 0, 0, 0, 0, 0, 0, 0), 16) : wx_cidr(wx_a4(10, 0, 0, 0), 8);
    wx_addr_t elsewhere_net = v6 ? wx_a6(0xfd00, 0, 0, 0, 0, 0, 0, 0) : wx_a4(10, 0, 0, 0);
    wx_addr_t elsewhere_router = v6 ? wx_a6(0xfd00, 0, 0, 0, 0, 0, 0, 1) : wx_a4(10, 0, 0, 1);
    wx_addr_cidr_t loop = v6 ? wx_cidr(wx_a6(0, 0, 0, 0, 0, 0, 0, 1), 128) : wx_cidr(wx_a4(127, 0, 0, 0), 8);
    wx_addr_t loop_net = v6 ? wx_a6(0, 0, 0, 0, 0, 0, 0, 1) : wx_a4(127, 0, 0, 0);
    wx_addr_t loop_router = v6 ? wx_a6(0, 0, 0, 0, 0, 0, 0, 1) : wx_a4(127, 0, 0, 1);
    /* A default route of the other family. */
    wx_addr_cidr_t other_default = v6 ? wx_cidr(wx_a4(0, 0, 0, 0), 0) : wx_cidr(wx_a6(0, 0, 0, 0, 0, 0, 0, 0), 0);
    wx_addr_t other_router = v6 ? wx_a4(10, 0, 0, 1) : wx_a6(0xfd00, 0, 0, 0, 0, 0, 0, 1);
    wx_addr_t other_net = v6 ? wx_a4(0, 0, 0, 0) : wx_a6(0, 0, 0, 0, 0, 0, 0, 0);

    WCHECK_ERRNO("no_routes.connect", try_connect(), OK);
    WCHECK_ERRNO("no_routes.send_to", try_send("no_routes"), OK);

    WCHECK_ERRNO("uncovered.route_add", wx_port_route_add(&elsewhere, &elsewhere_router, &none, &none), OK);
    WCHECK_ERRNO("uncovered.connect", try_connect(), WX_ENETUNREACH);
    WCHECK_ERRNO("uncovered.send_to", try_send("uncovered"), WX_ENETUNREACH);

    WCHECK_ERRNO("expired.route_add", wx_port_route_add(&loop, &loop_router, &none, &past), OK);
    WCHECK_ERRNO("expired.connect", try_connect(), WX_ENETUNREACH);
    WCHECK_ERRNO("expired.send_to", try_send("expired"), WX_ENETUNREACH);

    WCHECK_ERRNO("covered.route_add", wx_port_route_add(&loop, &loop_router, &none, &later), OK);
    WCHECK_ERRNO("covered.connect", try_connect(), OK);
    WCHECK_ERRNO("covered.send_to", try_send("covered"), OK);

    WCHECK_ERRNO("removed.route_remove", wx_port_route_remove(&loop_net), OK);
    WCHECK_ERRNO("removed.connect", try_connect(), WX_ENETUNREACH);
    WCHECK_ERRNO("removed.send_to", try_send("removed"), WX_ENETUNREACH);

    WCHECK_ERRNO("past_preferred.route_add", wx_port_route_add(&loop, &loop_router, &past, &none), OK);
    WCHECK_ERRNO("past_preferred.connect", try_connect(), OK);
    WCHECK_ERRNO("past_preferred.route_remove", wx_port_route_remove(&loop_net), OK);

    WCHECK_ERRNO("cleared.route_clear", wx_port_route_clear(), OK);
    WCHECK_ERRNO("cleared.connect", try_connect(), OK);
    WCHECK_ERRNO("cleared.send_to", try_send("cleared"), OK);

    WCHECK_ERRNO("other_family.route_add", wx_port_route_add(&other_default, &other_router, &none, &none), OK);
    WCHECK_ERRNO("other_family.connect", try_connect(), WX_ENETUNREACH);
    WCHECK_ERRNO("other_family.route_remove", wx_port_route_remove(&other_net), OK);

    /* Last: a gateway cannot be unset. */
    WCHECK_ERRNO("gateway.route_add", wx_port_route_add(&elsewhere, &elsewhere_router, &none, &none), OK);
    WCHECK_ERRNO("gateway.before.connect", try_connect(), WX_ENETUNREACH);
    WCHECK_ERRNO("gateway.set", wx_port_gateway_set(&elsewhere_router), OK);
    WCHECK_ERRNO("gateway.connect", try_connect(), OK);
    WCHECK_ERRNO("gateway.send_to", try_send("gateway"), OK);
    WCHECK_ERRNO("gateway.route_remove", wx_port_route_remove(&elsewhere_net), OK);
    WCHECK_ERRNO("end.route_clear", wx_port_route_clear(), OK);
    return check_done();
}
