/* Hard links, renames and removals as the public preview1 suite checks them, including the
 * trailing-slash cases of unlink_file, remove_directory, symlink and rename. */
#include "conformance.h"

#define LINK_RIGHTS                                                                       \
    (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_PATH_LINK_SOURCE | __WASI_RIGHTS_PATH_LINK_TARGET | \
     __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_UNLINK_FILE)

/* A link must look exactly like the original: same filestat, same fdstat. */
static void same_file(__wasi_fd_t a, __wasi_fd_t b) {
    __wasi_filestat_t sa, sb;
    EXPECT_OK(__wasi_fd_filestat_get(a, &sa));
    EXPECT_OK(__wasi_fd_filestat_get(b, &sb));
    CHECK(sa.dev == sb.dev);
    CHECK(sa.ino == sb.ino);
    CHECK(sa.size == sb.size);
    CHECK(sa.nlink == sb.nlink);
    CHECK(sa.nlink >= 2);
    CHECK(sa.filetype == sb.filetype);
    CHECK(sa.atim == sb.atim && sa.mtim == sb.mtim && sa.ctim == sb.ctim);
    __wasi_fdstat_t fa, fb;
    EXPECT_OK(__wasi_fd_fdstat_get(a, &fa));
    EXPECT_OK(__wasi_fd_fdstat_get(b, &fb));
    CHECK(fa.fs_flags == fb.fs_flags);
    CHECK(fa.fs_filetype == fb.fs_filetype);
    CHECK(fa.fs_rights_base == fb.fs_rights_base);
    CHECK(fa.fs_rights_inheriting == fb.fs_rights_inheriting);
}

static void link_(__wasi_fd_t d) {
    __wasi_fd_t file, lnk, sub;
    MUST(cf_open(d, 0, "file", __WASI_OFLAGS_CREAT, LINK_RIGHTS, LINK_RIGHTS, 0, &file));

    EXPECT_OK(__wasi_path_link(d, 0, "file", d, "link"));
    EXPECT_OK(cf_open(d, 0, "link", 0, LINK_RIGHTS, LINK_RIGHTS, 0, &lnk));
    same_file(file, lnk);
    cf_close(lnk);
    EXPECT_OK(__wasi_path_unlink_file(d, "link"));

    MUST(__wasi_path_create_directory(d, "subdir"));
    MUST(cf_open(d, 0, "subdir", __WASI_OFLAGS_DIRECTORY, LINK_RIGHTS, LINK_RIGHTS, 0, &sub));
    EXPECT_OK(__wasi_path_link(d, 0, "file", sub, "link"));
    EXPECT_OK(cf_open(sub, 0, "link", 0, LINK_RIGHTS, LINK_RIGHTS, 0, &lnk));
    same_file(file, lnk);
    EXPECT_OK(__wasi_path_unlink_file(sub, "link"));
    cf_close(sub);
    cf_close(lnk);
    cf_close(file);
    EXPECT_OK(__wasi_path_remove_directory(d, "subdir"));

    cf_touch(d, "link");
    EXPECT_ERRNO(__wasi_path_link(d, 0, "file", d, "link"), __WASI_ERRNO_EXIST);
    EXPECT_OK(__wasi_path_unlink_file(d, "link"));
    EXPECT_ERRNO(__wasi_path_link(d, 0, "file", d, "file"), __WASI_ERRNO_EXIST);
    MUST(__wasi_path_create_directory(d, "link"));
    EXPECT_ERRNO(__wasi_path_link(d, 0, "file", d, "link"), __WASI_ERRNO_EXIST);
    EXPECT_OK(__wasi_path_remove_directory(d, "link"));

    /* Hard links to directories are refused. */
    MUST(__wasi_path_create_directory(d, "subdir"));
    EXPECT_ERRNO(__wasi_path_link(d, 0, "subdir", d, "link"), __WASI_ERRNO_PERM,
                 __WASI_ERRNO_ACCES);
    EXPECT_OK(__wasi_path_remove_directory(d, "subdir"));

    /* A new name with a trailing slash. */
    EXPECT_ERRNO(__wasi_path_link(d, 0, "file", d, "link/"), __WASI_ERRNO_NOENT);

    /* Without SYMLINK_FOLLOW the link itself is linked, dangling or looping. */
    MUST(__wasi_path_symlink("target", d, "symlink"));
    EXPECT_OK(__wasi_path_link(d, 0, "symlink", d, "link"));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "link", &st));
    CHECK(st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    EXPECT_OK(__wasi_path_unlink_file(d, "symlink"));
    EXPECT_OK(__wasi_path_unlink_file(d, "link"));
    MUST(__wasi_path_symlink("symlink", d, "symlink"));
    EXPECT_OK(__wasi_path_link(d, 0, "symlink", d, "link"));
    EXPECT_OK(__wasi_path_unlink_file(d, "symlink"));
    EXPECT_OK(__wasi_path_unlink_file(d, "link"));

    /* A dangling symlink occupies the new name. */
    MUST(__wasi_path_symlink("target", d, "symlink"));
    EXPECT_ERRNO(__wasi_path_link(d, 0, "file", d, "symlink"), __WASI_ERRNO_EXIST);
    /* SYMLINK_FOLLOW on a dangling link: INVAL (rejected outright) or NOENT. */
    int e = __wasi_path_link(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", d, "link");
    EXPECT_ERRNO(e, __WASI_ERRNO_INVAL, __WASI_ERRNO_NOENT);
    if (e == 0) (void)!__wasi_path_unlink_file(d, "link");
    EXPECT_OK(__wasi_path_unlink_file(d, "symlink"));

    EXPECT_OK(__wasi_path_unlink_file(d, "file"));
}

static void rename_(__wasi_fd_t d) {
    __wasi_fd_t fd;
    MUST(__wasi_path_create_directory(d, "source"));
    EXPECT_OK(__wasi_path_rename(d, "source", d, "target"));
    EXPECT_ERRNO(cf_open_err(d, 0, "source", __WASI_OFLAGS_DIRECTORY, 0, 0, 0),
                 __WASI_ERRNO_NOENT);
    EXPECT_OK(cf_open(d, 0, "target", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd));
    cf_close(fd);
    EXPECT_OK(__wasi_path_remove_directory(d, "target"));

    /* A directory over an empty directory replaces it. */
    MUST(__wasi_path_create_directory(d, "source"));
    MUST(__wasi_path_create_directory(d, "target"));
    EXPECT_OK(__wasi_path_rename(d, "source", d, "target"));
    EXPECT_ERRNO(cf_open_err(d, 0, "source", __WASI_OFLAGS_DIRECTORY, 0, 0, 0),
                 __WASI_ERRNO_NOENT);
    EXPECT_OK(__wasi_path_remove_directory(d, "target"));

    /* ... but not over a non-empty one, nor over a file. */
    MUST(__wasi_path_create_directory(d, "source"));
    MUST(__wasi_path_create_directory(d, "target"));
    cf_touch(d, "target/file");
    EXPECT_ERRNO(__wasi_path_rename(d, "source", d, "target"), __WASI_ERRNO_NOTEMPTY,
                 __WASI_ERRNO_ACCES);
    EXPECT_ERRNO(__wasi_path_rename(d, "source", d, "target/file"), __WASI_ERRNO_NOTDIR);
    EXPECT_OK(__wasi_path_unlink_file(d, "target/file"));
    EXPECT_OK(__wasi_path_remove_directory(d, "target"));
    EXPECT_OK(__wasi_path_remove_directory(d, "source"));

    /* Files: to a new name, over an existing file, not over a directory. */
    cf_touch(d, "source");
    EXPECT_OK(__wasi_path_rename(d, "source", d, "target"));
    EXPECT_ERRNO(cf_open_err(d, 0, "source", 0, 0, 0, 0), __WASI_ERRNO_NOENT);
    EXPECT_OK(cf_open(d, 0, "target", 0, 0, 0, 0, &fd));
    cf_close(fd);
    EXPECT_OK(__wasi_path_unlink_file(d, "target"));
    cf_touch(d, "source");
    cf_touch(d, "target");
    EXPECT_OK(__wasi_path_rename(d, "source", d, "target"));
    EXPECT_ERRNO(cf_open_err(d, 0, "source", 0, 0, 0, 0), __WASI_ERRNO_NOENT);
    EXPECT_OK(__wasi_path_unlink_file(d, "target"));
    cf_touch(d, "source");
    MUST(__wasi_path_create_directory(d, "target"));
    EXPECT_ERRNO(__wasi_path_rename(d, "source", d, "target"), __WASI_ERRNO_ISDIR,
                 __WASI_ERRNO_ACCES);
    EXPECT_OK(__wasi_path_remove_directory(d, "target"));
    EXPECT_OK(__wasi_path_unlink_file(d, "source"));

    /* Directories may be named with a trailing slash on either side. */
    MUST(__wasi_path_create_directory(d, "source"));
    EXPECT_OK(__wasi_path_rename(d, "source/", d, "target"));
    EXPECT_OK(__wasi_path_rename(d, "target", d, "source/"));
    EXPECT_OK(__wasi_path_rename(d, "source/", d, "target/"));
    EXPECT_OK(__wasi_path_rename(d, "target", d, "source"));
    EXPECT_OK(__wasi_path_remove_directory(d, "source"));

    /* Files may not. */
    cf_touch(d, "source");
    EXPECT_ERRNO(__wasi_path_rename(d, "source/", d, "target"), __WASI_ERRNO_NOTDIR);
    EXPECT_ERRNO(__wasi_path_rename(d, "source", d, "target/"), __WASI_ERRNO_NOTDIR);
    EXPECT_ERRNO(__wasi_path_rename(d, "source/", d, "target/"), __WASI_ERRNO_NOTDIR);
    EXPECT_OK(__wasi_path_rename(d, "source", d, "target"));
    EXPECT_OK(__wasi_path_rename(d, "target", d, "source"));
    EXPECT_OK(__wasi_path_unlink_file(d, "source"));
}

static void removal(__wasi_fd_t d) {
    /* unlink_file on a directory, with and without a trailing slash. */
    MUST(__wasi_path_create_directory(d, "dir"));
    EXPECT_ERRNO(__wasi_path_unlink_file(d, "dir"), __WASI_ERRNO_ISDIR, __WASI_ERRNO_PERM,
                 __WASI_ERRNO_ACCES);
    EXPECT_ERRNO(__wasi_path_unlink_file(d, "dir/"), __WASI_ERRNO_ISDIR, __WASI_ERRNO_PERM,
                 __WASI_ERRNO_ACCES);
    EXPECT_OK(__wasi_path_remove_directory(d, "dir"));
    cf_touch(d, "file");
    EXPECT_ERRNO(__wasi_path_unlink_file(d, "file/"), __WASI_ERRNO_NOTDIR, __WASI_ERRNO_NOENT);
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));

    /* remove_directory with a trailing slash works on a directory (ACCES tolerated). */
    MUST(__wasi_path_create_directory(d, "dir"));
    EXPECT_OK(__wasi_path_remove_directory(d, "dir"));
    MUST(__wasi_path_create_directory(d, "dir"));
    int e = __wasi_path_remove_directory(d, "dir/");
    EXPECT_ERRNO(e, 0, __WASI_ERRNO_ACCES);
    if (e != 0) (void)!__wasi_path_remove_directory(d, "dir");
    cf_touch(d, "file");
    EXPECT_ERRNO(__wasi_path_remove_directory(d, "file"), __WASI_ERRNO_NOTDIR);
    EXPECT_ERRNO(__wasi_path_remove_directory(d, "file/"), __WASI_ERRNO_NOTDIR,
                 __WASI_ERRNO_NOENT);
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));

    /* Non-empty directories stay. */
    MUST(__wasi_path_create_directory(d, "dir"));
    MUST(__wasi_path_create_directory(d, "dir/nested"));
    EXPECT_ERRNO(__wasi_path_remove_directory(d, "dir"), __WASI_ERRNO_NOTEMPTY);
    EXPECT_OK(__wasi_path_remove_directory(d, "dir/nested"));
    EXPECT_OK(__wasi_path_remove_directory(d, "dir"));

    /* Removing what is not there. */
    EXPECT_ERRNO(__wasi_path_unlink_file(d, "nothing"), __WASI_ERRNO_NOENT);
    EXPECT_ERRNO(__wasi_path_remove_directory(d, "nothing"), __WASI_ERRNO_NOENT);
}

static void symlink_trailing(__wasi_fd_t d) {
    /* A new symlink's name may not end in a slash. */
    EXPECT_ERRNO(__wasi_path_symlink("source", d, "target/"), __WASI_ERRNO_NOENT);
    if (__wasi_path_symlink("source", d, "target") == 0)
        EXPECT_OK(__wasi_path_unlink_file(d, "target"));
    MUST(__wasi_path_create_directory(d, "target"));
    EXPECT_ERRNO(__wasi_path_symlink("source", d, "target/"), __WASI_ERRNO_EXIST,
                 __WASI_ERRNO_NOENT);
    EXPECT_ERRNO(__wasi_path_symlink("source", d, "target"), __WASI_ERRNO_EXIST,
                 __WASI_ERRNO_NOENT);
    EXPECT_OK(__wasi_path_remove_directory(d, "target"));
    cf_touch(d, "target");
    EXPECT_ERRNO(__wasi_path_symlink("source", d, "target/"), __WASI_ERRNO_NOTDIR,
                 __WASI_ERRNO_NOENT, __WASI_ERRNO_EXIST);
    EXPECT_ERRNO(__wasi_path_symlink("source", d, "target"), __WASI_ERRNO_EXIST,
                 __WASI_ERRNO_NOENT);
    EXPECT_OK(__wasi_path_unlink_file(d, "target"));
}

int main(int argc, char **argv) {
    const char *scratch = argc > 1 ? argv[1] : "fs-tests.dir";
    __wasi_fd_t base = cf_scratch(scratch);
    __wasi_fd_t d = cf_tmp_dir(base, "link_rename.cleanup");
    link_(d);
    rename_(d);
    removal(d);
    symlink_trailing(d);
    EXPECT_OK(__wasi_fd_close(d));
    EXPECT_OK(__wasi_path_remove_directory(base, "link_rename.cleanup"));
    return cf_finish("conformance_link_rename");
}
