/* p1_fd_meta: fd_fdstat_get, fd_fdstat_set_rights, fd_filestat_get, fd_filestat_set_times,
 * fd_prestat_get, fd_prestat_dir_name. Creates /sandbox/meta.txt ("metadata!", 9 bytes). */
#include "check.h"

#define R(x) __WASI_RIGHTS_##x
#define T2020 (1577836800ull * 1000000000ull) /* 2020-01-01T00:00:00Z in ns */

int main(void) {
    int dir = sandbox_fd();

    /* ---- prestat ---- */
    __wasi_prestat_t ps;
    CHECK_ERRNO("fd_prestat_get.sandbox", __wasi_fd_prestat_get(dir, &ps), OK);
    CHECK_SHOW("fd_prestat_get.sandbox.tag", ps.tag == __WASI_PREOPENTYPE_DIR, "dir");
    CHECK_SHOW("fd_prestat_get.sandbox.name_len", ps.u.dir.pr_name_len == 8, "%u", (unsigned)ps.u.dir.pr_name_len);
    char name[32];
    memset(name, '#', sizeof name);
    CHECK_ERRNO("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(dir, (uint8_t *)name, 8), OK);
    CHECK("fd_prestat_dir_name.value", memcmp(name, "/sandbox", 8) == 0);
    CHECK("fd_prestat_dir_name.no_overrun", name[8] == '#');
    /* A buffer larger than needed is fine; a smaller one is an error. */
    CHECK_ERRNO("fd_prestat_dir_name.big_buffer", __wasi_fd_prestat_dir_name(dir, (uint8_t *)name, 20), OK);
    CHECK_ERRNO2("fd_prestat_dir_name.small_buffer", __wasi_fd_prestat_dir_name(dir, (uint8_t *)name, 3),
                 __WASI_ERRNO_NAMETOOLONG, __WASI_ERRNO_INVAL);
    CHECK_ERRNO("fd_prestat_get.stdin", __wasi_fd_prestat_get(0, &ps), __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_prestat_get.bad_fd", __wasi_fd_prestat_get(999, &ps), __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_prestat_dir_name.bad_fd", __wasi_fd_prestat_dir_name(999, (uint8_t *)name, 8), __WASI_ERRNO_BADF);

    /* ---- fdstat of stdio, the preopen and a file ---- */
    __wasi_fdstat_t st;
    for (int s = 0; s < 3; s++) {
        char n1[48];
        snprintf(n1, sizeof n1, "fd_fdstat_get.stdio%d", s);
        CHECK_ERRNO(n1, __wasi_fd_fdstat_get(s, &st), OK);
        snprintf(n1, sizeof n1, "fd_fdstat_get.stdio%d.filetype", s);
        /* Pipes under the test harness: a character device or unknown are both fine. */
        CHECK_SHOW(n1, st.fs_filetype != __WASI_FILETYPE_DIRECTORY && st.fs_filetype != __WASI_FILETYPE_REGULAR_FILE,
                   "%s", filetype_name(st.fs_filetype));
    }
    CHECK("fd_fdstat_get.stdout.can_write", __wasi_fd_fdstat_get(1, &st) == OK && (st.fs_rights_base & R(FD_WRITE)));
    CHECK_ERRNO("fd_fdstat_get.preopen", __wasi_fd_fdstat_get(dir, &st), OK);
    CHECK_SHOW("fd_fdstat_get.preopen.filetype", st.fs_filetype == __WASI_FILETYPE_DIRECTORY, "%s", filetype_name(st.fs_filetype));
    CHECK("fd_fdstat_get.preopen.rights", (st.fs_rights_base & (R(PATH_OPEN) | R(PATH_CREATE_FILE))) == (R(PATH_OPEN) | R(PATH_CREATE_FILE)));
    CHECK_ERRNO("fd_fdstat_get.bad_fd", __wasi_fd_fdstat_get(999, &st), __WASI_ERRNO_BADF);

    __wasi_fd_t fd;
    CHECK_ERRNO("put_file.meta", put_file(dir, "meta.txt", "metadata!"), OK);
    __wasi_rights_t want = R(FD_READ) | R(FD_WRITE) | R(FD_SEEK) | R(FD_TELL) | R(FD_FILESTAT_GET) |
                           R(FD_FILESTAT_SET_TIMES) | R(FD_FILESTAT_SET_SIZE) | R(FD_FDSTAT_SET_FLAGS);
    CHECK_ERRNO("path_open.meta", __wasi_path_open(dir, 0, "meta.txt", 0, want, 0, 0, &fd), OK);
    CHECK_ERRNO("fd_fdstat_get.file", __wasi_fd_fdstat_get(fd, &st), OK);
    CHECK_SHOW("fd_fdstat_get.file.filetype", st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE, "%s", filetype_name(st.fs_filetype));
    CHECK("fd_fdstat_get.file.has_read_write", (st.fs_rights_base & (R(FD_READ) | R(FD_WRITE))) == (R(FD_READ) | R(FD_WRITE)));
    CHECK("fd_fdstat_get.file.flags_empty", st.fs_flags == 0);

    /* ---- fd_fdstat_set_rights: drop FD_WRITE, then try to get it back ---- */
    __wasi_rights_t base = st.fs_rights_base, inh = st.fs_rights_inheriting;
    CHECK_ERRNO("fd_fdstat_set_rights.drop_write", __wasi_fd_fdstat_set_rights(fd, base & ~(R(FD_WRITE)), inh), OK);
    CHECK_ERRNO("fd_fdstat_get.after_drop", __wasi_fd_fdstat_get(fd, &st), OK);
    CHECK("fd_fdstat_get.after_drop.no_write", (st.fs_rights_base & R(FD_WRITE)) == 0 && (st.fs_rights_base & R(FD_READ)));
    __wasi_size_t n;
    CHECK_ERRNO2("fd_write.after_drop", write_all(fd, "x", 1), __WASI_ERRNO_NOTCAPABLE, __WASI_ERRNO_BADF);
    char rb[16] = {0};
    __wasi_iovec_t ri = {(uint8_t *)rb, 4};
    CHECK_ERRNO("fd_read.after_drop", __wasi_fd_read(fd, &ri, 1, &n), OK);
    CHECK("fd_read.after_drop.data", n == 4 && memcmp(rb, "meta", 4) == 0);
    CHECK_ERRNO("fd_fdstat_set_rights.regain_write", __wasi_fd_fdstat_set_rights(fd, base, inh), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("fd_fdstat_set_rights.drop_seek", __wasi_fd_fdstat_set_rights(fd, base & ~(R(FD_WRITE) | R(FD_SEEK) | R(FD_TELL)), inh), OK);
    __wasi_filesize_t np;
    CHECK_ERRNO2("fd_seek.after_drop", __wasi_fd_seek(fd, 0, 0, &np), __WASI_ERRNO_NOTCAPABLE, __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_fdstat_set_rights.bad_fd", __wasi_fd_fdstat_set_rights(999, 0, 0), __WASI_ERRNO_BADF);

    /* ---- fd_filestat_get ---- */
    __wasi_filestat_t fs;
    CHECK_ERRNO("fd_filestat_get", __wasi_fd_filestat_get(fd, &fs), OK);
    CHECK_SHOW("fd_filestat_get.size", fs.size == 9, "%llu", (unsigned long long)fs.size);
    CHECK_SHOW("fd_filestat_get.filetype", fs.filetype == __WASI_FILETYPE_REGULAR_FILE, "%s", filetype_name(fs.filetype));
    CHECK("fd_filestat_get.nlink", fs.nlink >= 1);
    __wasi_timestamp_t now = now_ns(__WASI_CLOCKID_REALTIME);
    CHECK("fd_filestat_get.mtim_recent", fs.mtim > now - 600ull * 1000000000ull && fs.mtim < now + 600ull * 1000000000ull);
    __wasi_filestat_t ds;
    CHECK_ERRNO("fd_filestat_get.dir", __wasi_fd_filestat_get(dir, &ds), OK);
    CHECK_SHOW("fd_filestat_get.dir.filetype", ds.filetype == __WASI_FILETYPE_DIRECTORY, "%s", filetype_name(ds.filetype));
    CHECK_ERRNO("fd_filestat_get.bad_fd", __wasi_fd_filestat_get(999, &fs), __WASI_ERRNO_BADF);
    (void)__wasi_fd_close(fd);

    /* ---- fd_filestat_set_times ---- */
    CHECK_ERRNO("path_open.meta_rw", open_at(dir, "meta.txt", 0, 0, &fd), OK);
    __wasi_timestamp_t at = T2020 + 111000000000ull, mt = T2020 + 222000000000ull;
    CHECK_ERRNO("fd_filestat_set_times.both",
                __wasi_fd_filestat_set_times(fd, at, mt, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), OK);
    CHECK_ERRNO("fd_filestat_get.after_set_times", __wasi_fd_filestat_get(fd, &fs), OK);
    CHECK_SHOW("fd_filestat_set_times.both.mtim", fs.mtim == mt, "%llu", (unsigned long long)(fs.mtim - T2020));
    CHECK_SHOW("fd_filestat_set_times.both.atim", fs.atim == at, "%llu", (unsigned long long)(fs.atim - T2020));
    /* Only mtim: atim stays. */
    CHECK_ERRNO("fd_filestat_set_times.mtim_only", __wasi_fd_filestat_set_times(fd, 0, mt + 1000000000ull, __WASI_FSTFLAGS_MTIM), OK);
    CHECK_ERRNO("fd_filestat_get.after_mtim_only", __wasi_fd_filestat_get(fd, &fs), OK);
    CHECK("fd_filestat_set_times.mtim_only.mtim", fs.mtim == mt + 1000000000ull);
    CHECK("fd_filestat_set_times.mtim_only.atim_kept", fs.atim == at);
    /* MTIM_NOW: close to the realtime clock. */
    now = now_ns(__WASI_CLOCKID_REALTIME);
    CHECK_ERRNO("fd_filestat_set_times.mtim_now", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), OK);
    CHECK_ERRNO("fd_filestat_get.after_mtim_now", __wasi_fd_filestat_get(fd, &fs), OK);
    CHECK("fd_filestat_set_times.mtim_now.recent", fs.mtim + 5000000000ull > now && fs.mtim < now + 5000000000ull);
    CHECK("fd_filestat_set_times.mtim_now.atim_kept", fs.atim == at);
    /* Both a value and NOW for the same timestamp is invalid. */
    CHECK_ERRNO("fd_filestat_set_times.atim_and_now",
                __wasi_fd_filestat_set_times(fd, at, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("fd_filestat_set_times.mtim_and_now",
                __wasi_fd_filestat_set_times(fd, 0, mt, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("fd_filestat_set_times.bad_flags", __wasi_fd_filestat_set_times(fd, 0, 0, 0x10), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("fd_filestat_set_times.bad_fd", __wasi_fd_filestat_set_times(999, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_BADF);
    /* No flags: nothing changes. */
    __wasi_filestat_t before = fs;
    CHECK_ERRNO("fd_filestat_set_times.no_flags", __wasi_fd_filestat_set_times(fd, 1, 1, 0), OK);
    CHECK_ERRNO("fd_filestat_get.after_no_flags", __wasi_fd_filestat_get(fd, &fs), OK);
    CHECK("fd_filestat_set_times.no_flags.unchanged", fs.mtim == before.mtim && fs.atim == before.atim);
    /* Set a fixed mtime last so the test can read it from the host. */
    CHECK_ERRNO("fd_filestat_set_times.final", __wasi_fd_filestat_set_times(fd, at, mt, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), OK);
    (void)__wasi_fd_close(fd);
    return check_done();
}
