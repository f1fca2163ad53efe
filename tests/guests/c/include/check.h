/* check.h — a tiny assertion kit for the wasix-compat guest programs.
 *
 * Every check prints exactly one line to stdout, `check-name: result`, so two runs of the
 * same program (our engine vs. wasmer-wasix) can be compared line by line and a known
 * difference can be masked by its check name.
 *
 * On the first failing check the program prints `check-name: FAIL ...` to stdout, a
 * message to stderr, and exits 1. With the environment variable WXC_KEEP_GOING=1 it
 * records the failure and carries on instead (the differential test uses this so that one
 * divergence does not hide the rest); the exit status is then 1 at the end.
 */
#ifndef WXC_CHECK_H
#define WXC_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static int wxc_keep_going = -1;
static int wxc_failures = 0;

static const char *const wxc_errno_names[] = {
    "success", "2big", "acces", "addrinuse", "addrnotavail", "afnosupport", "again",
    "already", "badf", "badmsg", "busy", "canceled", "child", "connaborted", "connrefused",
    "connreset", "deadlk", "destaddrreq", "dom", "dquot", "exist", "fault", "fbig",
    "hostunreach", "idrm", "ilseq", "inprogress", "intr", "inval", "io", "isconn", "isdir",
    "loop", "mfile", "mlink", "msgsize", "multihop", "nametoolong", "netdown", "netreset",
    "netunreach", "nfile", "nobufs", "nodev", "noent", "noexec", "nolck", "nolink", "nomem",
    "nomsg", "noprotoopt", "nospc", "nosys", "notconn", "notdir", "notempty",
    "notrecoverable", "notsock", "notsup", "notty", "nxio", "overflow", "ownerdead", "perm",
    "pipe", "proto", "protonosupport", "prototype", "range", "rofs", "spipe", "srch", "stale",
    "timedout", "txtbsy", "xdev", "notcapable",
};

static inline const char *errno_name(unsigned e) {
    static char buf[24];
    if (e < sizeof(wxc_errno_names) / sizeof(wxc_errno_names[0])) return wxc_errno_names[e];
    snprintf(buf, sizeof buf, "errno#%u", e);
    return buf;
}

static inline const char *filetype_name(unsigned t) {
    static const char *const n[] = {"unknown", "block_device", "character_device",
                                    "directory", "regular_file", "socket_dgram",
                                    "socket_stream", "symbolic_link"};
    return t < 8 ? n[t] : "filetype?";
}

static inline int wxc_keep(void) {
    if (wxc_keep_going < 0) {
        const char *v = getenv("WXC_KEEP_GOING");
        wxc_keep_going = v && *v && strcmp(v, "0") != 0;
    }
    return wxc_keep_going;
}

static inline void pass(const char *name, const char *fmt, ...) {
    va_list ap;
    printf("%s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static inline void fail(const char *name, int line, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printf("%s: FAIL %s\n", name, msg);
    fflush(stdout);
    fprintf(stderr, "check failed at line %d: %s: %s\n", line, name, msg);
    wxc_failures++;
    if (!wxc_keep()) exit(1);
}

/* A boolean condition: `name: ok`. */
#define CHECK(name, cond)                                                      \
    do {                                                                       \
        if (cond) pass((name), "ok");                                          \
        else fail((name), __LINE__, "`%s` is false", #cond);                   \
    } while (0)

/* A condition with a value to show on success: `name: <formatted>`. */
#define CHECK_SHOW(name, cond, ...)                                            \
    do {                                                                       \
        if (cond) pass((name), __VA_ARGS__);                                   \
        else fail((name), __LINE__, "`%s` is false", #cond);                   \
    } while (0)

/* An errno result that must equal `want`: `name: <errno name>`. Yields the errno. */
#define CHECK_ERRNO(name, expr, want)                                          \
    ({                                                                         \
        unsigned _got = (unsigned)(expr);                                      \
        unsigned _want = (unsigned)(want);                                     \
        if (_got == _want) pass((name), "%s", errno_name(_got));               \
        else {                                                                 \
            char _w[24];                                                       \
            snprintf(_w, sizeof _w, "%s", errno_name(_want));                  \
            fail((name), __LINE__, "got %s, want %s", errno_name(_got), _w);   \
        }                                                                      \
        _got;                                                                  \
    })

/* An errno that may be one of two values (e.g. badf / notcapable). Prints what it got. */
#define CHECK_ERRNO2(name, expr, w1, w2)                                       \
    ({                                                                         \
        unsigned _got = (unsigned)(expr);                                      \
        if (_got == (unsigned)(w1) || _got == (unsigned)(w2))                  \
            pass((name), "%s", errno_name(_got));                              \
        else {                                                                 \
            char _a[24], _b[24];                                               \
            snprintf(_a, sizeof _a, "%s", errno_name(w1));                     \
            snprintf(_b, sizeof _b, "%s", errno_name(w2));                     \
            fail((name), __LINE__, "got %s, want %s or %s", errno_name(_got), _a, _b); \
        }                                                                      \
        _got;                                                                  \
    })

#define OK __WASI_ERRNO_SUCCESS

/* WXC_SKIP=name1,name2: checks that would hang a given host (the differential test uses it
 * for wasmer-wasix only). Prints `name: skipped` and returns 1 when `name` is listed. */
static inline int skip_requested(const char *name) {
    const char *v = getenv("WXC_SKIP");
    size_t l = strlen(name);
    while (v && *v) {
        const char *end = strchr(v, ',');
        size_t n = end ? (size_t)(end - v) : strlen(v);
        if (n == l && strncmp(v, name, l) == 0) {
            pass(name, "skipped");
            return 1;
        }
        v = end ? end + 1 : NULL;
    }
    return 0;
}

/* Call at the end of main: `return check_done();` */
static inline int check_done(void) {
    printf("done: %d failure(s)\n", wxc_failures);
    fflush(stdout);
    return wxc_failures ? 1 : 0;
}

/* The preopened directory whose name is `name` (e.g. "/sandbox"), or -1. */
static inline int find_preopen(const char *name) {
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != OK) continue;
        if (ps.tag != __WASI_PREOPENTYPE_DIR) continue;
        char buf[256];
        size_t n = ps.u.dir.pr_name_len;
        if (n >= sizeof buf) continue;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, n) != OK) continue;
        buf[n] = 0;
        /* Some hosts include a trailing NUL in the length. */
        if (strcmp(buf, name) == 0) return (int)fd;
    }
    return -1;
}

static inline int sandbox_fd(void) {
    int fd = find_preopen("/sandbox");
    if (fd < 0) {
        fprintf(stderr, "no preopen named /sandbox\n");
        exit(2);
    }
    return fd;
}

/* Small wrappers over the raw calls that the programs use a lot. */
#define RIGHTS_ALL ((__wasi_rights_t)0x1FFFFFFF)

/* Opens `path` under `dir` following symlinks, asking for every right the directory can
 * hand down (its inheriting rights), as wasi-libc does; strict hosts refuse more. */
static inline __wasi_errno_t open_at_fl(int dir, __wasi_lookupflags_t lookup, const char *path,
                                        __wasi_oflags_t oflags, __wasi_fdflags_t fdflags,
                                        __wasi_fd_t *out) {
    __wasi_fdstat_t ds;
    __wasi_rights_t r = RIGHTS_ALL;
    *out = (__wasi_fd_t)-1;
    if (__wasi_fd_fdstat_get((__wasi_fd_t)dir, &ds) == __WASI_ERRNO_SUCCESS) r = ds.fs_rights_inheriting;
    /* Directories are not asked for write-to-file rights. */
    if (oflags & __WASI_OFLAGS_DIRECTORY)
        r &= ~(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE);
    return __wasi_path_open((__wasi_fd_t)dir, lookup, path, oflags, r, r, fdflags, out);
}

static inline __wasi_errno_t open_at(int dir, const char *path, __wasi_oflags_t oflags,
                                     __wasi_fdflags_t fdflags, __wasi_fd_t *out) {
    return open_at_fl(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags, fdflags, out);
}

static inline __wasi_errno_t write_all(__wasi_fd_t fd, const void *p, size_t n) {
    __wasi_ciovec_t iov = {(const uint8_t *)p, n};
    __wasi_size_t w = 0;
    __wasi_errno_t e = __wasi_fd_write(fd, &iov, 1, &w);
    if (e == OK && w != n) return __WASI_ERRNO_IO;
    return e;
}

/* Creates (or truncates) `path` under `dir` with `content`. */
static inline __wasi_errno_t put_file(int dir, const char *path, const char *content) {
    __wasi_fd_t fd;
    __wasi_errno_t e = open_at(dir, path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd);
    if (e != OK) return e;
    e = write_all(fd, content, strlen(content));
    (void)__wasi_fd_close(fd);
    return e;
}

/* Reads up to cap-1 bytes of `path` into buf (NUL-terminated). */
static inline __wasi_errno_t get_file(int dir, const char *path, char *buf, size_t cap) {
    __wasi_fd_t fd;
    __wasi_errno_t e = open_at(dir, path, 0, 0, &fd);
    if (e != OK) return e;
    size_t total = 0;
    for (;;) {
        __wasi_iovec_t iov = {(uint8_t *)buf + total, cap - 1 - total};
        __wasi_size_t r = 0;
        e = __wasi_fd_read(fd, &iov, 1, &r);
        if (e != OK || r == 0) break;
        total += r;
        if (total == cap - 1) break;
    }
    buf[total] = 0;
    (void)__wasi_fd_close(fd);
    return e;
}

static inline __wasi_timestamp_t now_ns(__wasi_clockid_t id) {
    __wasi_timestamp_t t = 0;
    if (__wasi_clock_time_get(id, 1, &t) != OK) return 0;
    return t;
}

#endif
