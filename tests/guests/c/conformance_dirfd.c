/* Directory descriptors as the public preview1 suite checks them: I/O on a directory fails
 * with isdir / badf / notcapable, fd_readdir lists "." and ".." with matching inodes,
 * resumes from a cookie, fills the buffer exactly, and lists 1000 files in full. */
#include "conformance.h"

static void dir_ops(__wasi_fd_t d) {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(d, &st));
    CHECK(st.filetype == __WASI_FILETYPE_DIRECTORY);
    uint8_t buf[128];
    __wasi_iovec_t io = {buf, sizeof buf};
    __wasi_ciovec_t ci = {buf, sizeof buf};
    __wasi_size_t n;
    __wasi_filesize_t off;
#define DIRERR __WASI_ERRNO_ISDIR, __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE
    EXPECT_ERRNO(__wasi_fd_read(d, &io, 1, &n), DIRERR);
    EXPECT_ERRNO(__wasi_fd_pread(d, &io, 1, 0, &n), DIRERR);
    EXPECT_ERRNO(__wasi_fd_write(d, &ci, 1, &n), DIRERR);
    EXPECT_ERRNO(__wasi_fd_pwrite(d, &ci, 1, 0, &n), DIRERR);
    EXPECT_ERRNO(__wasi_fd_seek(d, 0, __WASI_WHENCE_CUR, &off), DIRERR);
    EXPECT_ERRNO(__wasi_fd_seek(d, 0, __WASI_WHENCE_SET, &off), DIRERR);
    EXPECT_ERRNO(__wasi_fd_seek(d, 0, __WASI_WHENCE_END, &off), DIRERR);
    EXPECT_ERRNO(__wasi_fd_tell(d, &off), DIRERR);
    EXPECT_ERRNO(__wasi_fd_allocate(d, 0, 0), DIRERR);
    EXPECT_ERRNO(__wasi_fd_filestat_set_size(d, 0), DIRERR, __WASI_ERRNO_INVAL);
}

struct ent {
    __wasi_dirent_t d;
    char name[64];
};

/* Parses one fd_readdir buffer; returns how many whole entries it held. */
static int parse(const uint8_t *buf, size_t used, struct ent *out, int max) {
    int n = 0;
    size_t at = 0;
    while (at + sizeof(__wasi_dirent_t) <= used && n < max) {
        memcpy(&out[n].d, buf + at, sizeof(__wasi_dirent_t));
        size_t nl = out[n].d.d_namlen;
        if (at + sizeof(__wasi_dirent_t) + nl > used) break;
        size_t cp = nl < 63 ? nl : 63;
        memcpy(out[n].name, buf + at + sizeof(__wasi_dirent_t), cp);
        out[n].name[cp] = 0;
        at += sizeof(__wasi_dirent_t) + nl;
        n++;
    }
    return n;
}

static struct ent *find(struct ent *e, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0) return &e[i];
    return NULL;
}

static void readdir_(__wasi_fd_t base) {
    __wasi_fd_t d;
    MUST(__wasi_path_create_directory(base, "rd.cleanup"));
    MUST(cf_open(base, 0, "rd.cleanup", __WASI_OFLAGS_DIRECTORY,
                 __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR |
                     __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_OPEN |
                     __WASI_RIGHTS_PATH_UNLINK_FILE,
                 __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READDIR |
                     __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_SEEK,
                 0, &d));
    __wasi_filestat_t dst;
    MUST(__wasi_fd_filestat_get(d, &dst));

    static uint8_t buf[256];
    struct ent ents[8];
    __wasi_size_t used = 0;
    EXPECT_OK(__wasi_fd_readdir(d, buf, sizeof buf, 0, &used));
    CHECK(used < sizeof buf);
    int n = parse(buf, used, ents, 8);
    CHECK(n == 2);
    struct ent *dot = find(ents, n, "."), *dotdot = find(ents, n, "..");
    CHECK(dot != NULL && dotdot != NULL);
    if (dot) {
        CHECK(dot->d.d_type == __WASI_FILETYPE_DIRECTORY);
        CHECK(dot->d.d_ino == dst.ino);
        CHECK(dot->d.d_namlen == 1);
    }
    if (dotdot) CHECK(dotdot->d.d_type == __WASI_FILETYPE_DIRECTORY);

    __wasi_fd_t f;
    MUST(cf_open(d, 0, "file", __WASI_OFLAGS_CREAT,
                 __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READDIR |
                     __WASI_RIGHTS_FD_FILESTAT_GET,
                 0, 0, &f));
    __wasi_filestat_t fst;
    MUST(__wasi_fd_filestat_get(f, &fst));
    cf_close(f);

    EXPECT_OK(__wasi_fd_readdir(d, buf, sizeof buf, 0, &used));
    CHECK(used < sizeof buf);
    n = parse(buf, used, ents, 8);
    CHECK(n == 3);
    struct ent *fe = find(ents, n, "file");
    CHECK(fe != NULL);
    if (fe) {
        CHECK(fe->d.d_type == __WASI_FILETYPE_REGULAR_FILE);
        CHECK(fe->d.d_ino == fst.ino);
    }
    if (n == 3) {
        /* Resuming after the second entry yields exactly the third. */
        char last[64];
        strcpy(last, ents[2].name);
        __wasi_dircookie_t ck = ents[1].d.d_next;
        EXPECT_OK(__wasi_fd_readdir(d, buf, sizeof buf, ck, &used));
        struct ent tail[4];
        int m = parse(buf, used, tail, 4);
        CHECK(m == 1);
        if (m == 1) CHECK(strcmp(tail[0].name, last) == 0);
        /* Past the end: nothing. */
        EXPECT_OK(__wasi_fd_readdir(d, buf, sizeof buf, ents[2].d.d_next, &used));
        CHECK(used == 0);
        /* A small buffer is filled completely (the last entry truncated). */
        uint8_t small[30];
        EXPECT_OK(__wasi_fd_readdir(d, small, sizeof small, 0, &used));
        CHECK(used == sizeof small);
    }
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));

    /* 1000 files, read in 256-byte chunks by cookie. */
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "file.%d", i);
        MUST(cf_open(d, 0, name, __WASI_OFLAGS_CREAT,
                     __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &f));
        cf_close(f);
    }
    int total = 0, rounds = 0;
    __wasi_dircookie_t ck = 0;
    for (;;) {
        struct ent chunk[16];
        EXPECT_OK(__wasi_fd_readdir(d, buf, sizeof buf, ck, &used));
        int m = parse(buf, used, chunk, 16);
        total += m;
        if (used < sizeof buf || m == 0 || ++rounds > 5000) break;
        ck = chunk[m - 1].d.d_next;
    }
    CHECK(total == 1002);
    if (total != 1002) printf("  listed %d entries\n", total);
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "file.%d", i);
        EXPECT_OK(__wasi_path_unlink_file(d, name));
    }
    cf_close(d);
    EXPECT_OK(__wasi_path_remove_directory(base, "rd.cleanup"));
}

static void distinct_inodes(__wasi_fd_t d) {
    cf_touch(d, "a");
    cf_touch(d, "b");
    __wasi_filestat_t a, b;
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "a", &a));
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "b", &b));
    CHECK(a.dev == b.dev);
    CHECK(a.ino != b.ino);
    EXPECT_OK(__wasi_path_unlink_file(d, "a"));
    EXPECT_OK(__wasi_path_unlink_file(d, "b"));
}

int main(int argc, char **argv) {
    const char *scratch = argc > 1 ? argv[1] : "fs-tests.dir";
    __wasi_fd_t base = cf_scratch(scratch);
    dir_ops(base);
    readdir_(base);
    __wasi_fd_t d = cf_tmp_dir(base, "dirfd.cleanup");
    distinct_inodes(d);
    EXPECT_OK(__wasi_fd_close(d));
    EXPECT_OK(__wasi_path_remove_directory(base, "dirfd.cleanup"));
    return cf_finish("conformance_dirfd");
}
