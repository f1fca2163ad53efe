/* port_table: the port's address table, gateway and route table for one address family,
 * with every timestamp combination (none/none, some/some, expired, past-preferred, expiring
 * during the run), list overflow, count-only lists, removal of absent entries and prefixes
 * one past the family's maximum.
 * usage: port_table 4|6   (needs no networking; the Rust test runs it with and without --net) */
#include "check.h"
#include "wasix.h"
#include "port_util.h"

static int v6;

/* 4: a.b.c.d   6: fd00:a:b:c::d — one address per family from the same four numbers. */
static wx_addr_t A(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return v6 ? wx_a6(0xfd00, a, b, c, 0, 0, 0, d) : wx_a4(a, b, c, d);
}
/* The network address of A(a,b,c,d)/prefix for the prefixes used below. */
static uint8_t P(uint8_t p4) { return v6 ? (uint8_t)(p4 + 96) : p4; }
static uint8_t MAXP(void) { return v6 ? 128 : 32; }

int main(int argc, char **argv) {
    v6 = argc > 1 && strcmp(argv[1], "6") == 0;
    wx_addr_cidr_t buf[8];
    wx_route_t routes[8];
    uint32_t n;
    wx_err_t e;

    /* ---- addresses ---- */
    e = wx_addr_count(buf, 8, &n);
    CHECK_SHOW("addr.list.initial", e == OK && n == 0, "0");

    wx_addr_cidr_t a1 = wx_cidr(A(10, 1, 2, 3), P(24));
    wx_addr_cidr_t a2 = wx_cidr(A(192, 168, 7, 9), MAXP());
    WCHECK_ERRNO("addr.add", wx_port_addr_add(&a1), OK);
    WCHECK_ERRNO("addr.add.max_prefix", wx_port_addr_add(&a2), OK);
    wx_addr_cidr_t bad = wx_cidr(A(10, 9, 9, 9), MAXP() + 1);
    WCHECK_ERRNO("addr.add.prefix_too_long", wx_port_addr_add(&bad), WX_EINVAL);
    bad = wx_cidr(A(10, 9, 9, 9), 255);
    WCHECK_ERRNO("addr.add.prefix_255", wx_port_addr_add(&bad), WX_EINVAL);

    memset(buf, 0xAA, sizeof buf);
    e = wx_addr_count(buf, 8, &n);
    CHECK_SHOW("addr.list", e == OK && n == 2, "2");
    CHECK("addr.list.first", wx_find_cidr(buf, n, &a1) >= 0);
    CHECK("addr.list.max_prefix", wx_find_cidr(buf, n, &a2) >= 0);
    CHECK("addr.list.no_write_past_count", ((uint8_t *)&buf[2])[0] == 0xAA && ((uint8_t *)&buf[7])[27] == 0xAA);

    e = wx_addr_count(buf, 1, &n);
    WCHECK_ERRNO("addr.list.overflow", e, WX_EOVERFLOW);
    CHECK_SHOW("addr.list.overflow.count", n == 2, "2");
    e = wx_addr_count(NULL, 0, &n);
    WCHECK_ERRNO("addr.list.count_only", e, WX_EOVERFLOW);
    CHECK_SHOW("addr.list.count_only.count", n == 2, "2");

    wx_addr_t h1 = A(10, 1, 2, 3);
    WCHECK_ERRNO("addr.remove", wx_port_addr_remove(&h1), OK);
    WCHECK_ERRNO("addr.remove.again", wx_port_addr_remove(&h1), WX_ENOENT);
    wx_addr_t never = A(10, 77, 77, 77);
    WCHECK_ERRNO("addr.remove.absent", wx_port_addr_remove(&never), WX_ENOENT);
    e = wx_addr_count(buf, 8, &n);
    CHECK_SHOW("addr.list.after_remove", e == OK && n == 1 && wx_cidr_eq(&buf[0], &a2), "1");

    WCHECK_ERRNO("addr.clear", wx_port_addr_clear(), OK);
    e = wx_addr_count(buf, 8, &n);
    CHECK_SHOW("addr.list.after_clear", e == OK && n == 0, "0");
    WCHECK_ERRNO("addr.clear.empty", wx_port_addr_clear(), OK);

    /* ---- gateway ---- */
    wx_addr_t gw = A(10, 1, 2, 1);
    WCHECK_ERRNO("gateway.set", wx_port_gateway_set(&gw), OK);
    WCHECK_ERRNO("gateway.set.again", wx_port_gateway_set(&gw), OK);

    /* ---- routes ---- */
    e = wx_route_count(routes, 8, &n);
    CHECK_SHOW("route.list.initial", e == OK && n == 0, "0");

    uint64_t now = wx_realtime_ns();
    const uint64_t S = 1000000000ull;
    wx_option_timestamp_t none = wx_ts_none();
    wx_option_timestamp_t pref_future = wx_ts_some(now + 3600 * S);
    wx_option_timestamp_t exp_future = wx_ts_some(now + 7200 * S);
    wx_option_timestamp_t past = wx_ts_some(now - 60 * S);
    wx_option_timestamp_t soon = wx_ts_some(now + 1500000000ull);

    /* r1: no timestamps; r2: both set; r3: already expired; r4: preferred time passed,
     * never expires; r5: expires 1.5 s from now. */
    wx_addr_cidr_t c1 = wx_cidr(A(10, 0, 0, 0), P(8));
    wx_addr_t v1 = A(10, 0, 0, 1);
    wx_addr_cidr_t c2 = wx_cidr(A(172, 16, 0, 0), P(12));
    wx_addr_t v2 = A(10, 0, 0, 2);
    wx_addr_cidr_t c3 = wx_cidr(A(192, 168, 0, 0), P(16));
    wx_addr_t v3 = A(10, 0, 0, 3);
    wx_addr_cidr_t c4 = wx_cidr(A(198, 18, 0, 0), P(15));
    wx_addr_t v4 = A(10, 0, 0, 4);
    wx_addr_cidr_t c5 = wx_cidr(A(100, 64, 0, 0), P(10));
    wx_addr_t v5 = A(10, 0, 0, 5);
    WCHECK_ERRNO("route.add.unset_unset", wx_port_route_add(&c1, &v1, &none, &none), OK);
    WCHECK_ERRNO("route.add.set_set", wx_port_route_add(&c2, &v2, &pref_future, &exp_future), OK);
    WCHECK_ERRNO("route.add.expired", wx_port_route_add(&c3, &v3, &none, &past), OK);
    WCHECK_ERRNO("route.add.past_preferred", wx_port_route_add(&c4, &v4, &past, &none), OK);
    WCHECK_ERRNO("route.add.expiring", wx_port_route_add(&c5, &v5, &none, &soon), OK);
    bad = wx_cidr(A(10, 0, 0, 0), MAXP() + 1);
    WCHECK_ERRNO("route.add.prefix_too_long", wx_port_route_add(&bad, &v1, &none, &none), WX_EINVAL);

    memset(routes, 0xAA, sizeof routes);
    e = wx_route_count(routes, 8, &n);
    CHECK_SHOW("route.list", e == OK && n == 4, "4");
    int i1 = wx_find_route(routes, n, &c1), i2 = wx_find_route(routes, n, &c2);
    int i4 = wx_find_route(routes, n, &c4), i5 = wx_find_route(routes, n, &c5);
    CHECK("route.list.expired_absent", wx_find_route(routes, n, &c3) < 0);
    CHECK("route.list.unset_unset",
          i1 >= 0 && wx_addr_eq(&routes[i1].via_router, &v1) &&
              wx_ts_eq(&routes[i1].preferred_until, &none) && wx_ts_eq(&routes[i1].expires_at, &none));
    CHECK("route.list.set_set",
          i2 >= 0 && wx_addr_eq(&routes[i2].via_router, &v2) &&
              wx_ts_eq(&routes[i2].preferred_until, &pref_future) &&
              wx_ts_eq(&routes[i2].expires_at, &exp_future));
    CHECK("route.list.past_preferred",
          i4 >= 0 && wx_addr_eq(&routes[i4].via_router, &v4) &&
              wx_ts_eq(&routes[i4].preferred_until, &past) && wx_ts_eq(&routes[i4].expires_at, &none));
    CHECK("route.list.expiring",
          i5 >= 0 && wx_addr_eq(&routes[i5].via_router, &v5) &&
              wx_ts_eq(&routes[i5].preferred_until, &none) && wx_ts_eq(&routes[i5].expires_at, &soon));
    CHECK("route.list.no_write_past_count", ((uint8_t *)&routes[4])[0] == 0xAA);

    e = wx_route_count(routes, 1, &n);
    WCHECK_ERRNO("route.list.overflow", e, WX_EOVERFLOW);
    CHECK_SHOW("route.list.overflow.count", n == 4, "4");
    e = wx_route_count(NULL, 0, &n);
    WCHECK_ERRNO("route.list.count_only", e, WX_EOVERFLOW);
    CHECK_SHOW("route.list.count_only.count", n == 4, "4");

    /* The expiring route disappears once its time has passed. */
    while (wx_realtime_ns() <= soon.ts + 200000000ull) wx_sleep_ms(100);
    e = wx_route_count(routes, 8, &n);
    CHECK_SHOW("route.list.after_expiry", e == OK && n == 3 && wx_find_route(routes, n, &c5) < 0, "3");

    wx_addr_t n1 = A(10, 0, 0, 0);
    WCHECK_ERRNO("route.remove", wx_port_route_remove(&n1), OK);
    WCHECK_ERRNO("route.remove.again", wx_port_route_remove(&n1), WX_ENOENT);
    wx_addr_t n3 = A(192, 168, 0, 0); /* the expired route is gone too */
    WCHECK_ERRNO("route.remove.expired", wx_port_route_remove(&n3), WX_ENOENT);
    WCHECK_ERRNO("route.remove.absent", wx_port_route_remove(&never), WX_ENOENT);
    e = wx_route_count(routes, 8, &n);
    CHECK_SHOW("route.list.after_remove", e == OK && n == 2 && wx_find_route(routes, n, &c1) < 0, "2");

    WCHECK_ERRNO("route.clear", wx_port_route_clear(), OK);
    e = wx_route_count(routes, 8, &n);
    CHECK_SHOW("route.list.after_clear", e == OK && n == 0, "0");
    WCHECK_ERRNO("route.clear.empty", wx_port_route_clear(), OK);
    /* The address table was not touched by route operations. */
    e = wx_addr_count(buf, 8, &n);
    CHECK_SHOW("addr.list.still_empty", e == OK && n == 0, "0");
    return check_done();
}
