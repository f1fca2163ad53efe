//! Real-program test: SQLite (the amalgamation from the crates.io crate `libsqlite3-sys`,
//! fetched at test time with `cargo fetch`, never committed) plus our own small driver
//! (`tests/guests/c/sqlite_driver.c`), built with Debian's clang for wasm32-wasi.
//!
//! The same sequence of separate processes runs under our engine and under the wasmer-wasix
//! reference; both must give the exact expected stdout, exit codes and resulting files, and
//! a database written by one engine must be byte-identical to the other's and readable by it.
//!
//! SQLite 3.46 builds for WASI out of the box: for `__wasi__` it defines SQLITE_WASI, omits
//! WAL and mmap, stubs getpid, and picks the `unix-dotfile` VFS (locking by creating and
//! removing a `<db>.lock` directory). So this exercises path_open (create/trunc), pread /
//! pwrite style fd_seek + fd_read / fd_write, fd_sync, fd_filestat_get / set_size,
//! path_filestat_get, path_unlink_file (the rollback journal) and path_create_directory /
//! path_remove_directory (the lock).
//!
//! No network → the fetch fails and the test fails with a clear message (it never skips).

use crate::common;

use common::{build_c, Engine, Run, TempDir};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The crates.io crate whose `sqlite3/` directory carries the amalgamation we build.
/// 0.30.1 bundles SQLite 3.46.0.
const LIBSQLITE3_SYS: &str = "0.30.1";
const SQLITE_VERSION: &str = "3.46.0";

/// Flags for sqlite3.c on wasm32-wasi. THREADSAFE=0 and OMIT_LOAD_EXTENSION are what the
/// amalgamation picks itself for __wasi__, stated here so the build does not depend on it;
/// TEMP_STORE=3 keeps temporary tables/indices in memory (a WASI guest has no /tmp unless
/// one is preopened). No -D_WASI_EMULATED_* / -lwasi-emulated-* are needed for 3.46.
const SQLITE_FLAGS: &[&str] = &[
    "-DSQLITE_THREADSAFE=0",
    "-DSQLITE_OMIT_LOAD_EXTENSION",
    "-DSQLITE_TEMP_STORE=3",
    "-Wno-unused",
];

fn cargo_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(h);
    }
    let home = std::env::var_os("HOME").expect("neither CARGO_HOME nor HOME is set");
    PathBuf::from(home).join(".cargo")
}

/// Fetches `libsqlite3-sys` through cargo (a throwaway project under target/sqlite-fetch)
/// and returns the directory holding sqlite3.c / sqlite3.h in cargo's registry cache.
fn sqlite_src_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let proj = common::repo().join("target").join("sqlite-fetch");
        std::fs::create_dir_all(proj.join("src")).unwrap();
        let manifest = format!(
            "[package]\nname = \"sqlite-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             publish = false\n\n[workspace]\n\n[dependencies]\n\
             libsqlite3-sys = {{ version = \"={LIBSQLITE3_SYS}\", default-features = false }}\n"
        );
        let mpath = proj.join("Cargo.toml");
        if std::fs::read_to_string(&mpath).ok().as_deref() != Some(manifest.as_str()) {
            std::fs::write(&mpath, &manifest).unwrap();
        }
        std::fs::write(proj.join("src/lib.rs"), "").unwrap();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(&cargo)
            .arg("fetch")
            .arg("--manifest-path")
            .arg(&mpath)
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cargo:?} fetch: {e}"));
        assert!(
            out.status.success(),
            "could not fetch the SQLite amalgamation: `cargo fetch` of the crates.io crate \
             libsqlite3-sys ={LIBSQLITE3_SYS} failed (this test needs crates.io, or a cargo \
             registry cache that already holds the crate; it does not skip).\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let reg = cargo_home().join("registry").join("src");
        let want = format!("libsqlite3-sys-{LIBSQLITE3_SYS}");
        let found = std::fs::read_dir(&reg)
            .unwrap_or_else(|e| {
                panic!(
                    "cargo fetch succeeded but {} is unreadable: {e}",
                    reg.display()
                )
            })
            .flatten()
            .map(|e| e.path().join(&want).join("sqlite3"))
            .find(|p| p.join("sqlite3.c").is_file() && p.join("sqlite3.h").is_file());
        found.unwrap_or_else(|| {
            panic!(
                "cargo fetch succeeded but no {}/*/{want}/sqlite3/sqlite3.c was found \
                 (is CARGO_HOME set differently for cargo?)",
                reg.display()
            )
        })
    })
}

/// sqlite3.c + our driver → wasm32-wasi module (cached under target/guests by content hash).
pub(crate) fn sqlite_wasm() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| {
        let src = sqlite_src_dir();
        let c = src.join("sqlite3.c");
        let inc = format!("-I{}", src.display());
        let mut extra: Vec<&str> = vec![inc.as_str()];
        extra.extend_from_slice(SQLITE_FLAGS);
        build_c(
            &["tests/guests/c/sqlite_driver.c", c.to_str().unwrap()],
            &extra,
        )
    })
}

// ---------------------------------------------------------------------------------------
// The data set and the expected results, computed here independently of SQLite.

#[derive(Clone)]
struct Item {
    id: i64,
    name: String,
    qty: i64,
    price: f64,
    note: String,
}

fn items() -> Vec<Item> {
    (1..=1000)
        .map(|i: i64| Item {
            id: i,
            name: format!("item-{i:04}"),
            qty: (i * 37) % 101,
            // Multiples of 0.25: every sum below is exact in binary floating point.
            price: i as f64 * 0.25,
            note: format!("{}{i:04}", "abcdefghij".repeat(6)),
        })
        .collect()
}

/// SQLite's text form of a REAL ("%!.15g"): integral values keep a ".0".
fn real(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

fn totals(rows: &[Item]) -> String {
    let q: i64 = rows.iter().map(|r| r.qty).sum();
    let p: f64 = rows.iter().map(|r| r.price).sum();
    format!("{}|{q}|{}", rows.len(), real(p))
}

const DB: &str = "/data/t.db";

fn run1_script() -> String {
    let mut s = String::from(
        "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, \
         price REAL, note TEXT);\nBEGIN;\n",
    );
    for it in items() {
        s.push_str(&format!(
            "INSERT INTO items VALUES({}, '{}', {}, {}, '{}');\n",
            it.id,
            it.name,
            it.qty,
            real(it.price),
            it.note
        ));
    }
    s.push_str("COMMIT;\n");
    s.push_str("SELECT sqlite_version();\n");
    s.push_str("SELECT count(*), sum(qty), total(price) FROM items;\n");
    s.push_str("SELECT min(price), max(price), min(name), max(name) FROM items;\n");
    s.push_str("SELECT qty % 10 AS k, count(*), sum(qty) FROM items GROUP BY k ORDER BY k;\n");
    s
}

fn run1_expected() -> String {
    let all = items();
    let mut e = format!("{SQLITE_VERSION}\n{}\n", totals(&all));
    e.push_str("0.25|250.0|item-0001|item-1000\n");
    for k in 0..10 {
        let g: Vec<&Item> = all.iter().filter(|r| r.qty % 10 == k).collect();
        let s: i64 = g.iter().map(|r| r.qty).sum();
        e.push_str(&format!("{k}|{}|{s}\n", g.len()));
    }
    e
}

const RUN2_SQL: &str = "SELECT count(*), sum(qty), total(price) FROM items;\n\
     SELECT id, name, qty, price, length(note), substr(note, 61) FROM items WHERE id = 617;\n\
     SELECT id, qty FROM items ORDER BY qty DESC, id LIMIT 3;";

fn run2_expected() -> String {
    let all = items();
    let r = &all[616];
    let mut by_qty = all.clone();
    by_qty.sort_by(|a, b| b.qty.cmp(&a.qty).then(a.id.cmp(&b.id)));
    let mut e = format!("{}\n", totals(&all));
    e.push_str(&format!(
        "{}|{}|{}|{}|{}|{}\n",
        r.id,
        r.name,
        r.qty,
        real(r.price),
        r.note.len(),
        &r.note[60..]
    ));
    for t in &by_qty[..3] {
        e.push_str(&format!("{}|{}\n", t.id, t.qty));
    }
    e
}

const RUN3_SQL: &str = "CREATE INDEX items_qty ON items(qty);\n\
     BEGIN;\n\
     UPDATE items SET price = price * 2, name = name || '*' WHERE qty < 10;\n\
     DELETE FROM items WHERE id % 7 = 0;\n\
     COMMIT;\n\
     SELECT count(*), sum(qty), total(price) FROM items;\n\
     SELECT count(*), min(id), max(id) FROM items WHERE qty = 42;\n\
     SELECT id, name, price FROM items WHERE qty = 3 ORDER BY id;\n\
     PRAGMA integrity_check;";

fn after_run3() -> Vec<Item> {
    items()
        .into_iter()
        .map(|mut r| {
            if r.qty < 10 {
                r.price *= 2.0;
                r.name.push('*');
            }
            r
        })
        .filter(|r| r.id % 7 != 0)
        .collect()
}

fn run3_expected() -> String {
    let rows = after_run3();
    let mut e = format!("{}\n", totals(&rows));
    let q42: Vec<&Item> = rows.iter().filter(|r| r.qty == 42).collect();
    e.push_str(&format!(
        "{}|{}|{}\n",
        q42.len(),
        q42.iter().map(|r| r.id).min().unwrap(),
        q42.iter().map(|r| r.id).max().unwrap()
    ));
    for r in rows.iter().filter(|r| r.qty == 3) {
        e.push_str(&format!("{}|{}|{}\n", r.id, r.name, real(r.price)));
    }
    e.push_str("ok\n");
    e
}

/// A rolled-back transaction leaves nothing behind (the rollback journal is replayed /
/// discarded), and the index from run 3 persisted.
const RUN4_SQL: &str = "BEGIN;\n\
     DELETE FROM items;\n\
     SELECT count(*) FROM items;\n\
     ROLLBACK;\n\
     SELECT count(*), sum(qty), total(price) FROM items;\n\
     SELECT type, name, tbl_name FROM sqlite_master ORDER BY name;\n\
     PRAGMA integrity_check;";

fn run4_expected() -> String {
    format!(
        "0\n{}\ntable|items|items\nindex|items_qty|items\nok\n",
        totals(&after_run3())
    )
}

/// A constraint violation: the driver reports it on stderr and exits 1.
const RUN5_SQL: &str = "INSERT INTO items(id, name) VALUES(1, 'dup');";
const RUN5_STDERR: &str = "error: 1: UNIQUE constraint failed: items.id\n";

// ---------------------------------------------------------------------------------------

fn sql_run(engine: Engine, data: &Path, scripts: Option<&Path>, items: &[&str]) -> Run {
    let mut r = Run::new(sqlite_wasm()).engine(engine).dir(data, "/data");
    if let Some(s) = scripts {
        r = r.dir(s, "/scripts");
    }
    r = r.arg(DB);
    for i in items {
        r = r.arg(i);
    }
    r
}

/// Asserts exit 0, exact stdout and empty stderr.
fn expect_ok(what: &str, engine: Engine, r: &Run, want: &str) {
    let o = r.run();
    o.assert_ok();
    assert_eq!(
        o.stdout_str(),
        want,
        "{what} under {engine:?}: stdout differs (stderr: {})",
        o.stderr_str()
    );
    assert_eq!(
        o.stderr_str(),
        "",
        "{what} under {engine:?}: unexpected stderr"
    );
}

/// Only the database remains between runs: no journal, no `t.db.lock` directory.
fn assert_only_db(data: &Path, what: &str, engine: Engine) {
    let mut names: Vec<String> = std::fs::read_dir(data)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["t.db".to_string()],
        "{what} under {engine:?}: files left in the preopen"
    );
    let bytes = std::fs::read(data.join("t.db")).unwrap();
    assert!(
        bytes.starts_with(b"SQLite format 3\0"),
        "{what} under {engine:?}: t.db is not an SQLite database"
    );
    assert_eq!(
        bytes.len() % 4096,
        0,
        "{what} under {engine:?}: t.db is not whole pages"
    );
}

fn write_run1_script(scripts: &Path) {
    std::fs::write(scripts.join("run1.sql"), run1_script()).unwrap();
}

/// Run 1: create + 1000 inserts in one transaction, from a script file on a second preopen.
pub(crate) fn create_db(engine: Engine, data: &Path, scripts: &Path) {
    write_run1_script(scripts);
    let r = sql_run(engine, data, Some(scripts), &["@/scripts/run1.sql"]);
    expect_ok("run 1 (create/insert)", engine, &r, &run1_expected());
    assert_only_db(data, "run 1", engine);
}

fn scenario(engine: Engine) {
    let data = TempDir::new("sqlite-data");
    let scripts = TempDir::new("sqlite-scripts");
    create_db(engine, data.path(), scripts.path());

    // Run 2: a second process sees the committed data.
    let r = sql_run(engine, data.path(), None, &[RUN2_SQL]);
    expect_ok("run 2 (reopen/read)", engine, &r, &run2_expected());
    assert_only_db(data.path(), "run 2", engine);

    // Run 3: index, UPDATE, DELETE, integrity_check.
    let r = sql_run(engine, data.path(), None, &[RUN3_SQL]);
    expect_ok("run 3 (index/update/delete)", engine, &r, &run3_expected());
    assert_only_db(data.path(), "run 3", engine);

    // Run 4: rollback, persistence of run 3.
    let r = sql_run(engine, data.path(), None, &[RUN4_SQL]);
    expect_ok("run 4 (rollback/persistence)", engine, &r, &run4_expected());
    assert_only_db(data.path(), "run 4", engine);

    // Run 5: an SQL error → exit 1 with the message on stderr, database untouched.
    let before = std::fs::read(data.path().join("t.db")).unwrap();
    let o = sql_run(engine, data.path(), None, &[RUN5_SQL]).run();
    assert_eq!(
        (
            o.code,
            o.timed_out,
            o.stdout_str().as_str(),
            o.stderr_str().as_str()
        ),
        (Some(1), false, "", RUN5_STDERR),
        "run 5 (constraint error) under {engine:?}"
    );
    assert_only_db(data.path(), "run 5", engine);
    assert!(
        before == std::fs::read(data.path().join("t.db")).unwrap(),
        "run 5 under {engine:?}: a failed statement changed the database"
    );
}

#[test]
pub(crate) fn sqlite_ours() {
    scenario(Engine::Ours);
}

/// Differential reference: the same sequence under wasmer-wasix must give the same results.
#[test]
fn sqlite_wasmer_wasix() {
    scenario(Engine::WasmerWasix);
}

/// The database file each engine writes for run 1 is byte-identical, and each engine reads
/// the other's file.
#[test]
fn sqlite_cross_engine_files() {
    let a = TempDir::new("sqlite-xa");
    let b = TempDir::new("sqlite-xb");
    let s = TempDir::new("sqlite-xs");
    create_db(Engine::Ours, a.path(), s.path());
    create_db(Engine::WasmerWasix, b.path(), s.path());
    let da = std::fs::read(a.path().join("t.db")).unwrap();
    let db = std::fs::read(b.path().join("t.db")).unwrap();
    assert!(
        da == db,
        "t.db after run 1 differs between engines (ours {} bytes, wasmer-wasix {} bytes)",
        da.len(),
        db.len()
    );
    let r = sql_run(Engine::WasmerWasix, a.path(), None, &[RUN2_SQL]);
    expect_ok(
        "run 2 on ours' db",
        Engine::WasmerWasix,
        &r,
        &run2_expected(),
    );
    let r = sql_run(Engine::Ours, b.path(), None, &[RUN2_SQL]);
    expect_ok(
        "run 2 on wasmer-wasix' db",
        Engine::Ours,
        &r,
        &run2_expected(),
    );
}
