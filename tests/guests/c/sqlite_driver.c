/*
 * A tiny SQLite driver for the real-program test (tests/sqlite.rs). Linked with the SQLite
 * amalgamation, which the test fetches at test time from the crates.io crate libsqlite3-sys.
 *
 * usage: sqlite_driver [--vfs NAME] DB ITEM...
 *   DB      database path as the guest sees it (e.g. /data/t.db)
 *   ITEM    an SQL script given inline, or @PATH to read the script from a file
 *
 * Every statement of every item runs in order. Rows of statements that return rows are
 * printed one per line, columns separated by '|', NULL as "NULL", numbers in SQLite's own
 * text form, so output is deterministic. On an error the driver prints
 * "error: <item index>: <message>" to stderr and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        if (n == 0)
            break;
        len += n;
    }
    if (ferror(f)) {
        perror(path);
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    buf[len] = 0;
    return buf;
}

static int run_script(sqlite3 *db, int idx, const char *sql) {
    const char *tail = sql;
    while (tail && *tail) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
        if (rc != SQLITE_OK) {
            fprintf(stderr, "error: %d: %s\n", idx, sqlite3_errmsg(db));
            return 1;
        }
        if (!st)
            continue; /* whitespace or comment */
        int ncol = sqlite3_column_count(st);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (int i = 0; i < ncol; i++) {
                if (i)
                    fputc('|', stdout);
                if (sqlite3_column_type(st, i) == SQLITE_NULL)
                    fputs("NULL", stdout);
                else
                    fputs((const char *)sqlite3_column_text(st, i), stdout);
            }
            fputc('\n', stdout);
        }
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "error: %d: %s\n", idx, sqlite3_errmsg(db));
            sqlite3_finalize(st);
            return 1;
        }
        sqlite3_finalize(st);
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *vfs = NULL;
    int a = 1;
    if (a + 1 < argc && strcmp(argv[a], "--vfs") == 0) {
        vfs = argv[a + 1];
        a += 2;
    }
    if (a >= argc) {
        fprintf(stderr, "usage: %s [--vfs NAME] DB ITEM...\n", argv[0]);
        return 2;
    }
    const char *path = argv[a++];
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "error: open %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return 1;
    }
    int status = 0;
    for (int i = a; i < argc && status == 0; i++) {
        char *owned = NULL;
        const char *sql = argv[i];
        if (sql[0] == '@') {
            owned = read_file(sql + 1);
            if (!owned) {
                status = 1;
                break;
            }
            sql = owned;
        }
        status = run_script(db, i - a + 1, sql);
        free(owned);
    }
    fflush(stdout);
    if (sqlite3_close(db) != SQLITE_OK) {
        fprintf(stderr, "error: close: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    return status;
}
