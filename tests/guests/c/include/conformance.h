/* Shared helpers for the conformance_*.c guests: raw preview1 calls, soft assertions that
 * accept a set of errnos (the public suite accepts "A or B" in many places), and the
 * scratch-directory convention of the suite (a preopen found by its name). */
#ifndef WXC_CONFORMANCE_H
#define WXC_CONFORMANCE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static int cf_failures = 0;

/* Errno names for readable failure lines. */
static __attribute__((unused)) const char *cf_name(int e) {
    static const char *n[] = {"SUCCESS", "2BIG", "ACCES", "ADDRINUSE", "ADDRNOTAVAIL", "AFNOSUPPORT",
        "AGAIN", "ALREADY", "BADF", "BADMSG", "BUSY", "CANCELED", "CHILD", "CONNABORTED",
        "CONNREFUSED", "CONNRESET", "DEADLK", "DESTADDRREQ", "DOM", "DQUOT", "EXIST", "FAULT",
        "FBIG", "HOSTUNREACH", "IDRM", "ILSEQ", "INPROGRESS", "INTR", "INVAL", "IO", "ISCONN",
        "ISDIR", "LOOP", "MFILE", "MLINK", "MSGSIZE", "MULTIHOP", "NAMETOOLONG", "NETDOWN",
        "NETRESET", "NETUNREACH", "NFILE", "NOBUFS", "NODEV", "NOENT", "NOEXEC", "NOLCK",
        "NOLINK", "NOMEM", "NOMSG", "NOPROTOOPT", "NOSPC", "NOSYS", "NOTCONN", "NOTDIR",
        "NOTEMPTY", "NOTRECOVERABLE", "NOTSOCK", "NOTSUP", "NOTTY", "NXIO", "OVERFLOW",
        "OWNERDEAD", "PERM", "PIPE", "PROTO", "PROTONOSUPPORT", "PROTOTYPE", "RANGE", "ROFS",
        "SPIPE", "SRCH", "STALE", "TIMEDOUT", "TXTBSY", "XDEV", "NOTCAPABLE"};
    if (e >= 0 && e < (int)(sizeof n / sizeof n[0])) return n[e];
    return "?";
}

/* EXPECT_ERRNO(call, allowed...): the call must return one of the listed errnos. */
static __attribute__((unused)) void cf_expect(int got, const int *ok, int nok, const char *what, int line) {
    for (int i = 0; i < nok; i++)
        if (got == ok[i]) return;
    cf_failures++;
    printf("FAIL line %d: %s -> %s(%d); expected", line, what, cf_name(got), got);
    for (int i = 0; i < nok; i++) printf(" %s", cf_name(ok[i]));
    printf("\n");
}
#define EXPECT_ERRNO(call, ...)                                                  \
    do {                                                                         \
        int cf_ok_[] = {__VA_ARGS__};                                            \
        cf_expect((int)(call), cf_ok_, (int)(sizeof cf_ok_ / sizeof(int)), #call, \
                  __LINE__);                                                     \
    } while (0)
#define EXPECT_OK(call) EXPECT_ERRNO(call, 0)
#define CHECK(cond)                                                    \
    do {                                                               \
        if (!(cond)) {                                                 \
            cf_failures++;                                             \
            printf("FAIL line %d: %s\n", __LINE__, #cond);             \
        }                                                              \
    } while (0)
/* A step the rest of the program depends on: stop on failure. */
#define MUST(call)                                                                   \
    do {                                                                             \
        int cf_e_ = (int)(call);                                                     \
        if (cf_e_ != 0) {                                                            \
            printf("FATAL line %d: %s -> %s(%d)\n", __LINE__, #call, cf_name(cf_e_), \
                   cf_e_);                                                           \
            exit(2);                                                                 \
        }                                                                            \
    } while (0)

/* Ends the program: prints a summary line and exits 0 only when nothing failed. */
static __attribute__((unused)) int cf_finish(const char *name) {
    if (cf_failures == 0) {
        printf("ok %s\n", name);
        return 0;
    }
    printf("%d failure(s) in %s\n", cf_failures, name);
    return 1;
}

/* The preopen whose name equals `name` (the suite looks preopens up this way). */
static __attribute__((unused)) __wasi_fd_t cf_find_preopen(const char *name) {
    for (__wasi_fd_t fd = 3;; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0) break;
        if (ps.tag != __WASI_PREOPENTYPE_DIR) continue;
        char buf[256];
        size_t len = ps.u.dir.pr_name_len;
        if (len >= sizeof buf) continue;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, len) != 0) continue;
        buf[len] = 0;
        if (strcmp(buf, name) == 0) return fd;
    }
    printf("FATAL: no preopen named %s\n", name);
    exit(2);
}

/* A fresh fd for the scratch preopen: path_open(".") with the preopen's own rights. */
static __attribute__((unused)) __wasi_fd_t cf_scratch(const char *name) {
    __wasi_fd_t pre = cf_find_preopen(name);
    __wasi_fdstat_t st;
    MUST(__wasi_fd_fdstat_get(pre, &st));
    __wasi_fd_t fd;
    MUST(__wasi_path_open(pre, 0, ".", __WASI_OFLAGS_DIRECTORY, st.fs_rights_base,
                          st.fs_rights_inheriting, 0, &fd));
    return fd;
}

#define CF_DIR_BASE_RIGHTS                                                                   \
    (__WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_CREATE_FILE | \
     __WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY |                 \
     __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_UNLINK_FILE | __WASI_RIGHTS_PATH_LINK_SOURCE |  \
     __WASI_RIGHTS_PATH_LINK_TARGET | __WASI_RIGHTS_PATH_READLINK |                             \
     __WASI_RIGHTS_PATH_RENAME_SOURCE | __WASI_RIGHTS_PATH_RENAME_TARGET |                      \
     __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE |                   \
     __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES | __WASI_RIGHTS_PATH_SYMLINK)
#define CF_DIR_INHERIT_RIGHTS                                                               \
    (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READDIR |               \
     __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_PATH_LINK_SOURCE |  \
     __WASI_RIGHTS_PATH_LINK_TARGET | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_UNLINK_FILE | \
     __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_FD_SYNC | \
     __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE |             \
     __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES)

/* Creates `name` under `base` and opens it with the rights the suite's helper asks for. */
static __attribute__((unused)) __wasi_fd_t cf_tmp_dir(__wasi_fd_t base, const char *name) {
    MUST(__wasi_path_create_directory(base, name));
    __wasi_fd_t fd;
    MUST(__wasi_path_open(base, 0, name, __WASI_OFLAGS_DIRECTORY, CF_DIR_BASE_RIGHTS,
                          CF_DIR_INHERIT_RIGHTS, 0, &fd));
    return fd;
}

/* Creates (or opens) a file with no rights requested and closes it. */
static __attribute__((unused)) void cf_touch(__wasi_fd_t dir, const char *name) {
    __wasi_fd_t fd;
    MUST(__wasi_path_open(dir, 0, name, __WASI_OFLAGS_CREAT, 0, 0, 0, &fd));
    MUST(__wasi_fd_close(fd));
}

/* Opens with the given flags; returns the errno and stores the fd (closed by the caller). */
static __attribute__((unused)) int cf_open(__wasi_fd_t dir, int follow, const char *p, int oflags, uint64_t base,
                   uint64_t inh, int fdflags, __wasi_fd_t *out) {
    *out = (__wasi_fd_t)-1;
    return __wasi_path_open(dir, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, p, oflags, base,
                            inh, fdflags, out);
}

/* path_open that must fail: closes any fd it got, returns the errno (0 means it opened). */
static __attribute__((unused)) int cf_open_err(__wasi_fd_t dir, int follow, const char *p, int oflags, uint64_t base,
                       uint64_t inh, int fdflags) {
    __wasi_fd_t fd;
    int e = cf_open(dir, follow, p, oflags, base, inh, fdflags, &fd);
    if (e == 0) (void)!__wasi_fd_close(fd);
    return e;
}

static __attribute__((unused)) size_t cf_write(__wasi_fd_t fd, const void *buf, size_t n, int *err) {
    __wasi_ciovec_t iov = {(const uint8_t *)buf, n};
    __wasi_size_t done = 0;
    *err = __wasi_fd_write(fd, &iov, 1, &done);
    return done;
}
static __attribute__((unused)) size_t cf_read(__wasi_fd_t fd, void *buf, size_t n, int *err) {
    __wasi_iovec_t iov = {(uint8_t *)buf, n};
    __wasi_size_t done = 0;
    *err = __wasi_fd_read(fd, &iov, 1, &done);
    return done;
}

/* Closes an fd we no longer need (result ignored on purpose). */
static __attribute__((unused)) void cf_close(__wasi_fd_t fd) {
    if (fd != (__wasi_fd_t)-1) (void)!__wasi_fd_close(fd);
}

#endif
