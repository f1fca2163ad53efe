// Sandbox probe: runs a list of filesystem operations given on the command line, each
// relative to a preopened directory named by its guest path, and prints one line per
// operation: `LABEL=ok[:detail]` or `LABEL=ERRNO_NAME` (preview1 errno names).
//
// Operations are separated by a lone `,` argument. Each starts with a label:
//   LABEL open    DIR PATH FLAGS   FLAGS: letters from f(ollow) c(reat) t(runc) x(excl)
//                                   d(irectory) w(rite "PWNED") r(ead and print), or `-`
//   LABEL stat    DIR PATH FLAGS   f = follow symlinks; prints type and size
//   LABEL rename  DIR1 OLD DIR2 NEW
//   LABEL link    DIR1 OLD DIR2 NEW FLAGS   f = follow symlinks in OLD
//   LABEL symlink TARGET DIR NEW
//   LABEL unlink  DIR PATH
//   LABEL mkdir   DIR PATH
//   LABEL rmdir   DIR PATH
//   LABEL readlink DIR PATH
//   LABEL utimes  DIR PATH         path_filestat_set_times(ATIM_NOW|MTIM_NOW), follow
//   LABEL setsize DIR PATH         open (following symlinks) with FILESTAT_SET_SIZE, set size 0
//   LABEL fdtimes DIR PATH         open read-only, then fd_filestat_set_times(ATIM_NOW|MTIM_NOW)
//   LABEL fopen   PATH MODE        wasi-libc fopen (absolute guest path); prints contents
//   LABEL readdir DIR PATH         lists entry names (sorted by the guest), comma-joined
//   LABEL subopen DIR SUB PATH FLAGS  opens directory SUB, then `open` PATH relative to it
//                                  (prints `dir=ERRNO` if SUB itself cannot be opened)
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static const char *const ERRNO_NAMES[] = {
    "success", "2big", "acces", "addrinuse", "addrnotavail", "afnosupport", "again",
    "already", "badf", "badmsg", "busy", "canceled", "child", "connaborted",
    "connrefused", "connreset", "deadlk", "destaddrreq", "dom", "dquot", "exist",
    "fault", "fbig", "hostunreach", "idrm", "ilseq", "inprogress", "intr", "inval",
    "io", "isconn", "isdir", "loop", "mfile", "mlink", "msgsize", "multihop",
    "nametoolong", "netdown", "netreset", "netunreach", "nfile", "nobufs", "nodev",
    "noent", "noexec", "nolck", "nolink", "nomem", "nomsg", "noprotoopt", "nospc",
    "nosys", "notconn", "notdir", "notempty", "notrecoverable", "notsock", "notsup",
    "notty", "nxio", "overflow", "ownerdead", "perm", "pipe", "proto",
    "protonosupport", "prototype", "range", "rofs", "spipe", "srch", "stale",
    "timedout", "txtbsy", "xdev", "notcapable",
};

static const char *errname(unsigned e) {
    static char buf[32];
    if (e < sizeof(ERRNO_NAMES) / sizeof(ERRNO_NAMES[0])) return ERRNO_NAMES[e];
    snprintf(buf, sizeof buf, "errno%u", e);
    return buf;
}

// Prints bytes with non-printables escaped, so a leaked secret is visible in the output.
static void print_escaped(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
            putchar(p[i]);
        else
            printf("\\x%02x", p[i]);
    }
}

static __wasi_fd_t find_preopen(const char *name) {
    for (__wasi_fd_t fd = 3; fd < 128; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0) continue;
        if (ps.tag != __WASI_PREOPENTYPE_DIR) continue;
        size_t len = ps.u.dir.pr_name_len;
        char buf[512];
        if (len >= sizeof buf) continue;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, len) != 0) continue;
        buf[len] = 0;
        // Some runtimes report a trailing NUL inside the length.
        while (len > 0 && buf[len - 1] == 0) len--;
        if (strlen(name) == len && memcmp(buf, name, len) == 0) return fd;
    }
    printf("FATAL: no preopen named %s\n", name);
    exit(90);
}

static int has(const char *flags, char c) { return strchr(flags, c) != NULL; }

static const __wasi_rights_t ALL_READ =
    __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
    __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN |
    __WASI_RIGHTS_PATH_FILESTAT_GET;

static void open_at(__wasi_fd_t d, const char *path, const char *flags);

static void op_open(const char *dir, const char *path, const char *flags) {
    open_at(find_preopen(dir), path, flags);
}

static void op_subopen(const char *dir, const char *sub, const char *path, const char *flags) {
    __wasi_fd_t d;
    // Every inheritable right, so that only the sandbox (not the rights) can refuse what
    // follows; the directory itself is not asked for write access (that is `isdir`).
    const __wasi_rights_t all = ((__wasi_rights_t)1 << 29) - 1;
    const __wasi_rights_t base =
        all & ~(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_ALLOCATE |
                __WASI_RIGHTS_FD_FILESTAT_SET_SIZE);
    __wasi_errno_t e = __wasi_path_open(find_preopen(dir), __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, sub,
                                        __WASI_OFLAGS_DIRECTORY, base, all, 0, &d);
    if (e) {
        printf("dir=%s", errname(e));
        return;
    }
    open_at(d, path, flags);
    (void)__wasi_fd_close(d);
}

static void open_at(__wasi_fd_t d, const char *path, const char *flags) {
    __wasi_lookupflags_t lf = has(flags, 'f') ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0;
    __wasi_oflags_t of = 0;
    if (has(flags, 'c')) of |= __WASI_OFLAGS_CREAT;
    if (has(flags, 't')) of |= __WASI_OFLAGS_TRUNC;
    if (has(flags, 'x')) of |= __WASI_OFLAGS_EXCL;
    if (has(flags, 'd')) of |= __WASI_OFLAGS_DIRECTORY;
    __wasi_rights_t rights = ALL_READ;
    if (has(flags, 'w') || has(flags, 'c') || has(flags, 't'))
        rights |= __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE;
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(d, lf, path, of, rights, rights, 0, &fd);
    if (e) {
        printf("%s", errname(e));
        return;
    }
    printf("ok");
    if (has(flags, 'w')) {
        __wasi_ciovec_t iov = {(const uint8_t *)"PWNED", 5};
        __wasi_size_t n = 0;
        e = __wasi_fd_write(fd, &iov, 1, &n);
        if (e)
            printf(":write=%s", errname(e));
        else
            printf(":wrote=%u", (unsigned)n);
    }
    if (has(flags, 'r')) {
        unsigned char buf[256];
        __wasi_iovec_t iov = {buf, sizeof buf};
        __wasi_size_t n = 0;
        e = __wasi_fd_read(fd, &iov, 1, &n);
        if (e) {
            printf(":read=%s", errname(e));
        } else {
            printf(":");
            print_escaped(buf, n);
        }
    }
    (void)__wasi_fd_close(fd);
}

static void op_stat(const char *dir, const char *path, const char *flags) {
    __wasi_filestat_t st;
    __wasi_lookupflags_t lf = has(flags, 'f') ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0;
    __wasi_errno_t e = __wasi_path_filestat_get(find_preopen(dir), lf, path, &st);
    if (e)
        printf("%s", errname(e));
    else
        printf("ok:type=%u size=%llu", (unsigned)st.filetype, (unsigned long long)st.size);
}

static void result(__wasi_errno_t e) { printf("%s", e ? errname(e) : "ok"); }

static void op_setsize(const char *dir, const char *path) {
    __wasi_fd_t fd;
    __wasi_rights_t r = ALL_READ | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE;
    __wasi_errno_t e = __wasi_path_open(find_preopen(dir), __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path,
                                        0, r, r, 0, &fd);
    if (e) {
        printf("open=%s", errname(e));
        return;
    }
    result(__wasi_fd_filestat_set_size(fd, 0));
    (void)__wasi_fd_close(fd);
}

static void op_fdtimes(const char *dir, const char *path) {
    __wasi_fd_t fd;
    __wasi_rights_t r = ALL_READ | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES;
    __wasi_errno_t e = __wasi_path_open(find_preopen(dir), __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path,
                                        0, r, r, 0, &fd);
    if (e) {
        printf("open=%s", errname(e));
        return;
    }
    result(__wasi_fd_filestat_set_times(fd, 0, 0,
                                        __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    (void)__wasi_fd_close(fd);
}

static void op_fopen(const char *path, const char *mode) {
    errno = 0;
    FILE *f = fopen(path, mode);
    if (!f) {
        printf("errno=%s", strerror(errno));
        return;
    }
    unsigned char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    printf("ok:");
    print_escaped(buf, n);
    fclose(f);
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void op_readdir(const char *dir, const char *path) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(find_preopen(dir), __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
                                        path, __WASI_OFLAGS_DIRECTORY, ALL_READ, ALL_READ, 0,
                                        &fd);
    if (e) {
        printf("%s", errname(e));
        return;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        printf("fdopendir=%s", strerror(errno));
        return;
    }
    char *names[256];
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) && n < 256) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
        names[n++] = strdup(ent->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("ok:");
    for (int i = 0; i < n; i++) printf("%s%s", i ? "," : "", names[i]);
}

static int need(char **a, int n, int want, const char *label) {
    if (n != want) {
        printf("%s=BADARGS(%d, want %d)\n", label, n, want);
        exit(91);
    }
    return 1;
}

int main(int argc, char **argv) {
    int i = 1;
    while (i < argc) {
        int j = i;
        while (j < argc && strcmp(argv[j], ",") != 0) j++;
        char **a = argv + i;
        int n = j - i;  // a[0] = label, a[1] = op, a[2..] = operands
        if (n < 2) {
            printf("BADOP\n");
            return 92;
        }
        const char *label = a[0], *op = a[1];
        char **p = a + 2;
        int np = n - 2;
        printf("%s=", label);
        if (!strcmp(op, "open") && need(p, np, 3, label)) {
            op_open(p[0], p[1], p[2]);
        } else if (!strcmp(op, "stat") && need(p, np, 3, label)) {
            op_stat(p[0], p[1], p[2]);
        } else if (!strcmp(op, "rename") && need(p, np, 4, label)) {
            result(__wasi_path_rename(find_preopen(p[0]), p[1], find_preopen(p[2]), p[3]));
        } else if (!strcmp(op, "link") && need(p, np, 5, label)) {
            __wasi_lookupflags_t lf = has(p[4], 'f') ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0;
            result(__wasi_path_link(find_preopen(p[0]), lf, p[1], find_preopen(p[2]), p[3]));
        } else if (!strcmp(op, "symlink") && need(p, np, 3, label)) {
            result(__wasi_path_symlink(p[0], find_preopen(p[1]), p[2]));
        } else if (!strcmp(op, "unlink") && need(p, np, 2, label)) {
            result(__wasi_path_unlink_file(find_preopen(p[0]), p[1]));
        } else if (!strcmp(op, "mkdir") && need(p, np, 2, label)) {
            result(__wasi_path_create_directory(find_preopen(p[0]), p[1]));
        } else if (!strcmp(op, "rmdir") && need(p, np, 2, label)) {
            result(__wasi_path_remove_directory(find_preopen(p[0]), p[1]));
        } else if (!strcmp(op, "readlink") && need(p, np, 2, label)) {
            char buf[512];
            __wasi_size_t len = 0;
            __wasi_errno_t e =
                __wasi_path_readlink(find_preopen(p[0]), p[1], (uint8_t *)buf, sizeof buf, &len);
            if (e) {
                printf("%s", errname(e));
            } else {
                printf("ok:");
                print_escaped((unsigned char *)buf, len);
            }
        } else if (!strcmp(op, "utimes") && need(p, np, 2, label)) {
            result(__wasi_path_filestat_set_times(
                find_preopen(p[0]), __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, p[1], 0, 0,
                __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
        } else if (!strcmp(op, "setsize") && need(p, np, 2, label)) {
            op_setsize(p[0], p[1]);
        } else if (!strcmp(op, "fdtimes") && need(p, np, 2, label)) {
            op_fdtimes(p[0], p[1]);
        } else if (!strcmp(op, "fopen") && need(p, np, 2, label)) {
            op_fopen(p[0], p[1]);
        } else if (!strcmp(op, "subopen") && need(p, np, 4, label)) {
            op_subopen(p[0], p[1], p[2], p[3]);
        } else if (!strcmp(op, "readdir") && need(p, np, 2, label)) {
            op_readdir(p[0], p[1]);
        } else {
            printf("UNKNOWN_OP(%s)\n", op);
            return 93;
        }
        printf("\n");
        fflush(stdout);
        i = j + 1;
    }
    return 0;
}
