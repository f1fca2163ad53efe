/* The fd table as the public preview1 suite checks it: closing and renumbering over
 * preopens, renumber semantics and errors, renumbering stdio away, a regular file is no tty. */
#include "conformance.h"

static void close_preopen(const char *scratch) {
    __wasi_fd_t pre = cf_find_preopen(scratch);
    __wasi_fd_t d = cf_scratch(scratch);
    CHECK(d > pre);
    EXPECT_OK(__wasi_fd_close(pre));
    __wasi_fdstat_t st;
    EXPECT_OK(__wasi_fd_fdstat_get(d, &st));
    CHECK(st.fs_filetype == __WASI_FILETYPE_DIRECTORY);
    EXPECT_ERRNO(__wasi_fd_fdstat_get(pre, &st), __WASI_ERRNO_BADF);
    __wasi_prestat_t ps;
    EXPECT_ERRNO(__wasi_fd_prestat_get(pre, &ps), __WASI_ERRNO_BADF);
    /* Renumber the fresh dir fd into the freed slot: it works, and d is gone. */
    __wasi_filestat_t a, b;
    MUST(__wasi_fd_filestat_get(d, &a));
    EXPECT_ERRNO(__wasi_fd_renumber(d, pre), __WASI_ERRNO_BADF);
    cf_close(d);
    (void)b;
}

static void overwrite_preopen(__wasi_fd_t base, const char *scratch) {
    __wasi_fd_t pre = cf_find_preopen(scratch);
    __wasi_fd_t d = cf_tmp_dir(base, "ow.cleanup");
    CHECK(d > pre);
    __wasi_filestat_t a, b;
    MUST(__wasi_fd_filestat_get(d, &a));
    EXPECT_OK(__wasi_fd_renumber(d, pre));
    EXPECT_OK(__wasi_fd_filestat_get(pre, &b));
    CHECK(a.dev == b.dev && a.ino == b.ino);
    __wasi_fdstat_t st;
    EXPECT_ERRNO(__wasi_fd_fdstat_get(d, &st), __WASI_ERRNO_BADF);
    /* The renumbered fd is no longer a preopen. */
    __wasi_prestat_t ps;
    EXPECT_ERRNO(__wasi_fd_prestat_get(pre, &ps), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTSUP);
    EXPECT_OK(__wasi_path_remove_directory(base, "ow.cleanup"));
}

static void renumber(__wasi_fd_t d) {
    __wasi_fd_t from, to;
    MUST(cf_open(d, 0, "file1", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE,
                 0, 0, &from));
    __wasi_fdstat_t sf, st;
    MUST(__wasi_fd_fdstat_get(from, &sf));
    MUST(cf_open(d, 0, "file2", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE,
                 0, 0, &to));
    EXPECT_OK(__wasi_fd_renumber(from, to));
    EXPECT_ERRNO(__wasi_fd_close(from), __WASI_ERRNO_BADF);
    EXPECT_OK(__wasi_fd_fdstat_get(to, &st));
    CHECK(sf.fs_filetype == st.fs_filetype);
    CHECK(sf.fs_flags == st.fs_flags);
    CHECK(sf.fs_rights_base == st.fs_rights_base);
    CHECK(sf.fs_rights_inheriting == st.fs_rights_inheriting);
    /* `from` is closed now: either direction with it is BADF. */
    EXPECT_ERRNO(__wasi_fd_renumber(to, from), __WASI_ERRNO_BADF);
    EXPECT_ERRNO(__wasi_fd_renumber(from, to), __WASI_ERRNO_BADF);
    /* Renumbering onto itself leaves the fd open. */
    EXPECT_OK(__wasi_fd_renumber(to, to));
    EXPECT_OK(__wasi_fd_fdstat_get(to, &st));
    cf_close(to);
    EXPECT_OK(__wasi_path_unlink_file(d, "file1"));
    EXPECT_OK(__wasi_path_unlink_file(d, "file2"));
}

static void isatty_(__wasi_fd_t d) {
    __wasi_fd_t f;
    MUST(cf_open(d, 0, "file", __WASI_OFLAGS_CREAT, 0, 0, 0, &f));
    __wasi_fdstat_t st;
    EXPECT_OK(__wasi_fd_fdstat_get(f, &st));
    /* libc's isatty: character device without seek/tell rights. */
    CHECK(st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
    cf_close(f);
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));
}

/* Last: moves stdin, stdout and stderr away (nothing is printed until the summary, which
 * goes to the renumbered stdout... so the summary is written to the file fd instead). */
static int stdio_away(__wasi_fd_t d) {
    int bad = 0;
    for (__wasi_fd_t from = 0; from <= 2; from++) {
        __wasi_fd_t to;
        if (cf_open(d, 0, "stdio.cleanup", __WASI_OFLAGS_CREAT, 0, 0, 0, &to) != 0) {
            bad++;
            continue;
        }
        __wasi_fdstat_t st;
        if (__wasi_fd_renumber(from, to) != 0) bad++;
        if (__wasi_fd_fdstat_get(to, &st) != 0) bad++;
        if (__wasi_fd_fdstat_get(from, &st) == 0) bad++;
        if (__wasi_path_unlink_file(d, "stdio.cleanup") != 0) bad++;
    }
    return bad;
}

/* argv[2] picks the part: "close" (close_preopen), "overwrite" (overwrite_preopen) or
 * "table" (renumber, isatty, stdio); each needs a fresh process because the first two
 * consume the preopen. */
int main(int argc, char **argv) {
    const char *scratch = argc > 1 ? argv[1] : "fs-tests.dir";
    const char *mode = argc > 2 ? argv[2] : "table";
    __wasi_fd_t base = cf_scratch(scratch);
    if (strcmp(mode, "close") == 0) {
        close_preopen(scratch);
        cf_close(base);
        return cf_finish("conformance_fdtable close");
    }
    if (strcmp(mode, "overwrite") == 0) {
        overwrite_preopen(base, scratch);
        return cf_finish("conformance_fdtable overwrite");
    }
    __wasi_fd_t d = cf_tmp_dir(base, "fdtable.cleanup");
    renumber(d);
    isatty_(d);
    int rc = cf_finish("conformance_fdtable table");
    int bad = stdio_away(d);
    cf_close(d);
    int e = __wasi_path_remove_directory(base, "fdtable.cleanup");
    /* stdout is gone; report through the exit code only. */
    if (bad || e) return 3;
    return rc;
}
