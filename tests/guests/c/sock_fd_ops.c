/* sock_fd_ops: the WASIX fd calls that come with the sockets work (no network needed).
 * Run with a preopen at /sandbox.
 * Checks: fd_dup (new fd, shares the file offset, original stays usable after closing the
 * copy), fd_dup2 (lowest free fd >= min_result_fd, cloexec flag recorded), fd_fdflags_get /
 * fd_fdflags_set (cloexec round trip, unknown bits → inval), path_open2 with fdflagsext
 * cloexec, fd_pipe (write → read through the pipe, poll readiness, EOF after the writer
 * closes, EPIPE after the reader closes), fd_event (counter semantics, semaphore mode,
 * non-blocking read of a zero counter → again, poll readiness, short read → inval),
 * getcwd / chdir (chdir to a preopen and a subdirectory, relative chdir, getcwd with a
 * short buffer → overflow reporting the needed size, chdir to a missing dir → noent, to a
 * file → notdir), tty_get / tty_set, and bad fds / out-of-bounds pointers on each call. */
#include "check.h"
#include "wasix.h"

#define MS 1000000ull

static int poll_read(uint32_t fd, uint64_t timeout_ns) {
    __wasi_subscription_t s[2];
    __wasi_event_t ev[2];
    memset(s, 0, sizeof s);
    s[0].userdata = 1;
    s[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    s[0].u.u.fd_read.file_descriptor = fd;
    s[1].userdata = 2;
    s[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    s[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s[1].u.u.clock.timeout = timeout_ns;
    uint32_t n = 0;
    if (wx_poll_oneoff(s, ev, 2, &n)) return -1;
    for (uint32_t i = 0; i < n; i++)
        if (ev[i].userdata == 1) return 1;
    return 0;
}

static wx_err_t rd(uint32_t fd, void *buf, size_t cap, uint32_t *n) {
    __wasi_iovec_t iv = {(uint8_t *)buf, cap};
    return wx_fd_read(fd, &iv, 1, n);
}

static wx_err_t wr(uint32_t fd, const void *buf, size_t len, uint32_t *n) {
    __wasi_ciovec_t cv = {(const uint8_t *)buf, len};
    return wx_fd_write(fd, &cv, 1, n);
}

int main(void) {
    int dir = sandbox_fd();
    uint32_t n = 0;
    char buf[256];

    /* ---- fd_dup / fd_dup2 / fdflags ---- */
    __wasi_fd_t f;
    REQUIRE("fd.put_file", put_file(dir, "dup.txt", "0123456789") == OK);
    REQUIRE("fd.open", open_at(dir, "dup.txt", 0, 0, &f) == OK);
    uint32_t d = 0xdead;
    CHECK_ERRNO("fd.dup", wx_fd_dup(f, &d), OK);
    CHECK("fd.dup.new_fd", d != f && d != 0xdead);
    memset(buf, 0, sizeof buf);
    CHECK_SHOW("fd.dup.read_orig", rd(f, buf, 4, &n) == OK && n == 4 && memcmp(buf, "0123", 4) == 0, "0123");
    memset(buf, 0, sizeof buf);
    CHECK_SHOW("fd.dup.shared_offset", rd(d, buf, 3, &n) == OK && n == 3 && memcmp(buf, "456", 3) == 0, "456");
    uint16_t fl = 0xeeee;
    CHECK_SHOW("fd.dup.fdflags", wx_fd_fdflags_get(d, &fl) == OK && fl == 0, "0");
    CHECK_ERRNO("fd.dup.close_copy", wx_fd_close(d), OK);
    CHECK_SHOW("fd.dup.orig_usable", rd(f, buf, 3, &n) == OK && n == 3 && memcmp(buf, "789", 3) == 0, "789");

    uint32_t d2 = 0;
    CHECK_ERRNO("fd.dup2", wx_fd_dup2(f, 40, 1, &d2), OK);
    CHECK_SHOW("fd.dup2.min_fd", d2 >= 40, ">= 40");
    fl = 0xeeee;
    CHECK_SHOW("fd.dup2.cloexec", wx_fd_fdflags_get(d2, &fl) == OK && fl == WX_FDFLAGEXT_CLOEXEC, "cloexec");
    CHECK_ERRNO("fd.fdflags_set_clear", wx_fd_fdflags_set(d2, 0), OK);
    fl = 0xeeee;
    CHECK_SHOW("fd.fdflags_get_cleared", wx_fd_fdflags_get(d2, &fl) == OK && fl == 0, "0");
    CHECK_ERRNO("fd.fdflags_set_cloexec", wx_fd_fdflags_set(d2, WX_FDFLAGEXT_CLOEXEC), OK);
    fl = 0xeeee;
    CHECK_SHOW("fd.fdflags_get_set", wx_fd_fdflags_get(d2, &fl) == OK && fl == WX_FDFLAGEXT_CLOEXEC, "cloexec");
    WCHECK_ERRNO("fd.fdflags_set_unknown_bits", wx_fd_fdflags_set(d2, 0x8000), WX_EINVAL);
    uint32_t d3 = 0;
    CHECK_ERRNO("fd.dup2_again", wx_fd_dup2(f, 40, 0, &d3), OK);
    CHECK_SHOW("fd.dup2_again.next_free", d3 > 40 && d3 != d2, "next free");
    wx_fd_close(d2);
    wx_fd_close(d3);
    WCHECK_ERRNO("fd.dup.bad_fd", wx_fd_dup(9999, &d), WX_EBADF);
    WCHECK_ERRNO("fd.dup2.bad_fd", wx_fd_dup2(9999, 40, 0, &d), WX_EBADF);
    WCHECK_ERRNO("fd.dup.oob_ret", wx_fd_dup(f, (uint32_t *)0xFFFFFFFEu), WX_EMEMVIOLATION);
    WCHECK_ERRNO("fd.fdflags_get.bad_fd", wx_fd_fdflags_get(9999, &fl), WX_EBADF);
    WCHECK_ERRNO("fd.fdflags_set.bad_fd", wx_fd_fdflags_set(9999, 0), WX_EBADF);
    WCHECK_ERRNO("fd.fdflags_get.oob", wx_fd_fdflags_get(f, (uint16_t *)0xFFFFFFFFu), WX_EMEMVIOLATION);
    wx_fd_close(f);

    /* path_open2 with fdflagsext */
    __wasi_fdstat_t ds;
    wx_fd_fdstat_get(dir, &ds);
    uint32_t p2 = 0;
    const char *name = "open2.txt";
    CHECK_ERRNO("fd.path_open2", wx_path_open2(dir, 0, name, strlen(name), __WASI_OFLAGS_CREAT, ds.fs_rights_inheriting, ds.fs_rights_inheriting, 0, WX_FDFLAGEXT_CLOEXEC, &p2), OK);
    fl = 0xeeee;
    CHECK_SHOW("fd.path_open2.cloexec", wx_fd_fdflags_get(p2, &fl) == OK && fl == WX_FDFLAGEXT_CLOEXEC, "cloexec");
    CHECK_SHOW("fd.path_open2.write", wr(p2, "abc", 3, &n) == OK && n == 3, "3");
    wx_fd_close(p2);
    WCHECK_ERRNO("fd.path_open2.oob_path", wx_path_open2(dir, 0, (const char *)0xFFFFFFF0u, 64, 0, ds.fs_rights_inheriting, ds.fs_rights_inheriting, 0, 0, &p2), WX_EMEMVIOLATION);

    /* ---- fd_pipe ---- */
    uint32_t pr = 0, pw = 0;
    REQUIRE("fd.pipe", CHECK_ERRNO("fd.pipe", wx_fd_pipe(&pr, &pw), OK) == OK);
    CHECK("fd.pipe.distinct", pr != pw);
    CHECK_SHOW("fd.pipe.poll_idle", poll_read(pr, 20 * MS) == 0, "timeout");
    CHECK_SHOW("fd.pipe.write", wr(pw, "through the pipe", 16, &n) == OK && n == 16, "16");
    CHECK_SHOW("fd.pipe.poll_ready", poll_read(pr, 2000 * MS) == 1, "ready");
    memset(buf, 0, sizeof buf);
    CHECK_SHOW("fd.pipe.read", rd(pr, buf, sizeof buf, &n) == OK && n == 16 && memcmp(buf, "through the pipe", 16) == 0, "through the pipe");
    /* WASIX pipes are bidirectional: the other direction works too */
    CHECK_SHOW("fd.pipe.reverse_write", wr(pr, "back", 4, &n) == OK && n == 4, "4");
    memset(buf, 0, sizeof buf);
    CHECK_SHOW("fd.pipe.reverse_read", rd(pw, buf, sizeof buf, &n) == OK && n == 4 && memcmp(buf, "back", 4) == 0, "back");
    CHECK_ERRNO("fd.pipe.nonblock", wx_fd_fdstat_set_flags(pr, WX_FDFLAG_NONBLOCK), OK);
    CHECK_ERRNO("fd.pipe.read_empty_again", rd(pr, buf, sizeof buf, &n), __WASI_ERRNO_AGAIN);
    CHECK_ERRNO("fd.pipe.close_writer", wx_fd_close(pw), OK);
    n = 99;
    CHECK_SHOW("fd.pipe.eof", rd(pr, buf, sizeof buf, &n) == OK && n == 0, "eof");
    wx_fd_close(pr);
    /* wasmer-wasix ends the process (exit 64, like SIGPIPE) here: WXC_SKIP for it */
    if (!skip_requested("fd.pipe.write_no_reader") && wx_fd_pipe(&pr, &pw) == OK) {
        wx_fd_close(pr);
        WCHECK_ERRNO("fd.pipe.write_no_reader", wr(pw, "x", 1, &n), WX_EPIPE);
        wx_fd_close(pw);
    }
    WCHECK_ERRNO("fd.pipe.oob_ret", wx_fd_pipe((uint32_t *)0xFFFFFFFEu, &pw), WX_EMEMVIOLATION);

    /* ---- fd_event ---- */
    uint32_t ev = 0;
    uint64_t v = 0;
    REQUIRE("fd.event", CHECK_ERRNO("fd.event", wx_fd_event(5, 0, &ev), OK) == OK);
    CHECK_SHOW("fd.event.poll_ready", poll_read(ev, 1000 * MS) == 1, "ready");
    CHECK_SHOW("fd.event.read_initial", rd(ev, &v, 8, &n) == OK && n == 8 && v == 5, "5");
    CHECK_ERRNO("fd.event.nonblock", wx_fd_fdstat_set_flags(ev, WX_FDFLAG_NONBLOCK), OK);
    CHECK_ERRNO("fd.event.read_zero_again", rd(ev, &v, 8, &n), __WASI_ERRNO_AGAIN);
    CHECK_SHOW("fd.event.poll_idle", poll_read(ev, 20 * MS) == 0, "timeout");
    v = 3;
    CHECK_SHOW("fd.event.write", wr(ev, &v, 8, &n) == OK && n == 8, "8");
    v = 4;
    wr(ev, &v, 8, &n);
    v = 0;
    CHECK_SHOW("fd.event.read_sum", rd(ev, &v, 8, &n) == OK && v == 7, "7");
    WCHECK_ERRNO("fd.event.short_read", rd(ev, &v, 4, &n), WX_EINVAL);
    wx_fd_close(ev);
    if (CHECK_ERRNO("fd.event_semaphore", wx_fd_event(2, WX_EVENTFD_SEMAPHORE, &ev), OK) == OK) {
        wx_fd_fdstat_set_flags(ev, WX_FDFLAG_NONBLOCK);
        v = 0;
        CHECK_SHOW("fd.event_semaphore.read1", rd(ev, &v, 8, &n) == OK && v == 1, "1");
        v = 0;
        CHECK_SHOW("fd.event_semaphore.read2", rd(ev, &v, 8, &n) == OK && v == 1, "1");
        CHECK_ERRNO("fd.event_semaphore.empty", rd(ev, &v, 8, &n), __WASI_ERRNO_AGAIN);
        wx_fd_close(ev);
    }
    WCHECK_ERRNO("fd.event.bad_flags", wx_fd_event(0, 0x100, &ev), WX_EINVAL);
    WCHECK_ERRNO("fd.event.oob_ret", wx_fd_event(0, 0, (uint32_t *)0xFFFFFFFEu), WX_EMEMVIOLATION);

    /* ---- getcwd / chdir ---- */
    uint32_t len = sizeof buf;
    memset(buf, 0, sizeof buf);
    CHECK_ERRNO("fd.getcwd", wx_getcwd(buf, &len), OK);
    CHECK_SHOW("fd.getcwd.absolute", buf[0] == '/', "absolute");
    const char *sb = "/sandbox";
    CHECK_ERRNO("fd.chdir_sandbox", wx_chdir(sb, strlen(sb)), OK);
    len = sizeof buf;
    memset(buf, 0, sizeof buf);
    CHECK_SHOW("fd.getcwd_sandbox", wx_getcwd(buf, &len) == OK && strcmp(buf, "/sandbox") == 0 && len == 8, "/sandbox");
    if (__wasi_path_create_directory(dir, "sub") != OK) { /* may exist */ }
    CHECK_ERRNO("fd.chdir_relative", wx_chdir("sub", 3), OK);
    len = sizeof buf;
    memset(buf, 0, sizeof buf);
    CHECK_SHOW("fd.getcwd_sub", wx_getcwd(buf, &len) == OK && strncmp(buf, "/sandbox/sub", 12) == 0, "/sandbox/sub");
    /* Too short, even by the NUL alone: range, with the size that fits path and NUL (what
     * wasix-libc's getcwd(NULL, 0) allocates before asking again). */
    len = 4;
    WCHECK_ERRNO("fd.getcwd_short", wx_getcwd(buf, &len), WX_ERANGE);
    CHECK_SHOW("fd.getcwd_short.needed", len == 13, "needed size");
    len = 12;
    WCHECK_ERRNO("fd.getcwd_no_room_for_nul", wx_getcwd(buf, &len), WX_ERANGE);
    len = 13;
    memset(buf, 0x55, sizeof buf);
    CHECK_SHOW("fd.getcwd_exact", wx_getcwd(buf, &len) == OK && len == 12 && strcmp(buf, "/sandbox/sub") == 0, "NUL-terminated");
    CHECK_ERRNO("fd.chdir_dotdot", wx_chdir("..", 2), OK);
    len = sizeof buf;
    CHECK_SHOW("fd.getcwd_dotdot", wx_getcwd(buf, &len) == OK && strcmp(buf, "/sandbox") == 0, "/sandbox");
    CHECK_ERRNO("fd.chdir_empty", wx_chdir("", 0), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("fd.chdir_dot_slash", wx_chdir("./sub/", 6), OK);
    len = sizeof buf;
    CHECK_SHOW("fd.getcwd_normalised", wx_getcwd(buf, &len) == OK && strcmp(buf, "/sandbox/sub") == 0, "/sandbox/sub");
    CHECK_ERRNO("fd.chdir_missing", wx_chdir("/sandbox/missing", 16), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("fd.chdir_file", wx_chdir("/sandbox/dup.txt", 16), __WASI_ERRNO_NOTDIR);
    WCHECK_ERRNO("fd.chdir_oob", wx_chdir((const char *)0xFFFFFFF0u, 64), WX_EMEMVIOLATION);
    len = sizeof buf;
    WCHECK_ERRNO("fd.getcwd_oob", wx_getcwd((char *)0xFFFFFFF0u, &len), WX_EMEMVIOLATION);
    wx_chdir(sb, strlen(sb));

    /* ---- tty ---- */
    wx_tty_t t;
    memset(&t, 0xee, sizeof t);
    wx_err_t e = CHECK_ERRNO("fd.tty_get", wx_tty_get(&t), OK);
    CHECK("fd.tty_get.bools", e == OK && t.stdin_tty <= 1 && t.stdout_tty <= 1 && t.stderr_tty <= 1 && t.echo <= 1 && t.line_buffered <= 1 && t.line_feeds <= 1);
    if (e == OK) {
        CHECK_ERRNO("fd.tty_set_same", wx_tty_set(&t), OK);
        wx_tty_t bad = t;
        bad.echo = 7;
        WCHECK_ERRNO("fd.tty_set_bad_bool", wx_tty_set(&bad), WX_EINVAL);
    }
    WCHECK_ERRNO("fd.tty_get_oob", wx_tty_get((wx_tty_t *)0xFFFFFFF0u), WX_EMEMVIOLATION);
    return check_done();
}
