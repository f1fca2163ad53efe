/* File I/O as the public preview1 suite checks it: seek / tell, pread / pwrite with several
 * iovecs, O_TRUNC, APPEND on and off, writes visible at once to a second fd, allocate,
 * advise, set_size / set_times, invalid fstflags, fdflags kept from path_open. */
#include "conformance.h"

#define RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE)

static void seek_tell(__wasi_fd_t d) {
    __wasi_fd_t f;
    MUST(cf_open(d, 0, "file", __WASI_OFLAGS_CREAT,
                 RW | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL, 0, 0, &f));
    __wasi_filesize_t off = 99;
    EXPECT_OK(__wasi_fd_tell(f, &off));
    CHECK(off == 0);
    uint8_t data[100] = {0};
    int e;
    CHECK(cf_write(f, data, 100, &e) == 100);
    EXPECT_OK(__wasi_fd_tell(f, &off));
    CHECK(off == 100);
    EXPECT_OK(__wasi_fd_seek(f, -50, __WASI_WHENCE_CUR, &off));
    CHECK(off == 50);
    EXPECT_OK(__wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &off));
    CHECK(off == 0);
    EXPECT_OK(__wasi_fd_seek(f, 1000, __WASI_WHENCE_CUR, &off));
    CHECK(off == 1000);
    EXPECT_ERRNO(__wasi_fd_seek(f, -2000, __WASI_WHENCE_CUR, &off), __WASI_ERRNO_INVAL);
    EXPECT_OK(__wasi_fd_seek(f, 0, __WASI_WHENCE_END, &off));
    CHECK(off == 100);
    EXPECT_OK(__wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &off));
    uint8_t buf[100];
    CHECK(cf_read(f, buf, 100, &e) == 100);
    EXPECT_OK(__wasi_fd_tell(f, &off));
    CHECK(off == 100);
    cf_close(f);
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));
}

static void pread_pwrite(__wasi_fd_t d) {
    __wasi_fd_t f;
    MUST(cf_open(d, 0, "file", __WASI_OFLAGS_CREAT, RW | __WASI_RIGHTS_FD_SEEK, 0, 0, &f));
    const uint8_t c4[4] = {0, 1, 2, 3};
    __wasi_ciovec_t ci = {c4, 4};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_fd_pwrite(f, &ci, 1, 0, &n));
    CHECK(n == 4);
    uint8_t r4[4] = {9, 9, 9, 9};
    __wasi_iovec_t io = {r4, 4};
    EXPECT_OK(__wasi_fd_pread(f, &io, 1, 0, &n));
    CHECK(n == 4 && memcmp(r4, c4, 4) == 0);

    /* Two iovecs at once, each way. */
    __wasi_ciovec_t cis[2] = {{c4, 2}, {c4 + 2, 2}};
    EXPECT_OK(__wasi_fd_pwrite(f, cis, 2, 0, &n));
    CHECK(n == 4);
    uint8_t a[2] = {9, 9}, b[2] = {9, 9};
    __wasi_iovec_t ios[2] = {{a, 2}, {b, 2}};
    EXPECT_OK(__wasi_fd_pread(f, ios, 2, 0, &n));
    CHECK(n == 4 && a[0] == 0 && a[1] == 1 && b[0] == 2 && b[1] == 3);
    EXPECT_OK(__wasi_fd_pread(f, ios, 2, 4, &n));
    CHECK(n == 0);

    memset(r4, 0, 4);
    EXPECT_OK(__wasi_fd_pread(f, &io, 1, 2, &n));
    CHECK(n == 2 && r4[0] == 2 && r4[1] == 3 && r4[2] == 0 && r4[3] == 0);
    const uint8_t c2[2] = {1, 0};
    __wasi_ciovec_t ci2 = {c2, 2};
    EXPECT_OK(__wasi_fd_pwrite(f, &ci2, 1, 2, &n));
    CHECK(n == 2);
    EXPECT_OK(__wasi_fd_pread(f, &io, 1, 0, &n));
    CHECK(n == 4 && r4[0] == 0 && r4[1] == 1 && r4[2] == 1 && r4[3] == 0);
    /* pread / pwrite do not move the cursor. */
    __wasi_filesize_t off = 99;
    EXPECT_OK(__wasi_fd_tell(f, &off));
    CHECK(off == 0);
    cf_close(f);
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));
}

static void truncation(__wasi_fd_t d) {
    __wasi_fd_t f;
    MUST(cf_open(d, 0, "t.txt", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &f));
    const char *msg = "this content will be truncated!";
    int e;
    CHECK(cf_write(f, msg, strlen(msg), &e) == strlen(msg));
    cf_close(f);
    MUST(cf_open(d, 0, "t.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RW, 0, 0, &f));
    uint8_t buf[100];
    CHECK(cf_read(f, buf, sizeof buf, &e) == 0);
    EXPECT_OK(e);
    cf_close(f);
    EXPECT_OK(__wasi_path_unlink_file(d, "t.txt"));
}

static void append_flags(__wasi_fd_t d) {
    __wasi_fd_t f;
    MUST(cf_open(d, 0, "file", __WASI_OFLAGS_CREAT,
                 RW | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                     __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS,
                 0, __WASI_FDFLAGS_APPEND, &f));
    uint8_t d0[100], d1[100], d2[100], buf[100];
    memset(d0, 0, 100);
    memset(d1, 1, 100);
    memset(d2, 2, 100);
    int e;
    __wasi_filesize_t off;
    CHECK(cf_write(f, d0, 100, &e) == 100);
    EXPECT_OK(__wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &off));
    CHECK(cf_read(f, buf, 100, &e) == 100 && memcmp(buf, d0, 100) == 0);
    /* Appending ignores the cursor. */
    EXPECT_OK(__wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &off));
    CHECK(cf_write(f, d1, 100, &e) == 100);
    EXPECT_OK(__wasi_fd_seek(f, 100, __WASI_WHENCE_SET, &off));
    CHECK(cf_read(f, buf, 100, &e) == 100 && memcmp(buf, d1, 100) == 0);
    /* Clearing APPEND makes writes land at the cursor again. */
    EXPECT_OK(__wasi_fd_fdstat_set_flags(f, 0));
    __wasi_fdstat_t st;
    EXPECT_OK(__wasi_fd_fdstat_get(f, &st));
    CHECK(!(st.fs_flags & __WASI_FDFLAGS_APPEND));
    EXPECT_OK(__wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &off));
    CHECK(cf_write(f, d2, 100, &e) == 100);
    EXPECT_OK(__wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &off));
    CHECK(cf_read(f, buf, 100, &e) == 100 && memcmp(buf, d2, 100) == 0);
    cf_close(f);
    __wasi_filestat_t fs;
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "file", &fs));
    CHECK(fs.size == 200);
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));
}

static void unbuffered(__wasi_fd_t d) {
    __wasi_fd_t w, r;
    MUST(cf_open(d, 0, "file", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &w));
    MUST(cf_open(d, 0, "file", 0, __WASI_RIGHTS_FD_READ, 0, 0, &r));
    int e;
    uint8_t one = 1, got = 0;
    CHECK(cf_write(w, &one, 1, &e) == 1);
    CHECK(cf_read(r, &got, 1, &e) == 1);
    CHECK(got == 1);
    cf_close(w);
    cf_close(r);
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));
}

static void allocate_advise_setsize(__wasi_fd_t d) {
    __wasi_fd_t f;
    MUST(cf_open(d, 0, "file", __WASI_OFLAGS_CREAT,
                 RW | __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_FILESTAT_GET |
                     __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_ALLOCATE |
                     __WASI_RIGHTS_FD_FILESTAT_SET_TIMES,
                 0, 0, &f));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(f, &st));
    CHECK(st.size == 0);
    EXPECT_OK(__wasi_fd_filestat_set_size(f, 100));
    EXPECT_OK(__wasi_fd_filestat_get(f, &st));
    CHECK(st.size == 100);
    EXPECT_OK(__wasi_fd_advise(f, 10, 50, __WASI_ADVICE_NORMAL));
    EXPECT_OK(__wasi_fd_filestat_get(f, &st));
    CHECK(st.size == 100);
    /* fd_allocate grows the file (NOTSUP is also tolerated by the suite). */
    int e = __wasi_fd_allocate(f, 100, 100);
    EXPECT_ERRNO(e, 0, __WASI_ERRNO_NOTSUP);
    if (e == 0) {
        EXPECT_OK(__wasi_fd_filestat_get(f, &st));
        CHECK(st.size == 200);
        EXPECT_OK(__wasi_fd_allocate(f, 10, 10));
        EXPECT_OK(__wasi_fd_filestat_get(f, &st));
        CHECK(st.size == 200);
        EXPECT_OK(__wasi_fd_allocate(f, 190, 20));
        EXPECT_OK(__wasi_fd_filestat_get(f, &st));
        CHECK(st.size == 210);
    }

    /* set_times: mtim changes, atim stays; invalid flag pairs are INVAL. */
    EXPECT_OK(__wasi_fd_filestat_get(f, &st));
    __wasi_timestamp_t old_atim = st.atim, new_mtim = st.mtim - 100;
    EXPECT_OK(__wasi_fd_filestat_set_times(f, new_mtim, new_mtim, __WASI_FSTFLAGS_MTIM));
    EXPECT_OK(__wasi_fd_filestat_get(f, &st));
    CHECK(st.mtim == new_mtim);
    CHECK(st.atim == old_atim);
    EXPECT_ERRNO(__wasi_fd_filestat_set_times(f, 100, 200,
                                              __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
                 __WASI_ERRNO_INVAL);
    EXPECT_ERRNO(__wasi_fd_filestat_set_times(f, 100, 200,
                                              __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
                 __WASI_ERRNO_INVAL);
    EXPECT_OK(__wasi_fd_filestat_get(f, &st));
    CHECK(st.mtim == new_mtim);
    cf_close(f);
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));
}

static void path_filestat(__wasi_fd_t d) {
    uint64_t r = RW | __WASI_RIGHTS_PATH_FILESTAT_GET;
    __wasi_fd_t f;
    int flags = __WASI_FDFLAGS_APPEND | __WASI_FDFLAGS_SYNC;
    int e = cf_open(d, 0, "file", __WASI_OFLAGS_CREAT, r, 0, flags, &f);
    if (e == __WASI_ERRNO_NOTSUP) {
        flags = __WASI_FDFLAGS_APPEND;
        e = cf_open(d, 0, "file", __WASI_OFLAGS_CREAT, r, 0, flags, &f);
    }
    MUST(e);
    __wasi_fdstat_t fst;
    EXPECT_OK(__wasi_fd_fdstat_get(f, &fst));
    CHECK(fst.fs_flags & __WASI_FDFLAGS_APPEND);
    if (flags & __WASI_FDFLAGS_SYNC) CHECK(fst.fs_flags & __WASI_FDFLAGS_SYNC);
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "file", &st));
    CHECK(st.size == 0);
    __wasi_timestamp_t m = st.mtim - 100;
    EXPECT_OK(__wasi_path_filestat_set_times(d, 0, "file", 0, m, __WASI_FSTFLAGS_MTIM));
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "file", &st));
    CHECK(st.mtim == m);
    EXPECT_ERRNO(__wasi_path_filestat_set_times(d, 0, "file", 0, m,
                                                __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
                 __WASI_ERRNO_INVAL);
    EXPECT_OK(__wasi_path_filestat_get(d, 0, "file", &st));
    CHECK(st.mtim == m);
    EXPECT_ERRNO(__wasi_path_filestat_set_times(d, 0, "file", 0, 0,
                                                __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
                 __WASI_ERRNO_INVAL);
    cf_close(f);
    EXPECT_OK(__wasi_path_unlink_file(d, "file"));
}


static void poll_sleep(__wasi_clockid_t id) {
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.userdata = 0x12345678;
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = id;
    sub.u.u.clock.timeout = 5000000; /* 5 ms, relative */
    __wasi_event_t ev[1];
    __wasi_size_t n = 0;
    __wasi_timestamp_t before = 0, after = 0;
    MUST(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &before));
    EXPECT_OK(__wasi_poll_oneoff(&sub, ev, 1, &n));
    MUST(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &after));
    CHECK(n == 1);
    CHECK(ev[0].error == 0 && ev[0].type == __WASI_EVENTTYPE_CLOCK);
    CHECK(ev[0].userdata == 0x12345678);
    CHECK(after - before >= 5000000);
}

/* Regular files are always ready: a read and a write subscription both fire, in order. */
static void poll_files(__wasi_fd_t d) {
    poll_sleep(__WASI_CLOCKID_MONOTONIC);
    poll_sleep(__WASI_CLOCKID_REALTIME);
    __wasi_fd_t w, r, w2;
    MUST(cf_open(d, 0, "readable", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &w));
    int e;
    uint8_t one = 1;
    cf_write(w, &one, 1, &e);
    cf_close(w);
    MUST(cf_open(d, 0, "readable", 0, __WASI_RIGHTS_FD_READ, 0, 0, &r));
    MUST(cf_open(d, 0, "writable", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &w2));
    __wasi_subscription_t in[2];
    memset(in, 0, sizeof in);
    in[0].userdata = 1;
    in[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    in[0].u.u.fd_read.file_descriptor = r;
    in[1].userdata = 2;
    in[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
    in[1].u.u.fd_write.file_descriptor = w2;
    __wasi_event_t out[2];
    __wasi_size_t n = 0;
    memset(out, 0, sizeof out);
    EXPECT_OK(__wasi_poll_oneoff(in, out, 2, &n));
    CHECK(n == 2);
    if (n == 2) {
        CHECK(out[0].userdata == 1 && out[0].type == __WASI_EVENTTYPE_FD_READ);
        CHECK(out[0].error == 0);
        CHECK(out[1].userdata == 2 && out[1].type == __WASI_EVENTTYPE_FD_WRITE);
        CHECK(out[1].error == 0);
    }
    cf_close(r);
    cf_close(w2);
    EXPECT_OK(__wasi_path_unlink_file(d, "readable"));
    EXPECT_OK(__wasi_path_unlink_file(d, "writable"));
}

int main(int argc, char **argv) {
    const char *scratch = argc > 1 ? argv[1] : "fs-tests.dir";
    __wasi_fd_t base = cf_scratch(scratch);
    __wasi_fd_t d = cf_tmp_dir(base, "fileio.cleanup");
    seek_tell(d);
    pread_pwrite(d);
    truncation(d);
    append_flags(d);
    unbuffered(d);
    allocate_advise_setsize(d);
    path_filestat(d);
    poll_files(d);
    EXPECT_OK(__wasi_fd_close(d));
    EXPECT_OK(__wasi_path_remove_directory(base, "fileio.cleanup"));
    return cf_finish("conformance_fileio");
}
