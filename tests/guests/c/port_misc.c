/* port_misc: port_mac, port_dhcp_acquire, and the bad-input rules of every port_* import
 * that takes a pointer: unknown tags and non-IP families are `inval`, out-of-bounds
 * pointers (past the end of memory, or a record running off the end) are `memviolation`,
 * and a refused call leaves the tables unchanged.
 * usage: port_misc   (needs no networking) */
#include "check.h"
#include "wasix.h"
#include "port_util.h"

int main(void) {
    wx_addr_cidr_t buf[8];
    wx_route_t routes[4];
    uint32_t n;
    wx_err_t e;

    /* ---- port_mac ---- */
    wx_hardware_address_t m1, m2;
    memset(&m1, 0, sizeof m1);
    memset(&m2, 0xff, sizeof m2);
    WCHECK_ERRNO("mac", wx_port_mac(&m1), OK);
    CHECK("mac.locally_administered_unicast", (m1.n0 & 0x03) == 0x02);
    CHECK("mac.not_zero", (m1.n0 | m1.n1 | m1.n2 | m1.h0 | m1.h1 | m1.h2) != 0);
    WCHECK_ERRNO("mac.again", wx_port_mac(&m2), OK);
    CHECK("mac.stable", memcmp(&m1, &m2, sizeof m1) == 0);
    WCHECK_ERRNO("mac.oob", wx_port_mac(wx_oob()), WX_EMEMVIOLATION);
    WCHECK_ERRNO("mac.straddle", wx_port_mac((wx_hardware_address_t *)((char *)wx_oob() - 3)), WX_EMEMVIOLATION);

    /* ---- port_dhcp_acquire ---- */
    WCHECK_ERRNO("dhcp.clear_first", wx_port_addr_clear(), OK);
    WCHECK_ERRNO("dhcp.acquire", wx_port_dhcp_acquire(), OK);
    e = wx_addr_count(buf, 8, &n);
    CHECK_SHOW("dhcp.addr_list_non_empty", e == OK && n >= 1 && n <= 8, "non-empty");
    int sane = e == OK && n >= 1;
    for (uint32_t i = 0; sane && i < n && i < 8; i++) {
        if (buf[i].tag == WX_AF_INET4) sane = buf[i].u.ip4.prefix <= 32;
        else if (buf[i].tag == WX_AF_INET6) sane = buf[i].u.ip6.prefix <= 128;
        else sane = 0;
    }
    CHECK("dhcp.addrs_are_ip_cidrs", sane);
    WCHECK_ERRNO("dhcp.addr_clear", wx_port_addr_clear(), OK);
    e = wx_addr_count(buf, 8, &n);
    CHECK_SHOW("dhcp.after_clear", e == OK && n == 0, "0");

    /* ---- bad tags ---- */
    wx_addr_cidr_t good_c = wx_cidr(wx_a4(10, 0, 0, 0), 8);
    wx_addr_t good_a = wx_a4(10, 0, 0, 1);
    wx_option_timestamp_t none = wx_ts_none();
    wx_addr_cidr_t c_bad = good_c;
    c_bad.tag = 7;
    wx_addr_cidr_t c_unix = good_c;
    c_unix.tag = WX_AF_UNIX;
    wx_addr_cidr_t c_unspec = good_c;
    c_unspec.tag = WX_AF_UNSPEC;
    wx_addr_t a_bad = good_a;
    a_bad.tag = 7;
    wx_addr_t a_unix;
    memset(&a_unix, 0, sizeof a_unix);
    a_unix.tag = WX_AF_UNIX;
    memcpy(a_unix.u.unix_.path, "/tmp/x", 6);
    wx_option_timestamp_t t_bad = wx_ts_some(1);
    t_bad.tag = 2;

    WCHECK_ERRNO("addr_add.bad_tag", wx_port_addr_add(&c_bad), WX_EINVAL);
    WCHECK_ERRNO("addr_add.unix", wx_port_addr_add(&c_unix), WX_EINVAL);
    WCHECK_ERRNO("addr_add.unspec", wx_port_addr_add(&c_unspec), WX_EINVAL);
    WCHECK_ERRNO("addr_remove.bad_tag", wx_port_addr_remove(&a_bad), WX_EINVAL);
    WCHECK_ERRNO("addr_remove.unix", wx_port_addr_remove(&a_unix), WX_EINVAL);
    WCHECK_ERRNO("gateway_set.bad_tag", wx_port_gateway_set(&a_bad), WX_EINVAL);
    WCHECK_ERRNO("gateway_set.unix", wx_port_gateway_set(&a_unix), WX_EINVAL);
    WCHECK_ERRNO("route_add.cidr_bad_tag", wx_port_route_add(&c_bad, &good_a, &none, &none), WX_EINVAL);
    WCHECK_ERRNO("route_add.cidr_unix", wx_port_route_add(&c_unix, &good_a, &none, &none), WX_EINVAL);
    WCHECK_ERRNO("route_add.via_bad_tag", wx_port_route_add(&good_c, &a_bad, &none, &none), WX_EINVAL);
    WCHECK_ERRNO("route_add.preferred_bad_tag", wx_port_route_add(&good_c, &good_a, &t_bad, &none), WX_EINVAL);
    WCHECK_ERRNO("route_add.expires_bad_tag", wx_port_route_add(&good_c, &good_a, &none, &t_bad), WX_EINVAL);
    WCHECK_ERRNO("route_remove.bad_tag", wx_port_route_remove(&a_bad), WX_EINVAL);

    /* ---- out-of-bounds pointers ---- */
    void *oob = wx_oob(), *str = wx_straddle();
    WCHECK_ERRNO("addr_add.oob", wx_port_addr_add(oob), WX_EMEMVIOLATION);
    WCHECK_ERRNO("addr_add.straddle", wx_port_addr_add(str), WX_EMEMVIOLATION);
    WCHECK_ERRNO("addr_remove.oob", wx_port_addr_remove(oob), WX_EMEMVIOLATION);
    WCHECK_ERRNO("addr_remove.straddle", wx_port_addr_remove(str), WX_EMEMVIOLATION);
    WCHECK_ERRNO("gateway_set.oob", wx_port_gateway_set(oob), WX_EMEMVIOLATION);
    WCHECK_ERRNO("route_add.cidr_oob", wx_port_route_add(oob, &good_a, &none, &none), WX_EMEMVIOLATION);
    WCHECK_ERRNO("route_add.via_oob", wx_port_route_add(&good_c, oob, &none, &none), WX_EMEMVIOLATION);
    WCHECK_ERRNO("route_add.via_straddle", wx_port_route_add(&good_c, str, &none, &none), WX_EMEMVIOLATION);
    WCHECK_ERRNO("route_add.preferred_oob", wx_port_route_add(&good_c, &good_a, oob, &none), WX_EMEMVIOLATION);
    WCHECK_ERRNO("route_add.expires_oob", wx_port_route_add(&good_c, &good_a, &none, oob), WX_EMEMVIOLATION);
    WCHECK_ERRNO("route_remove.oob", wx_port_route_remove(oob), WX_EMEMVIOLATION);

    /* Nothing above reached a table. */
    e = wx_addr_count(buf, 8, &n);
    CHECK_SHOW("refused.addr_table_empty", e == OK && n == 0, "0");
    e = wx_route_count(routes, 4, &n);
    CHECK_SHOW("refused.route_table_empty", e == OK && n == 0, "0");

    /* List calls with one entry present: buffer or count out of bounds. */
    WCHECK_ERRNO("setup.addr_add", wx_port_addr_add(&good_c), OK);
    WCHECK_ERRNO("setup.route_add", wx_port_route_add(&good_c, &good_a, &none, &none), OK);
    n = 1;
    WCHECK_ERRNO("addr_list.buf_oob", wx_port_addr_list(oob, &n), WX_EMEMVIOLATION);
    n = 1;
    WCHECK_ERRNO("addr_list.buf_straddle", wx_port_addr_list(str, &n), WX_EMEMVIOLATION);
    WCHECK_ERRNO("addr_list.count_oob", wx_port_addr_list(buf, oob), WX_EMEMVIOLATION);
    n = 1;
    WCHECK_ERRNO("route_list.buf_oob", wx_port_route_list(oob, &n), WX_EMEMVIOLATION);
    n = 1;
    WCHECK_ERRNO("route_list.buf_straddle", wx_port_route_list(str, &n), WX_EMEMVIOLATION);
    WCHECK_ERRNO("route_list.count_oob", wx_port_route_list(routes, oob), WX_EMEMVIOLATION);
    /* A capacity larger than memory is a bad pointer too, not a huge allocation. */
    n = 0x7fffffff;
    WCHECK_ERRNO("route_list.huge_capacity", wx_port_route_list(routes, &n), WX_EMEMVIOLATION);

    WCHECK_ERRNO("cleanup.addr_clear", wx_port_addr_clear(), OK);
    WCHECK_ERRNO("cleanup.route_clear", wx_port_route_clear(), OK);
    return check_done();
}
