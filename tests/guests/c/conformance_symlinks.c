/* Symlinks as the public preview1 suite checks them: NOFOLLOW errors, dangling links, self
 * loops, links to files / directories / an absolute path, readlink truncation, path_filestat
 * with and without SYMLINK_FOLLOW, and set_times on the link versus its target. */
#include "conformance.h"

static void nofollow(__wasi_fd_t d) {
    MUST(__wasi_path_create_directory(d, "target"));
    MUST(__wasi_path_symlink("target", d, "symlink"));
    /* A symlink to a directory, not followed. */
    EXPECT_ERRNO(cf_open_err(d, 0, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0),
                 __WASI_ERRNO_LOOP, __WASI_ERRNO_NOTDIR);
    EXPECT_ERRNO(cf_open_err(d, 0, "symlink", 0, 0, 0, 0), __WASI_ERRNO_LOOP, __WASI_ERRNO_ACCES);
    __wasi_fd_t fd;
    EXPECT_OK(cf_open(d, 1, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd));
    CHECK(fd > 2);
    cf_close(fd);
    EXPECT_OK(__wasi_path_unlink_file(d, "symlink"));
    EXPECT_OK(__wasi_path_remove_directory(d, "target"));

    /* A symlink to a file. */
    cf_touch(d, "target");
    MUST(__wasi_path_symlink("target", d, "symlink"));
    EXPECT_ERRNO(cf_open_err(d, 0, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0),
                 __WASI_ERRNO_LOOP, __WASI_ERRNO_NOTDIR);
    EXPECT_ERRNO(cf_open_err(d, 0, "symlink", 0, 0, 0, 0), __WASI_ERRNO_LOOP);
    EXPECT_ERRNO(cf_open_err(d, 1, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0),
                 __WASI_ERRNO_NOTDIR);
    EXPECT_OK(cf_open(d, 1, "symlink", 0, 0, 0, 0, &fd));
    cf_close(fd);
    EXPECT_OK(__wasi_path_unlink_file(d, "target"));
    EXPECT_OK(__wasi_path_unlink_file(d, "symlink"));
}

static void dangling_and_loop(__wasi_fd_t d) {
    MUST(__wasi_path_symlink("target", d, "dangling"));
    EXPECT_ERRNO(cf_open_err(d, 0, "dangling", __WASI_OFLAGS_DIRECTORY, 0, 0, 0),
                 __WASI_ERRNO_NOTDIR, __WASI_ERRNO_LOOP);
    EXPECT_ERRNO(cf_open_err(d, 0, "dangling", 0, 0, 0, 0), __WASI_ERRNO_LOOP);
    /* Followed, a dangling link is simply missing. */
    EXPECT_ERRNO(cf_open_err(d, 1, "dangling", 0, 0, 0, 0), __WASI_ERRNO_NOENT);
    EXPECT_OK(__wasi_path_unlink_file(d, "dangling"));

    MUST(__wasi_path_symlink("loop", d, "loop"));
    EXPECT_ERRNO(cf_open_err(d, 0, "loop", 0, 0, 0, 0), __WASI_ERRNO_LOOP);
    EXPECT_ERRNO(cf_open_err(d, 1, "loop", 0, 0, 0, 0), __WASI_ERRNO_LOOP);
    EXPECT_OK(__wasi_path_unlink_file(d, "loop"));
}

static void create(__wasi_fd_t d) {
    __wasi_fd_t fd;
    cf_touch(d, "target");
    MUST(__wasi_path_symlink("target", d, "symlink"));
    EXPECT_OK(cf_open(d, 1, "symlink", 0, 0, 0, 0, &fd));
    cf_close(fd);
    EXPECT_OK(__wasi_path_unlink_file(d, "symlink"));
    EXPECT_OK(__wasi_path_unlink_file(d, "target"));

    MUST(__wasi_path_create_directory(d, "target"));
    MUST(__wasi_path_symlink("target", d, "symlink"));
    EXPECT_OK(cf_open(d, 1, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd));
    cf_close(fd);
    /* A symlink to a directory is removed with unlink_file, not remove_directory. */
    EXPECT_OK(__wasi_path_unlink_file(d, "symlink"));
    EXPECT_OK(__wasi_path_remove_directory(d, "target"));

    /* A symlink to an absolute path must be refused. */
    int e = __wasi_path_symlink("/", d, "symlink");
    CHECK(e != 0);
    if (e == 0) (void)!__wasi_path_unlink_file(d, "symlink");
}

static void readlink_(__wasi_fd_t d) {
    cf_touch(d, "target");
    MUST(__wasi_path_symlink("target", d, "symlink"));
    uint8_t buf[10];
    memset(buf, 0, sizeof buf);
    __wasi_size_t used = 0;
    EXPECT_OK(__wasi_path_readlink(d, "symlink", buf, sizeof buf, &used));
    CHECK(used == 6);
    CHECK(memcmp(buf, "target", 6) == 0);
    CHECK(buf[6] == 0 && buf[7] == 0 && buf[8] == 0 && buf[9] == 0);
    /* A short buffer gets the first bytes, not an error. */
    uint8_t small[4] = {0};
    used = 0;
    EXPECT_OK(__wasi_path_readlink(d, "symlink", small, sizeof small, &used));
    CHECK(used == 4);
    CHECK(memcmp(small, "targ", 4) == 0);
    /* A zero-sized buffer: success, nothing used (even for a dangling link). */
    MUST(__wasi_path_symlink("nowhere", d, "dangling"));
    used = 99;
    EXPECT_OK(__wasi_path_readlink(d, "dangling", small, 0, &used));
    CHECK(used == 0);
    EXPECT_OK(__wasi_path_unlink_file(d, "dangling"));
    /* readlink on something that is not a symlink. */
    EXPECT_ERRNO(__wasi_path_readlink(d, "target", buf, sizeof buf, &used), __WASI_ERRNO_INVAL,
                 __WASI_ERRNO_NOENT);
    EXPECT_OK(__wasi_path_unlink_file(d, "target"));
    EXPECT_OK(__wasi_path_unlink_file(d, "symlink"));
}

static void exists(__wasi_fd_t d) {
    __wasi_filestat_t st;
    MUST(__wasi_path_create_directory(d, "subdir"));
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "subdir", &st));
    CHECK(st.filetype == __WASI_FILETYPE_DIRECTORY);
    EXPECT_OK(__wasi_path_filestat_get(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "subdir", &st));
    CHECK(st.filetype == __WASI_FILETYPE_DIRECTORY);
    cf_touch(d, "subdir/file");
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "subdir/file", &st));
    CHECK(st.filetype == __WASI_FILETYPE_REGULAR_FILE);
    EXPECT_OK(__wasi_path_filestat_get(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "subdir/file", &st));
    CHECK(st.filetype == __WASI_FILETYPE_REGULAR_FILE);

    MUST(__wasi_path_symlink("subdir/file", d, "link1"));
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "link1", &st));
    CHECK(st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    EXPECT_OK(__wasi_path_filestat_get(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link1", &st));
    CHECK(st.filetype == __WASI_FILETYPE_REGULAR_FILE);
    MUST(__wasi_path_symlink("subdir", d, "link2"));
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "link2", &st));
    CHECK(st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    EXPECT_OK(__wasi_path_filestat_get(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link2", &st));
    CHECK(st.filetype == __WASI_FILETYPE_DIRECTORY);
    /* Intermediate symlinks are always followed. */
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "link2/file", &st));
    CHECK(st.filetype == __WASI_FILETYPE_REGULAR_FILE);

    EXPECT_OK(__wasi_path_unlink_file(d, "link1"));
    EXPECT_OK(__wasi_path_unlink_file(d, "link2"));
    EXPECT_OK(__wasi_path_unlink_file(d, "subdir/file"));
    EXPECT_OK(__wasi_path_remove_directory(d, "subdir"));
}

static void filestat_times(__wasi_fd_t d) {
    __wasi_fdstat_t fst;
    MUST(__wasi_fd_fdstat_get(d, &fst));
    CHECK(fst.fs_rights_base & __WASI_RIGHTS_PATH_FILESTAT_GET);
    __wasi_fd_t f;
    MUST(cf_open(d, 0, "file", __WASI_OFLAGS_CREAT,
                 __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_PATH_FILESTAT_GET,
                 0, 0, &f));
    __wasi_filestat_t file_st, sym_st, st;
    MUST(__wasi_path_filestat_get(d, 0, "file", &file_st));
    CHECK(file_st.size == 0);
    MUST(__wasi_path_symlink("file", d, "symlink"));
    MUST(__wasi_path_filestat_get(d, 0, "symlink", &sym_st));

    /* Without SYMLINK_FOLLOW, set_times touches the link itself. */
    __wasi_timestamp_t sym_new = sym_st.mtim - 200;
    EXPECT_OK(__wasi_path_filestat_set_times(d, 0, "symlink", 0, sym_new, __WASI_FSTFLAGS_MTIM));
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "symlink", &st));
    CHECK(st.mtim == sym_new);
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "file", &st));
    CHECK(st.mtim == file_st.mtim);
    EXPECT_OK(__wasi_path_filestat_get(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", &st));
    CHECK(st.mtim == file_st.mtim);
    /* With it, the target changes. */
    EXPECT_OK(__wasi_path_filestat_set_times(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", 0,
                                             sym_st.mtim, __WASI_FSTFLAGS_MTIM));
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "file", &st));
    CHECK(st.mtim == sym_st.mtim);

    cf_close(f);
    EXPECT_OK(__wasi_path_unlink_file(d, "symlink"));
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));
}

int main(int argc, char **argv) {
    const char *scratch = argc > 1 ? argv[1] : "fs-tests.dir";
    __wasi_fd_t base = cf_scratch(scratch);
    __wasi_fd_t d = cf_tmp_dir(base, "symlinks.cleanup");
    nofollow(d);
    dangling_and_loop(d);
    create(d);
    readlink_(d);
    exists(d);
    filestat_times(d);
    EXPECT_OK(__wasi_fd_close(d));
    EXPECT_OK(__wasi_path_remove_directory(base, "symlinks.cleanup"));
    return cf_finish("conformance_symlinks");
}
