/* p1_readdir: fd_readdir over /sandbox/rd, which holds 300 files f000..f299 and one
 * subdirectory "sub". Reads the full listing with a large buffer, again with tiny buffers
 * (resuming from the last complete entry), and once from every cookie. */
#include "check.h"

#define NFILES 300
#define MAXENT (NFILES + 8)

typedef struct {
    char name[32];
    __wasi_dircookie_t next;
    uint8_t type;
    __wasi_inode_t ino;
} ent_t;

/* Reads the whole directory with buffers of `bufsize` bytes starting at `start`.
 * Returns the number of entries, or -1 on error. */
static int list_dir(__wasi_fd_t fd, size_t bufsize, __wasi_dircookie_t start, ent_t *out, int max,
                    __wasi_errno_t *err, int *calls) {
    uint8_t *buf = malloc(bufsize);
    __wasi_dircookie_t cookie = start;
    int count = 0;
    *calls = 0;
    for (;;) {
        __wasi_size_t used = 0;
        __wasi_errno_t e = __wasi_fd_readdir(fd, buf, bufsize, cookie, &used);
        (*calls)++;
        if (e != OK) { *err = e; free(buf); return -1; }
        if (used > bufsize) { *err = __WASI_ERRNO_OVERFLOW; free(buf); return -1; }
        size_t off = 0;
        int progressed = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            if (off + sizeof d + d.d_namlen > used) break; /* truncated: resume from cookie */
            if (count < max) {
                size_t l = d.d_namlen < 31 ? d.d_namlen : 31;
                memcpy(out[count].name, buf + off + sizeof d, l);
                out[count].name[l] = 0;
                out[count].next = d.d_next;
                out[count].type = d.d_type;
                out[count].ino = d.d_ino;
            }
            count++;
            cookie = d.d_next;
            progressed = 1;
            off += sizeof d + d.d_namlen;
        }
        if (used < bufsize) break; /* end of directory */
        if (!progressed) { *err = __WASI_ERRNO_NOBUFS; free(buf); return -1; }
        if (*calls > 100000) { *err = __WASI_ERRNO_LOOP; free(buf); return -1; }
    }
    free(buf);
    *err = OK;
    return count;
}

static int is_dot(const char *n) { return strcmp(n, ".") == 0 || strcmp(n, "..") == 0; }

/* Every file f000..f299 and "sub" exactly once; no other non-dot names. */
static int names_exact(const ent_t *e, int n, int *dots) {
    int seen[NFILES] = {0}, sub = 0;
    *dots = 0;
    for (int i = 0; i < n; i++) {
        if (is_dot(e[i].name)) { (*dots)++; continue; }
        if (strcmp(e[i].name, "sub") == 0) { sub++; continue; }
        int k;
        if (e[i].name[0] != 'f' || strlen(e[i].name) != 4) return 0;
        k = atoi(e[i].name + 1);
        if (k < 0 || k >= NFILES) return 0;
        seen[k]++;
    }
    for (int k = 0; k < NFILES; k++) if (seen[k] != 1) return 0;
    return sub == 1;
}

int main(void) {
    int dir = sandbox_fd();
    CHECK_ERRNO("path_create_directory.rd", __wasi_path_create_directory(dir, "rd"), OK);
    int ok = 1;
    for (int i = 0; i < NFILES; i++) {
        char p[32], c[8];
        snprintf(p, sizeof p, "rd/f%03d", i);
        snprintf(c, sizeof c, "%d", i);
        ok &= put_file(dir, p, c) == OK;
    }
    CHECK("create.300_files", ok);
    CHECK_ERRNO("path_create_directory.rd_sub", __wasi_path_create_directory(dir, "rd/sub"), OK);
    CHECK_ERRNO("path_create_directory.empty", __wasi_path_create_directory(dir, "empty"), OK);

    __wasi_fd_t rd;
    CHECK_ERRNO("path_open.rd", open_at_fl(dir, 0, "rd", __WASI_OFLAGS_DIRECTORY, 0, &rd), OK);

    static ent_t full[MAXENT], small[MAXENT];
    __wasi_errno_t err;
    int calls;
    int n = list_dir(rd, 65536, 0, full, MAXENT, &err, &calls);
    CHECK_ERRNO("fd_readdir.full", err, OK);
    int dots = 0;
    CHECK_SHOW("fd_readdir.full.names_exactly_once", names_exact(full, n, &dots), "%d non-dot", n - dots);
    /* Whether "." and ".." are listed is host-specific; the line records it. */
    pass("fd_readdir.full.dot_entries", "%d", dots);
    int types_ok = 1, ino_nonzero = 1;
    for (int i = 0; i < n; i++) {
        if (is_dot(full[i].name)) continue;
        uint8_t want = strcmp(full[i].name, "sub") == 0 ? __WASI_FILETYPE_DIRECTORY : __WASI_FILETYPE_REGULAR_FILE;
        if (full[i].type != want) types_ok = 0;
        if (full[i].ino == 0) ino_nonzero = 0;
    }
    CHECK("fd_readdir.full.d_type", types_ok);
    pass("fd_readdir.full.d_ino_nonzero", "%s", ino_nonzero ? "yes" : "no");
    int cookies_distinct = 1;
    for (int i = 0; i < n && cookies_distinct; i++)
        for (int j = i + 1; j < n; j++)
            if (full[i].next == full[j].next) { cookies_distinct = 0; break; }
    CHECK("fd_readdir.full.cookies_distinct", cookies_distinct);

    /* Tiny buffers: 24-byte header + up to 16 name bytes, so most calls end mid-entry. */
    size_t sizes[] = {sizeof(__wasi_dirent_t) + 4, 40, 57, 100};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        char nm[64];
        int m = list_dir(rd, sizes[s], 0, small, MAXENT, &err, &calls);
        snprintf(nm, sizeof nm, "fd_readdir.buf%zu", sizes[s]);
        CHECK_ERRNO(nm, err, OK);
        snprintf(nm, sizeof nm, "fd_readdir.buf%zu.same_listing", sizes[s]);
        int same = m == n;
        for (int i = 0; same && i < n; i++) same = strcmp(small[i].name, full[i].name) == 0;
        CHECK(nm, same);
    }

    /* A buffer too small for even one header: the host fills it and reports it full. */
    uint8_t tiny[8];
    __wasi_size_t used = 0;
    CHECK_ERRNO("fd_readdir.buf8", __wasi_fd_readdir(rd, tiny, sizeof tiny, 0, &used), OK);
    CHECK_SHOW("fd_readdir.buf8.used", used == sizeof tiny, "%u", (unsigned)used);

    /* Resume from every cookie: the first entry is the next one of the full listing. */
    int resume_ok = 1, bad_at = -1;
    for (int i = 0; i < n; i++) {
        ent_t one[2];
        uint8_t b[64];
        __wasi_size_t u = 0;
        if (__wasi_fd_readdir(rd, b, sizeof b, full[i].next, &u) != OK) { resume_ok = 0; bad_at = i; break; }
        if (i == n - 1) {
            if (u != 0) { resume_ok = 0; bad_at = i; }
            break;
        }
        __wasi_dirent_t d;
        if (u < sizeof d) { resume_ok = 0; bad_at = i; break; }
        memcpy(&d, b, sizeof d);
        size_t l = d.d_namlen < 31 ? d.d_namlen : 31;
        if (sizeof d + l > u) l = u - sizeof d;
        memcpy(one[0].name, b + sizeof d, l);
        one[0].name[l] = 0;
        if (strcmp(one[0].name, full[i + 1].name) != 0 || d.d_next != full[i + 1].next) {
            resume_ok = 0; bad_at = i; break;
        }
    }
    CHECK_SHOW("fd_readdir.resume_every_cookie", resume_ok, "%d non-dot cookies", n - dots);
    if (!resume_ok) fprintf(stderr, "resume failed at entry %d\n", bad_at);

    /* Listing again from 0 after all that gives the same result (no stale stream state). */
    int again = list_dir(rd, 4096, 0, small, MAXENT, &err, &calls);
    int same = again == n;
    for (int i = 0; same && i < n; i++) same = strcmp(small[i].name, full[i].name) == 0;
    CHECK("fd_readdir.relist_same", same);

    /* Changes are visible to a fresh listing: remove 10 files, add one. */
    ok = 1;
    for (int i = 0; i < 10; i++) {
        char p[32];
        snprintf(p, sizeof p, "rd/f%03d", i * 7);
        ok &= __wasi_path_unlink_file(dir, p) == OK;
    }
    ok &= put_file(dir, "rd/zz_new", "new") == OK;
    CHECK("modify.rd", ok);
    int after = list_dir(rd, 4096, 0, small, MAXENT, &err, &calls);
    int has_new = 0, has_removed = 0;
    for (int i = 0; i < after; i++) {
        if (strcmp(small[i].name, "zz_new") == 0) has_new = 1;
        if (strcmp(small[i].name, "f007") == 0) has_removed = 1;
    }
    CHECK_SHOW("fd_readdir.after_modify", after - dots == NFILES + 1 - 10 + 1 && has_new && !has_removed,
               "%d non-dot", after - dots);
    (void)__wasi_fd_close(rd);

    /* Empty directory: at most the dot entries. */
    __wasi_fd_t ed;
    CHECK_ERRNO("path_open.empty", open_at_fl(dir, 0, "empty", __WASI_OFLAGS_DIRECTORY, 0, &ed), OK);
    int en = list_dir(ed, 4096, 0, small, MAXENT, &err, &calls);
    int only_dots = en >= 0;
    for (int i = 0; i < en; i++) if (!is_dot(small[i].name)) only_dots = 0;
    CHECK_SHOW("fd_readdir.empty_dir", only_dots, "%d entries", en);
    (void)__wasi_fd_close(ed);

    /* fd_readdir on a regular file and on a bad fd. */
    __wasi_fd_t f;
    CHECK_ERRNO("path_open.rd_file", open_at(dir, "rd/f001", 0, 0, &f), OK);
    uint8_t b[256];
    CHECK_ERRNO2("fd_readdir.on_file", __wasi_fd_readdir(f, b, sizeof b, 0, &used), __WASI_ERRNO_NOTDIR, __WASI_ERRNO_BADF);
    (void)__wasi_fd_close(f);
    CHECK_ERRNO("fd_readdir.bad_fd", __wasi_fd_readdir(999, b, sizeof b, 0, &used), __WASI_ERRNO_BADF);
    /* The preopen itself can be listed too. */
    int pn = list_dir(dir, 4096, 0, small, MAXENT, &err, &calls);
    int has_rd = 0, has_empty = 0;
    for (int i = 0; i < pn; i++) {
        if (strcmp(small[i].name, "rd") == 0) has_rd = 1;
        if (strcmp(small[i].name, "empty") == 0) has_empty = 1;
    }
    CHECK("fd_readdir.preopen", err == OK && has_rd && has_empty);
    return check_done();
}
