/* wasix.h — our own declarations of the WASIX (`wasix_32v1`) imports the socket / fd
 * guest programs use, with the memory layouts the witx states (witx/wasix/typenames.witx),
 * not the ones wasmer-wasix happens to use. wasm32 only.
 *
 * Every import is declared with the core-wasm signature the witx lowers to: each
 * parameter of a witx integer / enum / flags / handle type narrower than 64 bits is an i32,
 * u64 / s64 / timestamp / filesize are i64, pointers are i32, a `string` / list parameter
 * is (pointer, length), and each result after the errno is an out-pointer, in order.
 * The return value is the errno (an i32 holding a u16).
 *
 * Layout facts (checked by the _Static_asserts below):
 *   addr_ip4 4 (align 1)            addr_ip4_port 6 (port@0, addr@2)
 *   addr_ip6 24 (12 × u16)          addr_ip6_port 26 (port@0, addr@2)
 *   addr_ip6_bare 16                addr_unix 108 (align 1)
 *   addr, addr_port: tag u8 @0, payload @2, size 110, align 2 (sized by addr_unix)
 *   addr_ip: tag u8 @0, payload @2, size 18 (resolve's output element)
 *   option_timestamp: tag u8 @0, u64 @8, size 16
 *   tty 24; epoll_data 24 (ptr@0 fd@4 data1@8 data2@16); epoll_event 32 (data@8)
 * Integers are little-endian (ports and ip6 segments are native u16 values);
 * addr_ip4 octets are in address order (127.0.0.1 → n0=127 … h1=1).
 */
#ifndef WXC_WASIX_H
#define WXC_WASIX_H

#include <stddef.h>
#include <stdint.h>
#include <wasi/api.h>

#define WX_IMPORT(name) __attribute__((import_module("wasix_32v1"), import_name(#name)))

/* ---- errno (wasix extends preview1's list) ---- */
#define WX_ESUCCESS 0
#define WX_EACCES 2
#define WX_EADDRINUSE 3
#define WX_EADDRNOTAVAIL 4
#define WX_EAFNOSUPPORT 5
#define WX_EAGAIN 6
#define WX_EALREADY 7
#define WX_EBADF 8
#define WX_ECONNABORTED 13
#define WX_ECONNREFUSED 14
#define WX_ECONNRESET 15
#define WX_EFAULT 21
#define WX_EINPROGRESS 26
#define WX_EINTR 27
#define WX_EINVAL 28
#define WX_EIO 29
#define WX_EISCONN 30
#define WX_ENOENT 44
#define WX_ENOPROTOOPT 50
#define WX_ENOSYS 52
#define WX_ENOTCONN 53
#define WX_ENOTDIR 54
#define WX_ENOTSOCK 57
#define WX_ENOTSUP 58
#define WX_ENOTTY 59
#define WX_EOVERFLOW 61
#define WX_ERANGE 68
#define WX_EPERM 63
#define WX_EPIPE 64
#define WX_ETIMEDOUT 73
#define WX_ENOTCAPABLE 76
#define WX_ESHUTDOWN 77
#define WX_EMEMVIOLATION 78
#define WX_EUNKNOWN 79
#define WX_EPENDING 80

/* ---- enums ---- */
#define WX_AF_UNSPEC 0
#define WX_AF_INET4 1
#define WX_AF_INET6 2
#define WX_AF_UNIX 3

#define WX_SOCK_UNUSED 0
#define WX_SOCK_STREAM 1
#define WX_SOCK_DGRAM 2
#define WX_SOCK_RAW 3
#define WX_SOCK_SEQPACKET 4

#define WX_PROTO_IP 0
#define WX_PROTO_TCP 6
#define WX_PROTO_UDP 17

#define WX_SOCK_STATUS_OPENING 0
#define WX_SOCK_STATUS_OPENED 1
#define WX_SOCK_STATUS_CLOSED 2
#define WX_SOCK_STATUS_FAILED 3

/* sock_option (enum u8), witx order */
#define WX_OPT_NOOP 0
#define WX_OPT_REUSE_PORT 1
#define WX_OPT_REUSE_ADDR 2
#define WX_OPT_NO_DELAY 3
#define WX_OPT_DONT_ROUTE 4
#define WX_OPT_ONLY_V6 5
#define WX_OPT_BROADCAST 6
#define WX_OPT_MULTICAST_LOOP_V4 7
#define WX_OPT_MULTICAST_LOOP_V6 8
#define WX_OPT_PROMISCUOUS 9
#define WX_OPT_LISTENING 10
#define WX_OPT_LAST_ERROR 11
#define WX_OPT_KEEP_ALIVE 12
#define WX_OPT_LINGER 13
#define WX_OPT_OOB_INLINE 14
#define WX_OPT_RECV_BUF_SIZE 15
#define WX_OPT_SEND_BUF_SIZE 16
#define WX_OPT_RECV_LOWAT 17
#define WX_OPT_SEND_LOWAT 18
#define WX_OPT_RECV_TIMEOUT 19
#define WX_OPT_SEND_TIMEOUT 20
#define WX_OPT_CONNECT_TIMEOUT 21
#define WX_OPT_ACCEPT_TIMEOUT 22
#define WX_OPT_TTL 23
#define WX_OPT_MULTICAST_TTL_V4 24
#define WX_OPT_TYPE 25
#define WX_OPT_PROTO 26

/* riflags (u16) / siflags (u16) / sdflags (u8) / fdflags (u16) / fdflagsext (u16) */
#define WX_RECV_PEEK 1
#define WX_RECV_WAITALL 2
#define WX_RECV_DATA_TRUNCATED 4
#define WX_RECV_DONT_WAIT 8
/* roflags (u16): preview1 recv_data_truncated = 1 (__WASI_ROFLAGS_RECV_DATA_TRUNCATED) */
#define WX_SEND_DONT_WAIT 1
#define WX_SHUT_RD 1
#define WX_SHUT_WR 2
#define WX_FDFLAG_APPEND 1
#define WX_FDFLAG_NONBLOCK 4
#define WX_FDFLAGEXT_CLOEXEC 1
#define WX_EVENTFD_SEMAPHORE 1

/* epoll_type (flags u32) / epoll_ctl (enum u32) */
#define WX_EPOLLIN (1u << 0)
#define WX_EPOLLOUT (1u << 1)
#define WX_EPOLLRDHUP (1u << 2)
#define WX_EPOLLPRI (1u << 3)
#define WX_EPOLLERR (1u << 4)
#define WX_EPOLLHUP (1u << 5)
#define WX_EPOLLET (1u << 6)
#define WX_EPOLLONESHOT (1u << 7)
/* wasix-libc passes Linux's numbers (add 1, del 2, mod 3); the witx enum says add 0, mod 1,
 * del 2. Both engines take 0 and 1 as add, so mod must be 3. */
#define WX_EPOLL_CTL_ADD 0
#define WX_EPOLL_CTL_MOD 3
#define WX_EPOLL_CTL_DEL 2

/* ---- records and unions ---- */
typedef struct { uint8_t n0, n1, h0, h1; } wx_addr_ip4_t;
typedef struct {
    uint16_t seg[8]; /* n0 n1 n2 n3 h0 h1 h2 h3 */
    uint16_t flow_info1, flow_info0, scope_id1, scope_id0;
} wx_addr_ip6_t;
typedef struct { uint16_t seg[8]; } wx_addr_ip6_bare_t;
typedef struct { uint8_t path[108]; } wx_addr_unix_t;
typedef struct { uint8_t n0; } wx_addr_unspec_t;

typedef struct { uint16_t port; wx_addr_unspec_t addr; } wx_addr_unspec_port_t;
typedef struct { uint16_t port; wx_addr_ip4_t addr; } wx_addr_ip4_port_t;
typedef struct { uint16_t port; wx_addr_ip6_t addr; } wx_addr_ip6_port_t;

typedef struct {
    uint8_t tag; /* address_family */
    union {
        wx_addr_unspec_port_t unspec;
        wx_addr_ip4_port_t ip4;
        wx_addr_ip6_port_t ip6;
        wx_addr_unix_t unix_;
    } u;
} wx_addr_port_t;

typedef struct {
    uint8_t tag; /* address_family */
    union {
        wx_addr_unspec_t unspec;
        wx_addr_ip4_t ip4;
        wx_addr_ip6_t ip6;
        wx_addr_unix_t unix_;
    } u;
} wx_addr_t;

typedef struct {
    uint8_t tag; /* address_family_ip: unspec / inet4 / inet6 */
    union {
        wx_addr_unspec_t unspec;
        wx_addr_ip4_t ip4;
        wx_addr_ip6_bare_t ip6;
    } u;
} wx_addr_ip_t;

typedef struct {
    uint8_t tag; /* option: none=0, some=1 */
    uint64_t ts;
} wx_option_timestamp_t;

typedef struct {
    uint32_t cols, rows, width, height;
    uint8_t stdin_tty, stdout_tty, stderr_tty, echo, line_buffered, line_feeds;
} wx_tty_t;

typedef struct {
    uint32_t ptr; /* pointersize */
    uint32_t fd;
    uint32_t data1;
    uint64_t data2;
} wx_epoll_data_t;

typedef struct {
    uint32_t events;
    wx_epoll_data_t data;
} wx_epoll_event_t;

/* The witx layouts. */
_Static_assert(sizeof(wx_addr_ip4_t) == 4 && _Alignof(wx_addr_ip4_t) == 1, "addr_ip4");
_Static_assert(sizeof(wx_addr_ip6_t) == 24 && _Alignof(wx_addr_ip6_t) == 2, "addr_ip6");
_Static_assert(sizeof(wx_addr_ip6_bare_t) == 16, "addr_ip6_bare");
_Static_assert(sizeof(wx_addr_unix_t) == 108 && _Alignof(wx_addr_unix_t) == 1, "addr_unix");
_Static_assert(sizeof(wx_addr_unspec_port_t) == 4, "addr_unspec_port");
_Static_assert(sizeof(wx_addr_ip4_port_t) == 6 && offsetof(wx_addr_ip4_port_t, addr) == 2, "addr_ip4_port");
_Static_assert(sizeof(wx_addr_ip6_port_t) == 26 && offsetof(wx_addr_ip6_port_t, addr) == 2, "addr_ip6_port");
_Static_assert(sizeof(wx_addr_port_t) == 110 && _Alignof(wx_addr_port_t) == 2, "addr_port");
_Static_assert(offsetof(wx_addr_port_t, u) == 2, "addr_port.u");
_Static_assert(sizeof(wx_addr_t) == 110 && offsetof(wx_addr_t, u) == 2, "addr");
_Static_assert(sizeof(wx_addr_ip_t) == 18 && offsetof(wx_addr_ip_t, u) == 2, "addr_ip");
_Static_assert(sizeof(wx_option_timestamp_t) == 16 && offsetof(wx_option_timestamp_t, ts) == 8, "option_timestamp");
_Static_assert(sizeof(wx_tty_t) == 24 && offsetof(wx_tty_t, stdin_tty) == 16 && offsetof(wx_tty_t, line_feeds) == 21, "tty");
_Static_assert(sizeof(wx_epoll_data_t) == 24 && offsetof(wx_epoll_data_t, data2) == 16, "epoll_data");
_Static_assert(sizeof(wx_epoll_event_t) == 32 && offsetof(wx_epoll_event_t, data) == 8, "epoll_event");
/* preview1 types used through wasix_32v1 (same layouts) */
_Static_assert(sizeof(__wasi_subscription_t) == 48 && sizeof(__wasi_event_t) == 32, "poll");
_Static_assert(sizeof(__wasi_iovec_t) == 8, "iovec");

/* ---- imports: wasix_32v1 ---- */
typedef int32_t wx_err_t; /* errno in an i32 */

/* sockets */
WX_IMPORT(sock_open) wx_err_t wx_sock_open(uint32_t af, uint32_t socktype, uint32_t proto, uint32_t *ret_fd);
WX_IMPORT(sock_pair) wx_err_t wx_sock_pair(uint32_t af, uint32_t socktype, uint32_t proto, uint32_t *ret_fd1, uint32_t *ret_fd2);
WX_IMPORT(sock_bind) wx_err_t wx_sock_bind(uint32_t fd, const wx_addr_port_t *addr);
WX_IMPORT(sock_listen) wx_err_t wx_sock_listen(uint32_t fd, uint32_t backlog);
WX_IMPORT(sock_accept_v2) wx_err_t wx_sock_accept_v2(uint32_t fd, uint32_t fdflags, uint32_t *ret_fd, wx_addr_port_t *ret_addr);
WX_IMPORT(sock_connect) wx_err_t wx_sock_connect(uint32_t fd, const wx_addr_port_t *addr);
WX_IMPORT(sock_status) wx_err_t wx_sock_status(uint32_t fd, uint8_t *ret_status);
WX_IMPORT(sock_addr_local) wx_err_t wx_sock_addr_local(uint32_t fd, wx_addr_port_t *ret_addr);
WX_IMPORT(sock_addr_peer) wx_err_t wx_sock_addr_peer(uint32_t fd, wx_addr_port_t *ret_addr);
WX_IMPORT(sock_recv) wx_err_t wx_sock_recv(uint32_t fd, const __wasi_iovec_t *ri_data, uint32_t ri_data_len, uint32_t ri_flags, uint32_t *ret_size, uint16_t *ret_roflags);
WX_IMPORT(sock_recv_from) wx_err_t wx_sock_recv_from(uint32_t fd, const __wasi_iovec_t *ri_data, uint32_t ri_data_len, uint32_t ri_flags, uint32_t *ret_size, uint16_t *ret_roflags, wx_addr_port_t *ret_addr);
WX_IMPORT(sock_send) wx_err_t wx_sock_send(uint32_t fd, const __wasi_ciovec_t *si_data, uint32_t si_data_len, uint32_t si_flags, uint32_t *ret_size);
WX_IMPORT(sock_send_to) wx_err_t wx_sock_send_to(uint32_t fd, const __wasi_ciovec_t *si_data, uint32_t si_data_len, uint32_t si_flags, const wx_addr_port_t *addr, uint32_t *ret_size);
WX_IMPORT(sock_shutdown) wx_err_t wx_sock_shutdown(uint32_t fd, uint32_t how);
WX_IMPORT(sock_set_opt_flag) wx_err_t wx_sock_set_opt_flag(uint32_t fd, uint32_t opt, uint32_t flag);
WX_IMPORT(sock_get_opt_flag) wx_err_t wx_sock_get_opt_flag(uint32_t fd, uint32_t opt, uint8_t *ret_flag);
WX_IMPORT(sock_set_opt_time) wx_err_t wx_sock_set_opt_time(uint32_t fd, uint32_t opt, const wx_option_timestamp_t *time);
WX_IMPORT(sock_get_opt_time) wx_err_t wx_sock_get_opt_time(uint32_t fd, uint32_t opt, wx_option_timestamp_t *ret_time);
WX_IMPORT(sock_set_opt_size) wx_err_t wx_sock_set_opt_size(uint32_t fd, uint32_t opt, uint64_t size);
WX_IMPORT(sock_get_opt_size) wx_err_t wx_sock_get_opt_size(uint32_t fd, uint32_t opt, uint64_t *ret_size);
WX_IMPORT(resolve) wx_err_t wx_resolve(const char *host, uint32_t host_len, uint32_t port, wx_addr_ip_t *addrs, uint32_t naddrs, uint32_t *ret_naddrs);

/* readiness */
WX_IMPORT(poll_oneoff) wx_err_t wx_poll_oneoff(const __wasi_subscription_t *in, __wasi_event_t *out, uint32_t nsubscriptions, uint32_t *ret_nevents);
WX_IMPORT(epoll_create) wx_err_t wx_epoll_create(uint32_t *ret_fd);
WX_IMPORT(epoll_ctl) wx_err_t wx_epoll_ctl(uint32_t epfd, uint32_t op, uint32_t fd, const wx_epoll_event_t *event);
WX_IMPORT(epoll_wait) wx_err_t wx_epoll_wait(uint32_t epfd, wx_epoll_event_t *events, uint32_t maxevents, uint64_t timeout_ns, uint32_t *ret_nevents);

/* fds */
WX_IMPORT(fd_close) wx_err_t wx_fd_close(uint32_t fd);
WX_IMPORT(fd_read) wx_err_t wx_fd_read(uint32_t fd, const __wasi_iovec_t *iovs, uint32_t iovs_len, uint32_t *ret_nread);
WX_IMPORT(fd_write) wx_err_t wx_fd_write(uint32_t fd, const __wasi_ciovec_t *iovs, uint32_t iovs_len, uint32_t *ret_nwritten);
WX_IMPORT(fd_fdstat_get) wx_err_t wx_fd_fdstat_get(uint32_t fd, __wasi_fdstat_t *ret_stat);
WX_IMPORT(fd_fdstat_set_flags) wx_err_t wx_fd_fdstat_set_flags(uint32_t fd, uint32_t fdflags);
WX_IMPORT(fd_dup) wx_err_t wx_fd_dup(uint32_t fd, uint32_t *ret_fd);
WX_IMPORT(fd_dup2) wx_err_t wx_fd_dup2(uint32_t fd, uint32_t min_result_fd, uint32_t cloexec, uint32_t *ret_fd);
WX_IMPORT(fd_fdflags_get) wx_err_t wx_fd_fdflags_get(uint32_t fd, uint16_t *ret_flags);
WX_IMPORT(fd_fdflags_set) wx_err_t wx_fd_fdflags_set(uint32_t fd, uint32_t flags);
WX_IMPORT(fd_pipe) wx_err_t wx_fd_pipe(uint32_t *ret_fd1, uint32_t *ret_fd2);
WX_IMPORT(fd_event) wx_err_t wx_fd_event(uint64_t initial_val, uint32_t flags, uint32_t *ret_fd);
WX_IMPORT(tty_get) wx_err_t wx_tty_get(wx_tty_t *state);
WX_IMPORT(tty_set) wx_err_t wx_tty_set(const wx_tty_t *state);
WX_IMPORT(getcwd) wx_err_t wx_getcwd(char *path, uint32_t *path_len);
WX_IMPORT(chdir) wx_err_t wx_chdir(const char *path, uint32_t path_len);
WX_IMPORT(path_open2) wx_err_t wx_path_open2(uint32_t dirfd, uint32_t dirflags, const char *path, uint32_t path_len, uint32_t oflags, uint64_t rights_base, uint64_t rights_inheriting, uint32_t fdflags, uint32_t fdflagsext, uint32_t *ret_fd);

/* ---- the virtual network port (port_*) ----
 * addr_cidr: tag u8 @0, payload @2, size 28, align 2 (ip4: addr@2 prefix@6; ip6: addr@2
 * prefix@26). route: cidr@0 via_router(addr)@28 preferred_until@144 expires_at@160, size
 * 176, align 8. hardware_address: 6 bytes. stream_security: flags u8. */
#define WX_SEC_UNENCRYPTED 1
#define WX_SEC_ANY_ENCRYPTION 2
#define WX_SEC_CLASSIC_ENCRYPTION 4
#define WX_SEC_DOUBLE_ENCRYPTION 8
#define WX_ENETUNREACH 40

typedef struct { wx_addr_unspec_t addr; uint8_t prefix; } wx_addr_unspec_cidr_t;
typedef struct { wx_addr_ip4_t addr; uint8_t prefix; } wx_addr_ip4_cidr_t;
typedef struct { wx_addr_ip6_t addr; uint8_t prefix; } wx_addr_ip6_cidr_t;
typedef struct { uint8_t unused; } wx_addr_unix_cidr_t;
typedef struct {
    uint8_t tag; /* address_family */
    union {
        wx_addr_unspec_cidr_t unspec;
        wx_addr_ip4_cidr_t ip4;
        wx_addr_ip6_cidr_t ip6;
        wx_addr_unix_cidr_t unix_;
    } u;
} wx_addr_cidr_t;
typedef struct {
    wx_addr_cidr_t cidr;
    wx_addr_t via_router;
    wx_option_timestamp_t preferred_until;
    wx_option_timestamp_t expires_at;
} wx_route_t;
typedef struct { uint8_t n0, n1, n2, h0, h1, h2; } wx_hardware_address_t;

_Static_assert(sizeof(wx_addr_ip4_cidr_t) == 5, "addr_ip4_cidr");
_Static_assert(sizeof(wx_addr_ip6_cidr_t) == 26 && offsetof(wx_addr_ip6_cidr_t, prefix) == 24, "addr_ip6_cidr");
_Static_assert(sizeof(wx_addr_cidr_t) == 28 && _Alignof(wx_addr_cidr_t) == 2 && offsetof(wx_addr_cidr_t, u) == 2, "addr_cidr");
_Static_assert(offsetof(wx_addr_cidr_t, u.ip4.prefix) == 6 && offsetof(wx_addr_cidr_t, u.ip6.prefix) == 26, "addr_cidr.prefix");
_Static_assert(sizeof(wx_route_t) == 176 && _Alignof(wx_route_t) == 8, "route");
_Static_assert(offsetof(wx_route_t, via_router) == 28 && offsetof(wx_route_t, preferred_until) == 144 &&
               offsetof(wx_route_t, expires_at) == 160, "route fields");
_Static_assert(sizeof(wx_hardware_address_t) == 6, "hardware_address");

WX_IMPORT(port_bridge) wx_err_t wx_port_bridge(const char *network, uint32_t network_len, const char *token, uint32_t token_len, uint32_t security);
WX_IMPORT(port_unbridge) wx_err_t wx_port_unbridge(void);
WX_IMPORT(port_dhcp_acquire) wx_err_t wx_port_dhcp_acquire(void);
WX_IMPORT(port_addr_add) wx_err_t wx_port_addr_add(const wx_addr_cidr_t *addr);
WX_IMPORT(port_addr_remove) wx_err_t wx_port_addr_remove(const wx_addr_t *addr);
WX_IMPORT(port_addr_clear) wx_err_t wx_port_addr_clear(void);
WX_IMPORT(port_mac) wx_err_t wx_port_mac(wx_hardware_address_t *ret_mac);
WX_IMPORT(port_addr_list) wx_err_t wx_port_addr_list(wx_addr_cidr_t *addrs, uint32_t *naddrs);
WX_IMPORT(port_gateway_set) wx_err_t wx_port_gateway_set(const wx_addr_t *addr);
WX_IMPORT(port_route_add) wx_err_t wx_port_route_add(const wx_addr_cidr_t *cidr, const wx_addr_t *via_router, const wx_option_timestamp_t *preferred_until, const wx_option_timestamp_t *expires_at);
WX_IMPORT(port_route_remove) wx_err_t wx_port_route_remove(const wx_addr_t *cidr);
WX_IMPORT(port_route_clear) wx_err_t wx_port_route_clear(void);
WX_IMPORT(port_route_list) wx_err_t wx_port_route_list(wx_route_t *routes, uint32_t *nroutes);

/* ---- check.h companions for the wasix errnos ---- */
static inline const char *wx_errno_name(unsigned e) {
    switch (e) {
    case WX_ESHUTDOWN: return "shutdown";
    case WX_EMEMVIOLATION: return "memviolation";
    case WX_EUNKNOWN: return "unknown";
    case WX_EPENDING: return "pending";
    default: return errno_name(e); /* check.h */
    }
}

/* Like check.h's CHECK_ERRNO, naming the wasix-only errnos too. */
#define WCHECK_ERRNO(name, expr, want)                                         \
    ({                                                                         \
        unsigned _got = (unsigned)(expr);                                      \
        unsigned _want = (unsigned)(want);                                     \
        if (_got == _want) pass((name), "%s", wx_errno_name(_got));            \
        else {                                                                 \
            char _w[24];                                                       \
            snprintf(_w, sizeof _w, "%s", wx_errno_name(_want));               \
            fail((name), __LINE__, "got %s, want %s", wx_errno_name(_got), _w); \
        }                                                                      \
        _got;                                                                  \
    })

#define WCHECK_ERRNO2(name, expr, w1, w2)                                      \
    ({                                                                         \
        unsigned _got = (unsigned)(expr);                                      \
        if (_got == (unsigned)(w1) || _got == (unsigned)(w2))                  \
            pass((name), "%s", wx_errno_name(_got));                           \
        else {                                                                 \
            char _a[24], _b[24];                                               \
            snprintf(_a, sizeof _a, "%s", wx_errno_name(w1));                  \
            snprintf(_b, sizeof _b, "%s", wx_errno_name(w2));                  \
            fail((name), __LINE__, "got %s, want %s or %s", wx_errno_name(_got), _a, _b); \
        }                                                                      \
        _got;                                                                  \
    })

/* Stops the program (exit 1, after `done:`) when a prerequisite step fails: the rest of
 * the checks would only cascade. Used for setup steps whose failure is already reported. */
#define REQUIRE(name, cond)                                                    \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("%s: FAIL required step failed, stopping\n", (name));       \
            wxc_failures++;                                                    \
            check_done();                                                      \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* ---- small helpers ---- */
static inline wx_addr_port_t wx_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
    wx_addr_port_t ap;
    memset(&ap, 0, sizeof ap);
    ap.tag = WX_AF_INET4;
    ap.u.ip4.port = port;
    ap.u.ip4.addr.n0 = a;
    ap.u.ip4.addr.n1 = b;
    ap.u.ip4.addr.h0 = c;
    ap.u.ip4.addr.h1 = d;
    return ap;
}

static inline wx_addr_port_t wx_ip6_loopback(uint16_t port) {
    wx_addr_port_t ap;
    memset(&ap, 0, sizeof ap);
    ap.tag = WX_AF_INET6;
    ap.u.ip6.port = port;
    ap.u.ip6.addr.seg[7] = 1; /* ::1, segments as native u16 values */
    return ap;
}

static inline int wx_is_ip4(const wx_addr_port_t *a, uint8_t n0, uint8_t n1, uint8_t h0, uint8_t h1) {
    return a->tag == WX_AF_INET4 && a->u.ip4.addr.n0 == n0 && a->u.ip4.addr.n1 == n1 &&
           a->u.ip4.addr.h0 == h0 && a->u.ip4.addr.h1 == h1;
}

static inline uint16_t wx_port(const wx_addr_port_t *a) {
    return a->tag == WX_AF_INET6 ? a->u.ip6.port : a->u.ip4.port;
}

static inline const char *wx_fmt_addr(const wx_addr_port_t *a) {
    static char buf[96];
    if (a->tag == WX_AF_INET4)
        snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", a->u.ip4.addr.n0, a->u.ip4.addr.n1,
                 a->u.ip4.addr.h0, a->u.ip4.addr.h1, a->u.ip4.port);
    else if (a->tag == WX_AF_INET6) {
        const uint16_t *s = a->u.ip6.addr.seg;
        snprintf(buf, sizeof buf, "[%x:%x:%x:%x:%x:%x:%x:%x]:%u", s[0], s[1], s[2], s[3], s[4],
                 s[5], s[6], s[7], a->u.ip6.port);
    } else
        snprintf(buf, sizeof buf, "family#%u", a->tag);
    return buf;
}

static inline int wx_arg_port(int argc, char **argv, int i) {
    return argc > i ? atoi(argv[i]) : 0;
}

/* Monotonic milliseconds. */
static inline uint64_t wx_now_ms(void) {
    __wasi_timestamp_t t = 0;
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0) return 0;
    return t / 1000000u;
}

/* Sends all of buf on a (possibly non-blocking) socket, waiting with poll_oneoff. */
static inline wx_err_t wx_wait_fd(uint32_t fd, int write, uint64_t timeout_ns);

static inline wx_err_t wx_send_all(uint32_t fd, const void *buf, size_t n, uint64_t timeout_ms) {
    size_t off = 0;
    uint64_t deadline = wx_now_ms() + timeout_ms;
    while (off < n) {
        __wasi_ciovec_t cv = {(const uint8_t *)buf + off, n - off};
        uint32_t w = 0;
        wx_err_t e = wx_sock_send(fd, &cv, 1, 0, &w);
        if (e == WX_EAGAIN) {
            if (wx_now_ms() > deadline) return WX_ETIMEDOUT;
            wx_wait_fd(fd, 1, 50000000ull);
            continue;
        }
        if (e) return e;
        off += w;
    }
    return 0;
}

/* Receives exactly n bytes (or until EOF: *got tells), waiting with poll_oneoff. */
static inline wx_err_t wx_recv_all(uint32_t fd, void *buf, size_t n, size_t *got, uint64_t timeout_ms) {
    size_t off = 0;
    uint64_t deadline = wx_now_ms() + timeout_ms;
    while (off < n) {
        __wasi_iovec_t iv = {(uint8_t *)buf + off, n - off};
        uint32_t r = 0;
        uint16_t ro = 0;
        wx_err_t e = wx_sock_recv(fd, &iv, 1, 0, &r, &ro);
        if (e == WX_EAGAIN) {
            if (wx_now_ms() > deadline) { *got = off; return WX_ETIMEDOUT; }
            wx_wait_fd(fd, 0, 50000000ull);
            continue;
        }
        if (e) { *got = off; return e; }
        if (r == 0) break;
        off += r;
    }
    *got = off;
    return 0;
}

/* poll_oneoff on one fd (read or write) with a relative monotonic timeout. Returns 0 when
 * the fd is ready, WX_ETIMEDOUT on timeout, or the errno / event error. */
static inline wx_err_t wx_wait_fd(uint32_t fd, int write, uint64_t timeout_ns) {
    __wasi_subscription_t s[2];
    __wasi_event_t ev[2];
    memset(s, 0, sizeof s);
    memset(ev, 0, sizeof ev);
    s[0].userdata = 1;
    s[0].u.tag = write ? __WASI_EVENTTYPE_FD_WRITE : __WASI_EVENTTYPE_FD_READ;
    s[0].u.u.fd_read.file_descriptor = fd;
    s[1].userdata = 2;
    s[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    s[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s[1].u.u.clock.timeout = timeout_ns;
    uint32_t n = 0;
    wx_err_t e = wx_poll_oneoff(s, ev, 2, &n);
    if (e) return e;
    for (uint32_t i = 0; i < n; i++)
        if (ev[i].userdata == 1) return ev[i].error;
    return WX_ETIMEDOUT;
}

/* Opens a TCP/IPv4 listener on 127.0.0.1:port (0 = any free port). */
static inline wx_err_t wx_tcp_listen4(uint16_t port, uint32_t *fd_out, uint16_t *port_out) {
    uint32_t fd;
    wx_err_t e = wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &fd);
    if (e) return e;
    (void)wx_sock_set_opt_flag(fd, WX_OPT_REUSE_ADDR, 1);
    wx_addr_port_t a = wx_ip4(127, 0, 0, 1, port);
    if ((e = wx_sock_bind(fd, &a)) || (e = wx_sock_listen(fd, 128))) {
        wx_fd_close(fd);
        return e;
    }
    if (port_out) {
        *port_out = port;
        if (port == 0) {
            wx_addr_port_t l;
            if ((e = wx_sock_addr_local(fd, &l))) { wx_fd_close(fd); return e; }
            *port_out = wx_port(&l);
        }
    }
    *fd_out = fd;
    return 0;
}

#endif
