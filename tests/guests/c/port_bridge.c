/* port_bridge: joining a network served by `wasix-compat net serve` and leaving it.
 * usage:
 *   port_bridge full SERVE_ADDR TOKEN ECHO_PORT CLOSED_PORT   (run with --net)
 *     refused bridges (wrong / empty token, bad security sets, non-UTF-8 strings,
 *     out-of-bounds strings, a server that is not there) leave the instance on the local
 *     network; then echo round trips tagged `local-before`, `bridged`, `local-after`,
 *     `bridged-any` to 127.0.0.1:ECHO_PORT. The Rust test's echo server records which
 *     process owns the client end of each connection: the tags say where it must be.
 *   port_bridge nonet SERVE_ADDR TOKEN                         (run without --net)
 *     bridging needs networking: `acces`.
 *   port_bridge tls tls://SERVE_ADDR TOKEN ECHO_PORT            (--net --bridge-ca CA)
 *     sets a TLS endpoint cannot meet are `notsup`, a wrong token `acces`; then
 *     `classic_encryption` bridges: echoes tagged `bridged-tls`, then `local-tls-after`.
 *     (also `wss://SERVE_ADDR/PATH`: the same checks and tags).
 *   port_bridge tls-untrusted tls://SERVE_ADDR TOKEN            (--net, no CA given)
 *     the server's certificate is not trusted: `connaborted`.
 *   port_bridge double tls://SERVE_ADDR TOKEN ECHO_PORT
 *                                  (--net --bridge-ca CA --bridge-noise-key HEX; the server
 *                                   has --noise-key)
 *     `double_encryption` alone bridges: echoes tagged `bridged-double`, then
 *     `local-double-after`.
 *   port_bridge ws ws://SERVE_ADDR/PATH TOKEN ECHO_PORT          (--net)
 *     `ws://` meets only `unencrypted` (`classic_encryption` is `notsup`), a wrong token is
 *     `acces`; then echoes tagged `bridged-ws`, then `local-ws-after`.
 *   port_bridge lan-listen SERVE_ADDR TOKEN PORT                 (--net; net serve --network isolated)
 *     takes 10.9.0.2/24 on the served LAN, listens on PORT, prints `lan.listening: ok`,
 *     echoes one line to one client, which must come from 10.9.0.3.
 *   port_bridge lan-connect SERVE_ADDR TOKEN PORT HOST_ECHO_PORT  (--net; net serve --network isolated)
 *     takes 10.9.0.3/24, connects to 10.9.0.2:PORT and echoes a line through it; the host's
 *     echo server on 127.0.0.1:HOST_ECHO_PORT is not on the LAN: `hostunreach`; a port
 *     nobody listens on: `connrefused`. */
#include "check.h"
#include "wasix.h"
#include "port_util.h"

static const char *serve, *token;
static uint16_t echo_port;

static wx_err_t bridge(const char *net, const char *tok, uint32_t security) {
    return wx_port_bridge(net, (uint32_t)strlen(net), tok, (uint32_t)strlen(tok), security);
}

/* Connects to the echo server, sends `tag\n`, expects the same line back. */
static void echo(const char *tag) {
    char nm[64], line[64], back[64];
    uint32_t fd;
    snprintf(line, sizeof line, "%s\n", tag);
    size_t len = strlen(line), got = 0;
    snprintf(nm, sizeof nm, "echo.%s.open", tag);
    if (WCHECK_ERRNO(nm, wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &fd), OK) != OK) return;
    wx_addr_port_t d = wx_ip4(127, 0, 0, 1, echo_port);
    snprintf(nm, sizeof nm, "echo.%s.connect", tag);
    if (WCHECK_ERRNO(nm, wx_sock_connect(fd, &d), OK) == OK) {
        wx_fd_fdstat_set_flags(fd, WX_FDFLAG_NONBLOCK);
        snprintf(nm, sizeof nm, "echo.%s.send", tag);
        WCHECK_ERRNO(nm, wx_send_all(fd, line, len, 20000), OK);
        wx_err_t e = wx_recv_all(fd, back, len, &got, 20000);
        snprintf(nm, sizeof nm, "echo.%s.echoed", tag);
        CHECK(nm, e == OK && got == len && memcmp(back, line, len) == 0);
    }
    wx_fd_close(fd);
}

/* --network isolated, first instance: one client, one line echoed back. */
static void lan_listen(uint16_t port) {
    uint32_t fd, c;
    wx_addr_cidr_t me = wx_cidr(wx_a4(10, 9, 0, 2), 24);
    WCHECK_ERRNO("lan.bridge", bridge(serve, token, WX_SEC_UNENCRYPTED), OK);
    WCHECK_ERRNO("lan.addr_add", wx_port_addr_add(&me), OK);
    REQUIRE("lan.open", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &fd) == OK);
    wx_addr_port_t any = wx_ip4(0, 0, 0, 0, port), peer;
    REQUIRE("lan.bind", wx_sock_bind(fd, &any) == OK);
    REQUIRE("lan.listen", wx_sock_listen(fd, 8) == OK);
    CHECK("lan.listening", 1);
    fflush(stdout); /* the test starts the other instance on this line */
    REQUIRE("lan.wait", wx_wait_fd(fd, 0, 30000000000ull) == OK);
    REQUIRE("lan.accept", wx_sock_accept_v2(fd, WX_FDFLAG_NONBLOCK, &c, &peer) == OK);
    CHECK_SHOW("lan.peer_is_b", wx_is_ip4(&peer, 10, 9, 0, 3), "%s", wx_fmt_addr(&peer));
    char line[16];
    size_t got = 0;
    WCHECK_ERRNO("lan.recv", wx_recv_all(c, line, 10, &got, 20000), OK);
    WCHECK_ERRNO("lan.send", wx_send_all(c, line, got, 20000), OK);
    /* The client's last byte says it has read the echo (closing now cannot cut it short). */
    char done[1];
    WCHECK_ERRNO("lan.done", wx_recv_all(c, done, 1, &got, 20000), OK);
    wx_fd_close(c);
    wx_fd_close(fd);
}

/* --network isolated, second instance. */
static void lan_connect(uint16_t port, uint16_t host_echo) {
    uint32_t fd;
    wx_addr_cidr_t me = wx_cidr(wx_a4(10, 9, 0, 3), 24);
    WCHECK_ERRNO("lan.bridge", bridge(serve, token, WX_SEC_UNENCRYPTED), OK);
    WCHECK_ERRNO("lan.addr_add", wx_port_addr_add(&me), OK);
    REQUIRE("lan.open", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &fd) == OK);
    wx_addr_port_t a = wx_ip4(10, 9, 0, 2, port), local;
    if (WCHECK_ERRNO("lan.connect", wx_sock_connect(fd, &a), OK) != OK) return;
    WCHECK_ERRNO("lan.addr_local", wx_sock_addr_local(fd, &local), OK);
    CHECK_SHOW("lan.local_is_b", wx_is_ip4(&local, 10, 9, 0, 3), "%s", wx_fmt_addr(&local));
    wx_fd_fdstat_set_flags(fd, WX_FDFLAG_NONBLOCK);
    char back[16];
    size_t got = 0;
    WCHECK_ERRNO("lan.send", wx_send_all(fd, "hello-lan\n", 10, 20000), OK);
    WCHECK_ERRNO("lan.recv", wx_recv_all(fd, back, 10, &got, 20000), OK);
    CHECK("lan.echoed", got == 10 && memcmp(back, "hello-lan\n", 10) == 0);
    uint32_t h;
    REQUIRE("lan.host.open", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &h) == OK);
    wx_addr_port_t host = wx_ip4(127, 0, 0, 1, host_echo);
    WCHECK_ERRNO("lan.host_not_reachable", wx_sock_connect(h, &host), __WASI_ERRNO_HOSTUNREACH);
    wx_fd_close(h);
    REQUIRE("lan.closed.open", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &h) == OK);
    wx_addr_port_t closed = wx_ip4(10, 9, 0, 2, (uint16_t)(port + 1));
    WCHECK_ERRNO("lan.no_listener", wx_sock_connect(h, &closed), WX_ECONNREFUSED);
    wx_fd_close(h);
    /* Last: the listener's instance ends (and leaves the LAN) once it has this byte. */
    WCHECK_ERRNO("lan.done", wx_send_all(fd, ".", 1, 20000), OK);
    wx_fd_close(fd);
}

int main(int argc, char **argv) {
    REQUIRE("args", argc >= 4);
    const char *mode = argv[1];
    serve = argv[2];
    token = argv[3];

    if (strcmp(mode, "nonet") == 0) {
        WCHECK_ERRNO("nonet.bridge", bridge(serve, token, WX_SEC_UNENCRYPTED), WX_EACCES);
        return check_done();
    }
    if (strcmp(mode, "policy") == 0) {
        /* net serve denies argv[4] (a loopback port) and allows the echo port argv[5]. */
        REQUIRE("args.policy", argc >= 6);
        uint16_t denied = (uint16_t)atoi(argv[4]);
        echo_port = (uint16_t)atoi(argv[5]);
        WCHECK_ERRNO("policy.bridge", bridge(serve, token, WX_SEC_UNENCRYPTED), OK);
        uint32_t fd;
        if (WCHECK_ERRNO("policy.denied.open", wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &fd), OK) == OK) {
            wx_addr_port_t d = wx_ip4(127, 0, 0, 1, denied);
            WCHECK_ERRNO("policy.denied.connect", wx_sock_connect(fd, &d), WX_EACCES);
            wx_fd_close(fd);
        }
        echo("bridged-allowed");
        WCHECK_ERRNO("policy.unbridge", wx_port_unbridge(), OK);
        return check_done();
    }
    if (strcmp(mode, "routes") == 0) {
        /* Bridged, no gateway: a route for 127.0.0.1/32 sends the echo connection over the
         * bridge; with only a route for 127.0.0.2/32 it stays local (split tunnelling). */
        REQUIRE("args.routes", argc >= 5);
        echo_port = (uint16_t)atoi(argv[4]);
        wx_option_timestamp_t none = wx_ts_none();
        wx_addr_t via = wx_a4(10, 0, 0, 1);
        wx_addr_cidr_t one = wx_cidr(wx_a4(127, 0, 0, 1), 32), two = wx_cidr(wx_a4(127, 0, 0, 2), 32);
        wx_addr_cidr_t bad = wx_cidr(wx_a4(127, 0, 0, 1), 33);
        wx_addr_t one_net = wx_a4(127, 0, 0, 1);
        WCHECK_ERRNO("routes.bridge", bridge(serve, token, WX_SEC_UNENCRYPTED), OK);
        WCHECK_ERRNO("routes.bad_prefix", wx_port_route_add(&bad, &via, &none, &none), WX_EINVAL);
        WCHECK_ERRNO("routes.oob", wx_port_route_add((const wx_addr_cidr_t *)0xfffffff0u, &via, &none, &none),
                     WX_EMEMVIOLATION);
        WCHECK_ERRNO("routes.add_one", wx_port_route_add(&one, &via, &none, &none), OK);
        echo("bridged-routed");
        WCHECK_ERRNO("routes.remove_one", wx_port_route_remove(&one_net), OK);
        WCHECK_ERRNO("routes.add_two", wx_port_route_add(&two, &via, &none, &none), OK);
        echo("local-unrouted");
        WCHECK_ERRNO("routes.clear", wx_port_route_clear(), OK);
        WCHECK_ERRNO("routes.unbridge", wx_port_unbridge(), OK);
        return check_done();
    }
    if (strcmp(mode, "lan-listen") == 0) {
        REQUIRE("args.lan", argc >= 5);
        lan_listen((uint16_t)atoi(argv[4]));
        return check_done();
    }
    if (strcmp(mode, "lan-connect") == 0) {
        REQUIRE("args.lan", argc >= 6);
        lan_connect((uint16_t)atoi(argv[4]), (uint16_t)atoi(argv[5]));
        return check_done();
    }
    if (strcmp(mode, "ws") == 0) {
        REQUIRE("args.ws", argc >= 5);
        echo_port = (uint16_t)atoi(argv[4]);
        char wrong[128];
        snprintf(wrong, sizeof wrong, "%s-wrong", token);
        WCHECK_ERRNO("ws.classic_only", bridge(serve, token, WX_SEC_CLASSIC_ENCRYPTION), WX_ENOTSUP);
        WCHECK_ERRNO("ws.wrong_token", bridge(serve, wrong, WX_SEC_UNENCRYPTED), WX_EACCES);
        WCHECK_ERRNO("ws.bridge", bridge(serve, token, WX_SEC_UNENCRYPTED), OK);
        echo("bridged-ws");
        WCHECK_ERRNO("ws.unbridge", wx_port_unbridge(), OK);
        echo("local-ws-after");
        return check_done();
    }
    if (strcmp(mode, "tls-untrusted") == 0) {
        WCHECK_ERRNO("tls.untrusted", bridge(serve, token, WX_SEC_CLASSIC_ENCRYPTION), WX_ECONNABORTED);
        return check_done();
    }
    if (strcmp(mode, "tls") == 0) {
        REQUIRE("args.tls", argc >= 5);
        echo_port = (uint16_t)atoi(argv[4]);
        char wrong[128];
        snprintf(wrong, sizeof wrong, "%s-wrong", token);
        WCHECK_ERRNO("tls.unencrypted_only", bridge(serve, token, WX_SEC_UNENCRYPTED), WX_ENOTSUP);
        WCHECK_ERRNO("tls.double_only", bridge(serve, token, WX_SEC_DOUBLE_ENCRYPTION), WX_ENOTSUP);
        WCHECK_ERRNO("tls.wrong_token", bridge(serve, wrong, WX_SEC_CLASSIC_ENCRYPTION), WX_EACCES);
        WCHECK_ERRNO("tls.bridge", bridge(serve, token, WX_SEC_CLASSIC_ENCRYPTION), OK);
        echo("bridged-tls");
        WCHECK_ERRNO("tls.unbridge", wx_port_unbridge(), OK);
        echo("local-tls-after");
        return check_done();
    }
    if (strcmp(mode, "double") == 0) {
        REQUIRE("args.double", argc >= 5);
        echo_port = (uint16_t)atoi(argv[4]);
        WCHECK_ERRNO("double.unencrypted_only", bridge(serve, token, WX_SEC_UNENCRYPTED), WX_ENOTSUP);
        WCHECK_ERRNO("double.bridge", bridge(serve, token, WX_SEC_DOUBLE_ENCRYPTION), OK);
        echo("bridged-double");
        WCHECK_ERRNO("double.unbridge", wx_port_unbridge(), OK);
        echo("local-double-after");
        return check_done();
    }
    REQUIRE("args.full", argc >= 6);
    echo_port = (uint16_t)atoi(argv[4]);
    const char *closed = argv[5];
    char closed_addr[64], wrong[128];
    snprintf(closed_addr, sizeof closed_addr, "127.0.0.1:%s", closed);
    snprintf(wrong, sizeof wrong, "%s-wrong", token);

    /* ---- refused ---- */
    WCHECK_ERRNO("bridge.wrong_token", bridge(serve, wrong, WX_SEC_UNENCRYPTED), WX_EACCES);
    WCHECK_ERRNO("bridge.empty_token", bridge(serve, "", WX_SEC_UNENCRYPTED), WX_EACCES);

    WCHECK_ERRNO("security.none", bridge(serve, token, 0), WX_EINVAL);
    WCHECK_ERRNO("security.unknown_bit_16", bridge(serve, token, 16), WX_EINVAL);
    WCHECK_ERRNO("security.unknown_bit_with_unencrypted", bridge(serve, token, 0x81), WX_EINVAL);
    WCHECK_ERRNO("security.above_u8", bridge(serve, token, 0x101), WX_EINVAL);
    WCHECK_ERRNO("security.any_encryption", bridge(serve, token, WX_SEC_ANY_ENCRYPTION), WX_ENOTSUP);
    WCHECK_ERRNO("security.classic_encryption", bridge(serve, token, WX_SEC_CLASSIC_ENCRYPTION), WX_ENOTSUP);
    WCHECK_ERRNO("security.double_encryption", bridge(serve, token, WX_SEC_DOUBLE_ENCRYPTION), WX_ENOTSUP);
    WCHECK_ERRNO("security.all_encryption_bits", bridge(serve, token, 2 | 4 | 8), WX_ENOTSUP);

    static const char bad_utf8[] = "127.0.0.1:\xff\xfe";
    WCHECK_ERRNO("network.not_utf8",
                 wx_port_bridge(bad_utf8, sizeof bad_utf8 - 1, token, (uint32_t)strlen(token), WX_SEC_UNENCRYPTED),
                 WX_EINVAL);
    static const char bad_tok[] = "tok\xc3\x28";
    WCHECK_ERRNO("token.not_utf8",
                 wx_port_bridge(serve, (uint32_t)strlen(serve), bad_tok, sizeof bad_tok - 1, WX_SEC_UNENCRYPTED),
                 WX_EINVAL);
    char *oob = wx_oob();
    WCHECK_ERRNO("network.oob", wx_port_bridge(oob, 14, token, (uint32_t)strlen(token), WX_SEC_UNENCRYPTED),
                 WX_EMEMVIOLATION);
    WCHECK_ERRNO("network.straddle",
                 wx_port_bridge(oob - 4, 14, token, (uint32_t)strlen(token), WX_SEC_UNENCRYPTED), WX_EMEMVIOLATION);
    WCHECK_ERRNO("token.oob", wx_port_bridge(serve, (uint32_t)strlen(serve), oob, 8, WX_SEC_UNENCRYPTED),
                 WX_EMEMVIOLATION);
    wx_err_t e = bridge(closed_addr, token, WX_SEC_UNENCRYPTED);
    CHECK_SHOW("bridge.no_server", e != OK, "%s", wx_errno_name((unsigned)e));

    /* Still on the local network after all of that. */
    echo("local-before");

    /* ---- bridged ---- */
    WCHECK_ERRNO("bridge", bridge(serve, token, WX_SEC_UNENCRYPTED), OK);
    echo("bridged");
    /* The port's own calls keep working while bridged. */
    wx_hardware_address_t mac;
    WCHECK_ERRNO("bridged.mac", wx_port_mac(&mac), OK);
    WCHECK_ERRNO("unbridge", wx_port_unbridge(), OK);
    echo("local-after");

    /* A set that allows unencrypted among others is accepted. */
    WCHECK_ERRNO("bridge.unencrypted_or_any", bridge(serve, token, WX_SEC_UNENCRYPTED | WX_SEC_ANY_ENCRYPTION), OK);
    echo("bridged-any");
    WCHECK_ERRNO("unbridge.again", wx_port_unbridge(), OK);
    /* Unbridging when not bridged: already on the local network. */
    WCHECK_ERRNO("unbridge.not_bridged", wx_port_unbridge(), OK);
    echo("local-end");
    return check_done();
}
