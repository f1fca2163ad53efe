//! `wasix_64v1` works, function by function: hand-written WAT guests
//! (tests/guests/wat/wasix64_*.wat) import all 46 preview1 functions from `wasix_64v1`
//! (i64 pointers and sizes, 16-byte iovecs, u64 size results, u64 argv/environ slots) and
//! use each one for real. Every out-value is surrounded by 0xAA sentinels, so a result that
//! is 4 bytes where 8 are due (or 8 where 4 are due) fails its check.
//!
//! The guests print `<check>: ok`, `<check>: FAIL errno <n>` or
//! `<check>: FAIL check <k> (value|sentinel)` and exit with the number of failures; the
//! tests below also look at the files the guest left in the sandbox.

use crate::common;

use common::{has_line, show, wat, wat_path, Outcome, Run, TempDir};
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;

/// Exit 0, no FAIL line, and every `<name>: ok` line present.
fn assert_all_ok(out: &Outcome, checks: &[&str]) {
    let stdout = out.stdout_str();
    let fails: Vec<&str> = stdout.lines().filter(|l| l.contains(": FAIL")).collect();
    assert!(fails.is_empty(), "failed checks: {fails:#?}\n{}", show(out));
    out.assert_ok();
    for c in checks {
        assert!(
            has_line(&stdout, &format!("{c}: ok")),
            "missing `{c}: ok`\n{}",
            show(out)
        );
    }
    assert!(has_line(&stdout, "failures=0"), "{}", show(out));
}

/// The witx function names of preview1 (our ABI file).
fn preview1_functions() -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(common::repo().join("witx/preview1/wasi_snapshot_preview1.witx"))
            .unwrap();
    let key = "(@interface func (export \"";
    text.match_indices(key)
        .map(|(i, _)| {
            let rest = &text[i + key.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// `(module, field)` of every import in a WAT file.
fn wat_imports(name: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(wat_path(name)).unwrap();
    let key = "(import \"";
    text.match_indices(key)
        .map(|(i, _)| {
            let mut parts = text[i + key.len()..].split('"');
            let module = parts.next().unwrap().to_string();
            parts.next();
            let field = parts.next().unwrap().to_string();
            (module, field)
        })
        .collect()
}

const GUESTS: [&str; 3] = ["wasix64_basic", "wasix64_fs", "wasix64_exit"];

#[test]
fn guests_import_every_preview1_function_from_wasix_64v1() {
    let want = preview1_functions();
    assert_eq!(want.len(), 46, "witx/preview1 lists 46 functions");
    let mut got = BTreeSet::new();
    for g in GUESTS {
        for (module, field) in wat_imports(g) {
            assert_eq!(module, "wasix_64v1", "{g} imports {module}.{field}");
            got.insert(field);
        }
    }
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
}

#[test]
fn process_functions() {
    let tmp = TempDir::new("w64-basic");
    // These guests use fixed fds (3 = the sandbox): no WASIX root in front of it.
    let out = Run::new(wat("wasix64_basic"))
        .flag("--preopens-only")
        .dir(tmp.path(), "/sandbox")
        .env("FOO", "bar")
        .env("EMPTY", "")
        .arg("alpha")
        .arg("beta-gamma")
        .stdin(b"stdin-data-XYZ\n")
        .run();
    assert_all_ok(
        &out,
        &[
            "args_sizes_get",
            "args_get",
            "environ_sizes_get",
            "environ_get",
            "clock_res_get",
            "clock_time_get.realtime",
            "clock_time_get.monotonic",
            "clock_time_get.process",
            "random_get",
            "fd_write.stdout",
            "fd_read.stdin",
            "fd_fdstat_get.stdout",
            "fd_prestat_get",
            "fd_prestat_dir_name",
            "sched_yield",
            "proc_raise",
            "poll_oneoff.clock",
            "poll_oneoff.stdout",
        ],
    );
    let s = out.stdout_str();
    for line in [
        "arg[1]=alpha",
        "arg[2]=beta-gamma",
        "env[0]=FOO=bar",
        "env[1]=EMPTY=",
        "hello, wasix64",
        "stdin=stdin-data-XYZ",
    ] {
        assert!(has_line(&s, line), "missing `{line}`\n{}", show(&out));
    }
    // argv[0] is the program name: non-empty.
    assert!(
        s.lines()
            .any(|l| l.len() > "arg[0]=".len() && l.starts_with("arg[0]=")),
        "{}",
        show(&out)
    );
}

#[test]
fn files_directories_links_poll_and_sockets() {
    let tmp = TempDir::new("w64-fs");
    let out = Run::new(wat("wasix64_fs"))
        .flag("--preopens-only")
        .dir(tmp.path(), "/sandbox")
        .run();
    assert_all_ok(
        &out,
        &[
            "path_open.create",
            "fd_write.file",
            "fd_tell",
            "fd_seek",
            "fd_read.file",
            "fd_pwrite",
            "fd_pread",
            "fd_filestat_get",
            "fd_allocate",
            "fd_filestat_set_size",
            "fd_filestat_set_times",
            "fd_fdstat_get.file",
            "fd_fdstat_set_flags",
            "fd_advise",
            "fd_sync",
            "fd_datasync",
            "poll_oneoff.file",
            "sock_accept",
            "sock_recv",
            "sock_send",
            "sock_shutdown",
            "fd_fdstat_set_rights",
            "fd_renumber",
            "fd_close",
            "path_create_directory",
            "path_filestat_get",
            "path_filestat_set_times",
            "path_link",
            "path_symlink",
            "path_readlink",
            "path_readlink.short",
            "path_filestat_get.symlink",
            "path_open.directory",
            "fd_readdir",
            "fd_readdir.cookie",
            "fd_readdir.short",
            "path_rename",
            "path_unlink_file",
            "path_remove_directory",
        ],
    );

    // fd_readdir saw dir/ with its three entries, with the right types.
    let dirents: BTreeSet<&str> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .filter(|l| l.starts_with("dirent "))
        .collect();
    let want: BTreeSet<&str> = [
        "dirent . 3",
        "dirent .. 3",
        "dirent nested 3",
        "dirent hard.txt 4",
        "dirent sym 7",
    ]
    .into();
    assert_eq!(dirents, want, "{}", show(&out));

    // What the guest left behind.
    let root = tmp.path();
    // path_filestat_set_times on other.txt reached the host (checked before anything
    // reads the file: reading may move its atime).
    let other = std::fs::symlink_metadata(root.join("other.txt")).unwrap();
    assert_eq!((other.mtime(), other.mtime_nsec()), (1_300_000_000, 9));
    assert_eq!((other.atime(), other.atime_nsec()), (1_200_000_000, 7));
    let snap = common::tree_snapshot(root);
    let expect: std::collections::BTreeMap<String, String> = [
        ("data.txt", "file:abcdXYZhi!"),
        ("renamed.txt", "file:abcdXYZhi!"),
        ("other.txt", "file:"),
        ("link", "symlink->data.txt"),
        ("dir", "dir"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(snap, expect, "{}", show(&out));

    // renamed.txt is the hard link made as dir/hard.txt.
    let data = std::fs::metadata(root.join("data.txt")).unwrap();
    let renamed = std::fs::metadata(root.join("renamed.txt")).unwrap();
    assert_eq!(data.ino(), renamed.ino());
    assert_eq!(data.nlink(), 2);
}

#[test]
fn proc_exit_sets_the_status_and_does_not_return() {
    let out = Run::new(wat("wasix64_exit")).run();
    assert_eq!(out.code, Some(42), "{}", show(&out));
    assert_eq!(out.stdout_str(), "before exit\n", "{}", show(&out));
}
