/* p1_fd_io: fd_write / fd_read (several iovecs), fd_pread / fd_pwrite, fd_seek (all whences),
 * fd_tell, fd_fdstat_set_flags (append), fd_advise, fd_allocate, fd_datasync, fd_sync,
 * fd_filestat_set_size, fd_renumber, fd_close. Files live under the /sandbox preopen:
 *   io.txt     ends as "0123456789AB\0\0\0\0" (checked by the test)
 *   append.txt "start|" + appended pieces
 *   renum_a.txt / renum_b.txt
 */
#include "check.h"

static __wasi_filesize_t size_of(__wasi_fd_t fd) {
    __wasi_filestat_t st;
    if (__wasi_fd_filestat_get(fd, &st) != OK) return (__wasi_filesize_t)-1;
    return st.size;
}

int main(void) {
    int dir = sandbox_fd();
    __wasi_fd_t fd;
    CHECK_ERRNO("path_open.create_io", open_at(dir, "io.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd), OK);

    /* fd_write with three iovecs, one of them empty. */
    __wasi_ciovec_t w[3] = {{(const uint8_t *)"01234", 5}, {(const uint8_t *)"", 0},
                            {(const uint8_t *)"56789ABCDEFGHIJ", 15}};
    __wasi_size_t n = 0;
    CHECK_ERRNO("fd_write.iovecs", __wasi_fd_write(fd, w, 3, &n), OK);
    CHECK_SHOW("fd_write.iovecs.count", n == 20, "%u", (unsigned)n);
    __wasi_filesize_t pos = 99;
    CHECK_ERRNO("fd_tell.after_write", __wasi_fd_tell(fd, &pos), OK);
    CHECK_SHOW("fd_tell.after_write.value", pos == 20, "%llu", (unsigned long long)pos);

    /* fd_seek: every whence, and the error cases. */
    __wasi_filesize_t np = 0;
    CHECK_ERRNO("fd_seek.set", __wasi_fd_seek(fd, 3, __WASI_WHENCE_SET, &np), OK);
    CHECK_SHOW("fd_seek.set.value", np == 3, "%llu", (unsigned long long)np);
    CHECK_ERRNO("fd_seek.cur", __wasi_fd_seek(fd, 4, __WASI_WHENCE_CUR, &np), OK);
    CHECK_SHOW("fd_seek.cur.value", np == 7, "%llu", (unsigned long long)np);
    CHECK_ERRNO("fd_seek.cur_negative", __wasi_fd_seek(fd, -2, __WASI_WHENCE_CUR, &np), OK);
    CHECK_SHOW("fd_seek.cur_negative.value", np == 5, "%llu", (unsigned long long)np);
    CHECK_ERRNO("fd_seek.end", __wasi_fd_seek(fd, -5, __WASI_WHENCE_END, &np), OK);
    CHECK_SHOW("fd_seek.end.value", np == 15, "%llu", (unsigned long long)np);
    CHECK_ERRNO("fd_seek.cur_zero_is_tell", __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &np), OK);
    CHECK("fd_seek.cur_zero_is_tell.value", np == 15);
    CHECK_ERRNO("fd_seek.before_start", __wasi_fd_seek(fd, -100, __WASI_WHENCE_SET, &np), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("fd_seek.bad_whence", __wasi_fd_seek(fd, 0, 3, &np), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("fd_tell.unchanged_by_failed_seek", __wasi_fd_tell(fd, &pos), OK);
    CHECK("fd_tell.unchanged_by_failed_seek.value", pos == 15);
    CHECK_ERRNO("fd_seek.past_end", __wasi_fd_seek(fd, 5, __WASI_WHENCE_END, &np), OK);
    CHECK("fd_seek.past_end.value", np == 25);

    /* fd_read with three iovecs of 2, 3 and 100 bytes from offset 4. */
    CHECK_ERRNO("fd_seek.to_4", __wasi_fd_seek(fd, 4, __WASI_WHENCE_SET, &np), OK);
    char r1[2], r2[3], r3[100];
    __wasi_iovec_t r[3] = {{(uint8_t *)r1, 2}, {(uint8_t *)r2, 3}, {(uint8_t *)r3, 100}};
    CHECK_ERRNO("fd_read.iovecs", __wasi_fd_read(fd, r, 3, &n), OK);
    CHECK_SHOW("fd_read.iovecs.count", n == 16, "%u", (unsigned)n);
    CHECK("fd_read.iovecs.split",
          memcmp(r1, "45", 2) == 0 && memcmp(r2, "678", 3) == 0 && memcmp(r3, "9ABCDEFGHIJ", 11) == 0);
    CHECK_ERRNO("fd_read.eof", __wasi_fd_read(fd, r, 3, &n), OK);
    CHECK("fd_read.eof.zero", n == 0);

    /* fd_pread / fd_pwrite leave the position alone. */
    CHECK_ERRNO("fd_seek.to_2", __wasi_fd_seek(fd, 2, __WASI_WHENCE_SET, &np), OK);
    char p[6] = {0};
    __wasi_iovec_t pi[2] = {{(uint8_t *)p, 2}, {(uint8_t *)p + 2, 4}};
    CHECK_ERRNO("fd_pread", __wasi_fd_pread(fd, pi, 2, 10, &n), OK);
    CHECK("fd_pread.data", n == 6 && memcmp(p, "ABCDEF", 6) == 0);
    CHECK_ERRNO("fd_pread.past_end", __wasi_fd_pread(fd, pi, 2, 1000, &n), OK);
    CHECK("fd_pread.past_end.zero", n == 0);
    __wasi_ciovec_t pw[2] = {{(const uint8_t *)"xy", 2}, {(const uint8_t *)"z", 1}};
    CHECK_ERRNO("fd_pwrite", __wasi_fd_pwrite(fd, pw, 2, 0, &n), OK);
    CHECK("fd_pwrite.count", n == 3);
    CHECK_ERRNO("fd_tell.after_pread_pwrite", __wasi_fd_tell(fd, &pos), OK);
    CHECK_SHOW("fd_tell.after_pread_pwrite.value", pos == 2, "%llu", (unsigned long long)pos);
    /* pwrite past the end extends the file with a zero-filled hole. */
    CHECK_ERRNO("fd_pwrite.past_end", __wasi_fd_pwrite(fd, pw, 1, 24, &n), OK);
    CHECK_SHOW("fd_pwrite.past_end.size", size_of(fd) == 26, "%llu", (unsigned long long)size_of(fd));
    char hole[4] = {1, 1, 1, 1};
    __wasi_iovec_t hi = {(uint8_t *)hole, 4};
    CHECK_ERRNO("fd_pread.hole", __wasi_fd_pread(fd, &hi, 1, 20, &n), OK);
    CHECK("fd_pread.hole.zeros", n == 4 && hole[0] == 0 && hole[3] == 0);

    /* fd_filestat_set_size: shrink then grow. */
    CHECK_ERRNO("fd_filestat_set_size.shrink", __wasi_fd_filestat_set_size(fd, 12), OK);
    CHECK("fd_filestat_set_size.shrink.size", size_of(fd) == 12);
    CHECK_ERRNO("fd_filestat_set_size.grow", __wasi_fd_filestat_set_size(fd, 16), OK);
    CHECK("fd_filestat_set_size.grow.size", size_of(fd) == 16);
    char g[8];
    __wasi_iovec_t gi = {(uint8_t *)g, 8};
    CHECK_ERRNO("fd_pread.after_grow", __wasi_fd_pread(fd, &gi, 1, 10, &n), OK);
    CHECK("fd_pread.after_grow.data", n == 6 && memcmp(g, "AB\0\0\0\0", 6) == 0);

    /* fd_advise: every advice value; a bad one is inval. */
    int adv_ok = 1;
    for (int a = 0; a <= 5; a++) adv_ok &= __wasi_fd_advise(fd, 0, 16, (__wasi_advice_t)a) == OK;
    CHECK("fd_advise.all_values", adv_ok);
    CHECK_ERRNO("fd_advise.bad_advice", __wasi_fd_advise(fd, 0, 16, 6), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("fd_advise.bad_fd", __wasi_fd_advise(999, 0, 16, 0), __WASI_ERRNO_BADF);

    /* fd_allocate: grows the file to offset+len, never shrinks it. Hosts built on
     * WASI 0.2 (which has no allocate) may answer notsup; the line shows which. */
    __wasi_errno_t ae = __wasi_fd_allocate(fd, 0, 40);
    if (ae == OK) {
        pass("fd_allocate", "success");
        CHECK_SHOW("fd_allocate.grows", size_of(fd) == 40, "%llu", (unsigned long long)size_of(fd));
        CHECK_ERRNO("fd_allocate.no_shrink", __wasi_fd_allocate(fd, 0, 4), OK);
        CHECK("fd_allocate.no_shrink.size", size_of(fd) == 40);
        CHECK_ERRNO("fd_filestat_set_size.back_to_16", __wasi_fd_filestat_set_size(fd, 16), OK);
    } else {
        CHECK_ERRNO("fd_allocate", ae, __WASI_ERRNO_NOTSUP);
        CHECK("fd_allocate.unchanged", size_of(fd) == 16);
    }
    CHECK_ERRNO("fd_allocate.bad_fd", __wasi_fd_allocate(999, 0, 1), __WASI_ERRNO_BADF);

    CHECK_ERRNO("fd_datasync", __wasi_fd_datasync(fd), OK);
    CHECK_ERRNO("fd_sync", __wasi_fd_sync(fd), OK);
    CHECK_ERRNO("fd_datasync.bad_fd", __wasi_fd_datasync(999), __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_sync.bad_fd", __wasi_fd_sync(999), __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_close.io", __wasi_fd_close(fd), OK);
    CHECK_ERRNO("fd_close.again", __wasi_fd_close(fd), __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_write.closed", __wasi_fd_write(fd, w, 1, &n), __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_read.closed", __wasi_fd_read(fd, r, 1, &n), __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_seek.closed", __wasi_fd_seek(fd, 0, 0, &np), __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_tell.closed", __wasi_fd_tell(fd, &pos), __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_pread.closed", __wasi_fd_pread(fd, r, 1, 0, &n), __WASI_ERRNO_BADF);
    CHECK_ERRNO("fd_pwrite.closed", __wasi_fd_pwrite(fd, w, 1, 0, &n), __WASI_ERRNO_BADF);

    /* Read-only and write-only descriptors. */
    __wasi_fd_t ro, wo;
    CHECK_ERRNO("path_open.read_only",
                __wasi_path_open(dir, 0, "io.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0, 0, &ro), OK);
    CHECK_ERRNO2("fd_write.on_read_only", __wasi_fd_write(ro, w, 1, &n), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
    char one[1];
    __wasi_iovec_t oi = {(uint8_t *)one, 1};
    CHECK_ERRNO("fd_read.on_read_only", __wasi_fd_read(ro, &oi, 1, &n), OK);
    CHECK("fd_read.on_read_only.data", n == 1 && one[0] == 'x');
    CHECK_ERRNO("path_open.write_only",
                __wasi_path_open(dir, 0, "io.txt", 0, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK, 0, 0, &wo), OK);
    CHECK_ERRNO2("fd_read.on_write_only", __wasi_fd_read(wo, &oi, 1, &n), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("fd_write.on_write_only", __wasi_fd_write(wo, w, 1, &n), OK); /* "01234" at 0 */
    (void)__wasi_fd_close(ro);
    (void)__wasi_fd_close(wo);
    /* io.txt is now "0123456789AB" followed by four NUL bytes: the test checks the bytes. */

    /* Append mode via fd_fdstat_set_flags. */
    CHECK_ERRNO("put_file.append", put_file(dir, "append.txt", "start|"), OK);
    CHECK_ERRNO("path_open.append_target", open_at(dir, "append.txt", 0, 0, &fd), OK);
    __wasi_fdstat_t st;
    CHECK_ERRNO("fd_fdstat_get.before_append", __wasi_fd_fdstat_get(fd, &st), OK);
    CHECK("fd_fdstat_get.before_append.flags", (st.fs_flags & __WASI_FDFLAGS_APPEND) == 0);
    CHECK_ERRNO("fd_fdstat_set_flags.append", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), OK);
    CHECK_ERRNO("fd_fdstat_get.after_append", __wasi_fd_fdstat_get(fd, &st), OK);
    CHECK("fd_fdstat_get.after_append.flags", (st.fs_flags & __WASI_FDFLAGS_APPEND) != 0);
    CHECK_ERRNO("fd_seek.append_to_0", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &np), OK);
    CHECK_ERRNO("fd_write.append", write_all(fd, "one|", 4), OK);
    CHECK_ERRNO("fd_tell.append", __wasi_fd_tell(fd, &pos), OK);
    CHECK_SHOW("fd_tell.append.value", pos == 10, "%llu", (unsigned long long)pos);
    CHECK_ERRNO("fd_fdstat_set_flags.clear", __wasi_fd_fdstat_set_flags(fd, 0), OK);
    CHECK_ERRNO("fd_seek.after_clear", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &np), OK);
    CHECK_ERRNO("fd_write.after_clear", write_all(fd, "S", 1), OK); /* overwrites 's' */
    CHECK_ERRNO("fd_fdstat_set_flags.bad_fd", __wasi_fd_fdstat_set_flags(999, 0), __WASI_ERRNO_BADF);
    (void)__wasi_fd_close(fd);
    char buf[64];
    CHECK_ERRNO("get_file.append", get_file(dir, "append.txt", buf, sizeof buf), OK);
    CHECK_SHOW("append.content", strcmp(buf, "Start|one|") == 0, "%s", buf);

    /* fd_renumber: b takes a's file; a is closed afterwards. In a module that imports
     * WASIX (WXC_RENUMBER_IS_DUP2 set) it is dup2: a stays open, and a target that is not
     * open is created. */
    int dup2_like = getenv("WXC_RENUMBER_IS_DUP2") != NULL;
    __wasi_fd_t fa, fb;
    CHECK_ERRNO("put_file.renum_a", put_file(dir, "renum_a.txt", "AAAA"), OK);
    CHECK_ERRNO("put_file.renum_b", put_file(dir, "renum_b.txt", "BBBB"), OK);
    CHECK_ERRNO("path_open.renum_a", open_at(dir, "renum_a.txt", 0, 0, &fa), OK);
    CHECK_ERRNO("path_open.renum_b", open_at(dir, "renum_b.txt", 0, 0, &fb), OK);
    CHECK_ERRNO("fd_seek.renum_a", __wasi_fd_seek(fa, 2, __WASI_WHENCE_SET, &np), OK);
    CHECK_ERRNO("fd_renumber", __wasi_fd_renumber(fa, fb), OK);
    if (dup2_like) {
        CHECK_ERRNO("fd_renumber.from_open", __wasi_fd_tell(fa, &pos), OK);
        (void)__wasi_fd_close(fa);
    } else {
        CHECK_ERRNO("fd_renumber.from_closed", __wasi_fd_tell(fa, &pos), __WASI_ERRNO_BADF);
    }
    CHECK_ERRNO("fd_renumber.to_keeps_position", __wasi_fd_tell(fb, &pos), OK);
    CHECK("fd_renumber.to_keeps_position.value", pos == 2);
    CHECK_ERRNO("fd_write.renumbered", write_all(fb, "z", 1), OK);
    CHECK_ERRNO("fd_renumber.self", __wasi_fd_renumber(fb, fb), OK);
    CHECK_ERRNO("fd_renumber.self_still_open", __wasi_fd_tell(fb, &pos), OK);
    CHECK_ERRNO("fd_renumber.bad_from", __wasi_fd_renumber(999, fb), __WASI_ERRNO_BADF);
    if (dup2_like) {
        CHECK_ERRNO("fd_renumber.new_to", __wasi_fd_renumber(fb, 999), OK);
        CHECK_ERRNO("fd_renumber.new_to_open", __wasi_fd_tell(999, &pos), OK);
        (void)__wasi_fd_close(999);
    } else {
        CHECK_ERRNO("fd_renumber.bad_to", __wasi_fd_renumber(fb, 999), __WASI_ERRNO_BADF);
    }
    (void)__wasi_fd_close(fb);
    CHECK_ERRNO("get_file.renum_a", get_file(dir, "renum_a.txt", buf, sizeof buf), OK);
    CHECK_SHOW("renum_a.content", strcmp(buf, "AAzA") == 0, "%s", buf);
    CHECK_ERRNO("get_file.renum_b", get_file(dir, "renum_b.txt", buf, sizeof buf), OK);
    CHECK_SHOW("renum_b.content", strcmp(buf, "BBBB") == 0, "%s", buf);

    /* fd_write to stdout with several iovecs forms one line. */
    fflush(stdout);
    __wasi_ciovec_t so[4] = {{(const uint8_t *)"fd_write.stdout", 15}, {(const uint8_t *)": ", 2},
                             {(const uint8_t *)"", 0}, {(const uint8_t *)"iovecs-joined\n", 14}};
    __wasi_errno_t se = __wasi_fd_write(1, so, 4, &n);
    CHECK_SHOW("fd_write.stdout.result", se == OK && n == 31, "%s %u", errno_name(se), (unsigned)n);
    __wasi_ciovec_t ee = {(const uint8_t *)"stderr-line\n", 12};
    CHECK_ERRNO("fd_write.stderr", __wasi_fd_write(2, &ee, 1, &n), OK);
    return check_done();
}
