/* Path resolution as the public preview1 suite checks it: interesting paths (absolute,
 * "..", trailing NUL and slashes, escaping the preopen), missing / existing / non-directory
 * bases, nonblocking open of ".", the preopen's advertised rights, reopening after unlink. */
#include "conformance.h"

__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")))
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
                      int64_t base, int64_t inh, int32_t fdflags, int32_t out);

static void interesting(__wasi_fd_t d, const char *scratch) {
    MUST(__wasi_path_create_directory(d, "dir"));
    MUST(__wasi_path_create_directory(d, "dir/nested"));
    cf_touch(d, "dir/nested/file");

    /* Absolute paths are refused with PERM. */
    EXPECT_ERRNO(cf_open_err(d, 0, "/dir/nested/file", 0, 0, 0, 0), __WASI_ERRNO_PERM);

    /* ".", "..", and doubled slashes inside the sandbox resolve. */
    __wasi_fd_t fd;
    EXPECT_OK(cf_open(d, 0, "dir/.//nested/../../dir/nested/../nested///./file", 0, 0, 0, 0, &fd));
    CHECK(fd > 2);
    cf_close(fd);

    /* An embedded NUL is not a valid path: INVAL or ILSEQ. */
    static const char nul[] = "dir/nested/file\0";
    __wasi_fd_t out = 0;
    int e = raw_path_open(d, 0, (int32_t)(uintptr_t)nul, (int32_t)(sizeof nul - 1), 0, 0, 0, 0,
                          (int32_t)(uintptr_t)&out);
    if (e == 0) cf_close(out);
    EXPECT_ERRNO(e, __WASI_ERRNO_INVAL, __WASI_ERRNO_ILSEQ);

    /* A file named with trailing slashes: NOTDIR or NOENT. */
    EXPECT_ERRNO(cf_open_err(d, 0, "dir/nested/file/", 0, 0, 0, 0), __WASI_ERRNO_NOTDIR,
                 __WASI_ERRNO_NOENT);
    EXPECT_ERRNO(cf_open_err(d, 0, "dir/nested/file///", 0, 0, 0, 0), __WASI_ERRNO_NOTDIR,
                 __WASI_ERRNO_NOENT);

    /* A directory named with trailing slashes opens. */
    EXPECT_OK(cf_open(d, 0, "dir/nested/", 0, 0, 0, 0, &fd));
    cf_close(fd);
    EXPECT_OK(cf_open(d, 0, "dir/nested///", 0, 0, 0, 0, &fd));
    cf_close(fd);

    /* Too many ".." climbs out of the base fd: PERM, even when it would land back inside. */
    char bad[300];
    snprintf(bad, sizeof bad, "dir/nested/../../../%s/dir/nested/file", scratch);
    EXPECT_ERRNO(cf_open_err(d, 0, bad, 0, 0, 0, 0), __WASI_ERRNO_PERM);
    EXPECT_ERRNO(cf_open_err(d, 0, "..", __WASI_OFLAGS_DIRECTORY, 0, 0, 0), __WASI_ERRNO_PERM);

    EXPECT_OK(__wasi_path_unlink_file(d, "dir/nested/file"));
    EXPECT_OK(__wasi_path_remove_directory(d, "dir/nested"));
    EXPECT_OK(__wasi_path_remove_directory(d, "dir"));
}

static void missing_existing_notdir(__wasi_fd_t d) {
    EXPECT_ERRNO(cf_open_err(d, 0, "file", 0, 0, 0, 0), __WASI_ERRNO_NOENT);
    cf_touch(d, "file");
    EXPECT_ERRNO(cf_open_err(d, 0, "file", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, 0, 0),
                 __WASI_ERRNO_EXIST);
    /* O_DIRECTORY on a regular file. */
    EXPECT_ERRNO(cf_open_err(d, 0, "file", __WASI_OFLAGS_DIRECTORY, 0, 0, 0), __WASI_ERRNO_NOTDIR);

    /* A file fd as the base of a path operation. */
    __wasi_fd_t f;
    MUST(cf_open(d, 0, "file", 0, 0, 0, 0, &f));
    EXPECT_ERRNO(cf_open_err(f, 0, "foo", __WASI_OFLAGS_CREAT, 0, 0, 0), __WASI_ERRNO_NOTDIR,
                 __WASI_ERRNO_NOTCAPABLE);
    EXPECT_OK(__wasi_fd_close(f));
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));
}

static void dangling_fd(__wasi_fd_t d) {
    /* Open, close, unlink, recreate a file; then the same with a directory. */
    cf_touch(d, "dfile");
    __wasi_fd_t fd;
    EXPECT_OK(cf_open(d, 0, "dfile", 0, 0, 0, 0, &fd));
    CHECK(fd > 2);
    cf_close(fd);
    EXPECT_OK(__wasi_path_unlink_file(d, "dfile"));
    cf_touch(d, "dfile");
    EXPECT_OK(__wasi_path_unlink_file(d, "dfile"));

    MUST(__wasi_path_create_directory(d, "dsub"));
    EXPECT_OK(cf_open(d, 0, "dsub", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd));
    cf_close(fd);
    EXPECT_OK(__wasi_path_remove_directory(d, "dsub"));
    EXPECT_OK(__wasi_path_create_directory(d, "dsub"));
    EXPECT_OK(__wasi_path_remove_directory(d, "dsub"));
}

static void preopen_rights(const char *scratch) {
    __wasi_fd_t pre = cf_find_preopen(scratch);
    __wasi_prestat_t ps;
    MUST(__wasi_fd_prestat_get(pre, &ps));
    CHECK(ps.tag == __WASI_PREOPENTYPE_DIR);
    CHECK(ps.u.dir.pr_name_len == strlen(scratch));
    __wasi_fdstat_t st;
    MUST(__wasi_fd_fdstat_get(pre, &st));
    CHECK(st.fs_filetype == __WASI_FILETYPE_DIRECTORY);
    /* What userland expects every directory to carry (base) and hand down (inheriting). */
    uint64_t base = __WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_PATH_CREATE_FILE |
                    __WASI_RIGHTS_PATH_LINK_SOURCE | __WASI_RIGHTS_PATH_LINK_TARGET |
                    __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR |
                    __WASI_RIGHTS_PATH_READLINK | __WASI_RIGHTS_PATH_RENAME_SOURCE |
                    __WASI_RIGHTS_PATH_RENAME_TARGET | __WASI_RIGHTS_PATH_SYMLINK |
                    __WASI_RIGHTS_PATH_REMOVE_DIRECTORY | __WASI_RIGHTS_PATH_UNLINK_FILE |
                    __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES |
                    __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES;
    uint64_t inh = base | __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_READ |
                   __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS |
                   __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_WRITE |
                   __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE |
                   __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES |
                   __WASI_RIGHTS_POLL_FD_READWRITE;
    CHECK((st.fs_rights_base & base) == base);
    CHECK((st.fs_rights_inheriting & inh) == inh);

    __wasi_fd_t fd;
    EXPECT_OK(cf_open(pre, 0, ".", 0, st.fs_rights_base, st.fs_rights_inheriting, 0, &fd));
    cf_close(fd);
    EXPECT_OK(cf_open(pre, 0, ".", 0, 0, 0, 0, &fd));
    cf_close(fd);
    EXPECT_OK(cf_open(pre, 0, ".", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd));
    cf_close(fd);
    EXPECT_OK(cf_open(pre, 0, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    cf_close(fd);
    /* Asking to write a directory is ISDIR. */
    EXPECT_ERRNO(cf_open_err(pre, 0, ".", __WASI_OFLAGS_DIRECTORY,
                             __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0),
                 __WASI_ERRNO_ISDIR);
    /* NONBLOCK on a directory open is accepted. */
    EXPECT_OK(cf_open(pre, 0, ".", 0, 0, 0, __WASI_FDFLAGS_NONBLOCK, &fd));
    cf_close(fd);

    /* A name buffer shorter than the name: INVAL or NAMETOOLONG; a longer one is fine. */
    char buf[300];
    EXPECT_ERRNO(__wasi_fd_prestat_dir_name(pre, (uint8_t *)buf, 0), __WASI_ERRNO_INVAL,
                 __WASI_ERRNO_NAMETOOLONG);
    memset(buf, 0x55, sizeof buf);
    EXPECT_OK(__wasi_fd_prestat_dir_name(pre, (uint8_t *)buf, ps.u.dir.pr_name_len + 1));
    CHECK(memcmp(buf, scratch, strlen(scratch)) == 0);
}

int main(int argc, char **argv) {
    const char *scratch = argc > 1 ? argv[1] : "fs-tests.dir";
    __wasi_fd_t base = cf_scratch(scratch);
    __wasi_fd_t d = cf_tmp_dir(base, "paths.cleanup");
    interesting(d, scratch);
    missing_existing_notdir(d);
    dangling_fd(d);
    preopen_rights(scratch);
    EXPECT_OK(__wasi_fd_close(d));
    EXPECT_OK(__wasi_path_remove_directory(base, "paths.cleanup"));
    return cf_finish("conformance_paths");
}
