/* port_util.h — helpers for the port_* guest programs (tests/guests/c/port_*.c): building
 * witx addr / addr_cidr / option_timestamp values, comparing what the list calls wrote,
 * and pointers that lie outside linear memory. Include after check.h and wasix.h. */
#ifndef WXC_PORT_UTIL_H
#define WXC_PORT_UTIL_H

#include <string.h>
#include <time.h>

/* The first address past the end of linear memory (fully out of bounds), and one 8 bytes
 * before it (a record placed there runs off the end). Both are 8-aligned. */
static inline void *wx_oob(void) {
    return (void *)(uintptr_t)(__builtin_wasm_memory_size(0) * 65536u);
}
static inline void *wx_straddle(void) {
    return (void *)((uintptr_t)(__builtin_wasm_memory_size(0) * 65536u) - 8);
}

static inline wx_addr_t wx_a4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    wx_addr_t x;
    memset(&x, 0, sizeof x);
    x.tag = WX_AF_INET4;
    x.u.ip4.n0 = a; x.u.ip4.n1 = b; x.u.ip4.h0 = c; x.u.ip4.h1 = d;
    return x;
}

/* Segments in address order (seg[0] is the most significant), native u16 values. */
static inline wx_addr_t wx_a6(uint16_t s0, uint16_t s1, uint16_t s2, uint16_t s3,
                              uint16_t s4, uint16_t s5, uint16_t s6, uint16_t s7) {
    wx_addr_t x;
    memset(&x, 0, sizeof x);
    x.tag = WX_AF_INET6;
    uint16_t s[8] = {s0, s1, s2, s3, s4, s5, s6, s7};
    memcpy(x.u.ip6.seg, s, sizeof s);
    return x;
}

/* A CIDR from an address (its family and bytes) and a prefix. */
static inline wx_addr_cidr_t wx_cidr(wx_addr_t a, uint8_t prefix) {
    wx_addr_cidr_t c;
    memset(&c, 0, sizeof c);
    c.tag = a.tag;
    if (a.tag == WX_AF_INET4) {
        c.u.ip4.addr = a.u.ip4;
        c.u.ip4.prefix = prefix;
    } else if (a.tag == WX_AF_INET6) {
        c.u.ip6.addr = a.u.ip6;
        c.u.ip6.prefix = prefix;
    }
    return c;
}

static inline wx_option_timestamp_t wx_ts_none(void) {
    wx_option_timestamp_t t;
    memset(&t, 0, sizeof t);
    return t;
}
static inline wx_option_timestamp_t wx_ts_some(uint64_t ns) {
    wx_option_timestamp_t t;
    memset(&t, 0, sizeof t);
    t.tag = 1;
    t.ts = ns;
    return t;
}

static inline uint64_t wx_realtime_ns(void) {
    return now_ns(__WASI_CLOCKID_REALTIME); /* check.h */
}

static inline void wx_sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Same family, same address bytes (ip6: the 8 segments), same prefix. */
static inline int wx_cidr_eq(const wx_addr_cidr_t *a, const wx_addr_cidr_t *b) {
    if (a->tag != b->tag) return 0;
    if (a->tag == WX_AF_INET4)
        return memcmp(&a->u.ip4.addr, &b->u.ip4.addr, 4) == 0 && a->u.ip4.prefix == b->u.ip4.prefix;
    if (a->tag == WX_AF_INET6)
        return memcmp(a->u.ip6.addr.seg, b->u.ip6.addr.seg, 16) == 0 &&
               a->u.ip6.prefix == b->u.ip6.prefix;
    return 0;
}

static inline int wx_addr_eq(const wx_addr_t *a, const wx_addr_t *b) {
    if (a->tag != b->tag) return 0;
    if (a->tag == WX_AF_INET4) return memcmp(&a->u.ip4, &b->u.ip4, 4) == 0;
    if (a->tag == WX_AF_INET6) return memcmp(a->u.ip6.seg, b->u.ip6.seg, 16) == 0;
    return 0;
}

static inline const char *wx_fmt_cidr(const wx_addr_cidr_t *c) {
    static char buf[80];
    if (c->tag == WX_AF_INET4) {
        const wx_addr_ip4_t *a = &c->u.ip4.addr;
        snprintf(buf, sizeof buf, "%u.%u.%u.%u/%u", a->n0, a->n1, a->h0, a->h1, c->u.ip4.prefix);
    } else if (c->tag == WX_AF_INET6) {
        const uint16_t *s = c->u.ip6.addr.seg;
        snprintf(buf, sizeof buf, "%x:%x:%x:%x:%x:%x:%x:%x/%u", s[0], s[1], s[2], s[3], s[4], s[5],
                 s[6], s[7], c->u.ip6.prefix);
    } else
        snprintf(buf, sizeof buf, "family#%u", c->tag);
    return buf;
}

/* The index of the CIDR equal to `want` among n entries, or -1. */
static inline int wx_find_cidr(const wx_addr_cidr_t *list, uint32_t n, const wx_addr_cidr_t *want) {
    for (uint32_t i = 0; i < n; i++)
        if (wx_cidr_eq(&list[i], want)) return (int)i;
    return -1;
}
static inline int wx_find_route(const wx_route_t *list, uint32_t n, const wx_addr_cidr_t *want) {
    for (uint32_t i = 0; i < n; i++)
        if (wx_cidr_eq(&list[i].cidr, want)) return (int)i;
    return -1;
}

/* Counts with a capacity of `cap`; returns the errno, *n the reported count. */
static inline wx_err_t wx_addr_count(wx_addr_cidr_t *buf, uint32_t cap, uint32_t *n) {
    *n = cap;
    return wx_port_addr_list(buf, n);
}
static inline wx_err_t wx_route_count(wx_route_t *buf, uint32_t cap, uint32_t *n) {
    *n = cap;
    return wx_port_route_list(buf, n);
}

static inline int wx_ts_eq(const wx_option_timestamp_t *a, const wx_option_timestamp_t *b) {
    return a->tag == b->tag && (a->tag == 0 || a->ts == b->ts);
}

#endif
