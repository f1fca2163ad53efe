/* sock_resolve: the WASIX `resolve` call (getaddrinfo-like), output as `addr_ip` entries
 * (18 bytes each: tag u8, payload at offset 2).
 * Checks: "localhost" gives at least one loopback address (127.0.0.1 or ::1), every entry
 * has a valid tag, the host writes no more than naddrs entries (a guard entry after the
 * buffer stays untouched), a numeric "127.0.0.1" resolves to exactly itself, naddrs = 0
 * writes nothing, an unresolvable name fails, out-of-bounds output / host pointers →
 * memviolation. Needs --net. */
#include "check.h"
#include "wasix.h"

int main(void) {
    wx_addr_ip_t out[9];
    uint32_t n = 0xffff;
    memset(out, 0xCC, sizeof out);
    const char *h = "localhost";
    wx_err_t e = wx_resolve(h, strlen(h), 0, out, 8, &n);
    CHECK_ERRNO("resolve.localhost", e, OK);
    CHECK_SHOW("resolve.localhost.count", e == OK && n >= 1 && n <= 8, "1..8");
    int loop = 0, tags_ok = 1;
    for (uint32_t i = 0; i < n && i < 8; i++) {
        if (out[i].tag == WX_AF_INET4) {
            if (out[i].u.ip4.n0 == 127 && out[i].u.ip4.n1 == 0 && out[i].u.ip4.h0 == 0 && out[i].u.ip4.h1 == 1) loop = 1;
        } else if (out[i].tag == WX_AF_INET6) {
            const uint16_t *s = out[i].u.ip6.seg;
            if (!s[0] && !s[1] && !s[2] && !s[3] && !s[4] && !s[5] && !s[6] && s[7] == 1) loop = 1;
        } else tags_ok = 0;
    }
    CHECK("resolve.localhost.loopback", loop);
    CHECK("resolve.localhost.tags", tags_ok);
    CHECK("resolve.localhost.guard", ((uint8_t *)&out[8])[0] == 0xCC && ((uint8_t *)&out[8])[17] == 0xCC);

    memset(out, 0xCC, sizeof out);
    n = 0xffff;
    h = "127.0.0.1";
    e = wx_resolve(h, strlen(h), 80, out, 8, &n);
    CHECK_ERRNO("resolve.numeric", e, OK);
    CHECK_SHOW("resolve.numeric.value", e == OK && n == 1 && out[0].tag == WX_AF_INET4 && out[0].u.ip4.n0 == 127 && out[0].u.ip4.h1 == 1, "127.0.0.1");
    CHECK("resolve.numeric.second_untouched", ((uint8_t *)&out[1])[0] == 0xCC);

    memset(out, 0xCC, sizeof out);
    n = 0xffff;
    h = "localhost";
    e = wx_resolve(h, strlen(h), 0, out, 0, &n);
    CHECK_SHOW("resolve.naddrs_zero", e == OK && n == 0 && ((uint8_t *)out)[0] == 0xCC, "nothing written");

    h = "no-such-host.invalid";
    n = 0xffff;
    e = wx_resolve(h, strlen(h), 0, out, 8, &n);
    CHECK_SHOW("resolve.unknown_host", e != OK || n == 0, "%s", e == OK ? "0 results" : "error");

    h = "localhost";
    WCHECK_ERRNO("resolve.oob_addrs", wx_resolve(h, strlen(h), 0, (wx_addr_ip_t *)0xFFFFFFF0u, 8, &n), WX_EMEMVIOLATION);
    WCHECK_ERRNO("resolve.oob_host", wx_resolve((const char *)0xFFFFFFF0u, 100, 0, out, 8, &n), WX_EMEMVIOLATION);
    WCHECK_ERRNO("resolve.oob_ret", wx_resolve(h, strlen(h), 0, out, 8, (uint32_t *)0xFFFFFFFFu), WX_EMEMVIOLATION);
    return check_done();
}
