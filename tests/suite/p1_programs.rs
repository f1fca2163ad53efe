//! Preview1 C guest programs (tests/guests/c/p1_*.c) under our engine. Together they call
//! every one of the 46 `wasi_snapshot_preview1` functions with real assertions; each program
//! prints one `check-name: result` line per check and exits non-zero on the first failure.
//! Most programs run twice: against a host directory preopened at /sandbox, and against an
//! in-memory tree (`--tmpfs /sandbox`).

use crate::common;
use common::*;

fn prog(name: &str) -> std::path::PathBuf {
    build_c(&[&format!("tests/guests/c/{name}.c")], &[])
}

/// Runs `name` with /sandbox backed by a fresh host directory; returns it with the outcome.
fn on_host_dir(name: &str, f: impl FnOnce(Run) -> Run) -> (TempDir, Outcome) {
    let tmp = TempDir::new(name);
    let out = f(Run::new(prog(name)).dir(tmp.path(), "/sandbox")).run();
    (tmp, out)
}

fn on_tmpfs(name: &str, f: impl FnOnce(Run) -> Run) -> Outcome {
    f(Run::new(prog(name)).flag("--tmpfs").flag("/sandbox")).run()
}

fn expect_lines(out: &Outcome, lines: &[&str]) {
    let so = out.stdout_str();
    for l in lines {
        assert!(has_line(&so, l), "missing line `{l}` in stdout:\n{so}");
    }
    assert!(!so.contains(": FAIL"), "a check failed:\n{so}");
}

#[test]
pub(crate) fn p1_args_env() {
    let out = Run::new(prog("p1_args_env"))
        .env("WXC_A", "1")
        .env("WXC_B", "x=y")
        .env("WXC_EMPTY", "")
        .arg("alpha")
        .arg("beta gamma")
        .arg("ünï")
        .arg("")
        .stdin(b"stdin-data\n")
        .run();
    out.assert_ok();
    expect_lines(
        &out,
        &[
            "args.count: 5",
            "args.argv0_is_module_name: ok",
            "args.argv3_utf8: ok",
            "args.argv4_empty: ok",
            "environ.WXC_B_value_with_equals: ok",
            "environ.WXC_EMPTY: ok",
            "stdin.bytes: 11",
            "done: 0 failure(s)",
        ],
    );
}

#[test]
pub(crate) fn p1_clock_random() {
    let out = Run::new(prog("p1_clock_random")).run();
    out.assert_ok();
    expect_lines(
        &out,
        &[
            "clock_time_get.monotonic.non_decreasing: ok",
            "clock_time_get.monotonic.advances: ok",
            "clock_res_get.bad_id: inval",
            "clock_time_get.bad_id: inval",
            "random_get.calls_differ: ok",
            "random_get.large.distribution: ok",
            "sched_yield.100_times: ok",
            "done: 0 failure(s)",
        ],
    );
}

fn check_fd_io(out: &Outcome) {
    out.assert_ok();
    expect_lines(
        out,
        &[
            "fd_write.iovecs.count: 20",
            "fd_read.iovecs.split: ok",
            "fd_seek.end.value: 15",
            "fd_seek.bad_whence: inval",
            "fd_tell.after_pread_pwrite.value: 2",
            "fd_pwrite.past_end.size: 26",
            "append.content: Start|one|",
            "fd_renumber.to_keeps_position.value: ok",
            "renum_a.content: AAzA",
            "fd_write.stdout: iovecs-joined",
            "done: 0 failure(s)",
        ],
    );
    assert!(
        out.stderr_str().contains("stderr-line\n"),
        "stderr: {}",
        out.stderr_str()
    );
}

#[test]
pub(crate) fn p1_fd_io() {
    let (tmp, out) = on_host_dir("p1_fd_io", |r| r);
    check_fd_io(&out);
    let p = tmp.path();
    assert_eq!(
        std::fs::read(p.join("io.txt")).unwrap(),
        b"0123456789AB\0\0\0\0"
    );
    assert_eq!(std::fs::read(p.join("append.txt")).unwrap(), b"Start|one|");
    assert_eq!(std::fs::read(p.join("renum_a.txt")).unwrap(), b"AAzA");
    assert_eq!(std::fs::read(p.join("renum_b.txt")).unwrap(), b"BBBB");
}

#[test]
pub(crate) fn p1_fd_io_tmpfs() {
    check_fd_io(&on_tmpfs("p1_fd_io", |r| r));
}

fn check_fd_meta(out: &Outcome) {
    out.assert_ok();
    expect_lines(
        out,
        &[
            "fd_prestat_get.sandbox.name_len: 8",
            "fd_prestat_dir_name.value: ok",
            "fd_prestat_get.stdin: badf",
            "fd_fdstat_get.preopen.filetype: directory",
            "fd_fdstat_set_rights.regain_write: notcapable",
            "fd_filestat_get.size: 9",
            "fd_filestat_set_times.both.mtim: 222000000000",
            "fd_filestat_set_times.atim_and_now: inval",
            "done: 0 failure(s)",
        ],
    );
}

#[test]
pub(crate) fn p1_fd_meta() {
    let (tmp, out) = on_host_dir("p1_fd_meta", |r| r);
    check_fd_meta(&out);
    let md = std::fs::metadata(tmp.path().join("meta.txt")).unwrap();
    assert_eq!(md.len(), 9);
    let mtime = md
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    assert_eq!(
        mtime.as_secs(),
        1_577_836_800 + 222,
        "mtime set through fd_filestat_set_times"
    );
}

#[test]
pub(crate) fn p1_fd_meta_tmpfs() {
    check_fd_meta(&on_tmpfs("p1_fd_meta", |r| r));
}

fn check_readdir(out: &Outcome) {
    out.assert_ok();
    expect_lines(
        out,
        &[
            "create.300_files: ok",
            "fd_readdir.full.names_exactly_once: 301 non-dot",
            "fd_readdir.full.d_type: ok",
            "fd_readdir.full.cookies_distinct: ok",
            "fd_readdir.buf28.same_listing: ok",
            "fd_readdir.buf40.same_listing: ok",
            "fd_readdir.buf57.same_listing: ok",
            "fd_readdir.resume_every_cookie: 301 non-dot cookies",
            "fd_readdir.after_modify: 292 non-dot",
            "fd_readdir.bad_fd: badf",
            "done: 0 failure(s)",
        ],
    );
}

#[test]
pub(crate) fn p1_readdir() {
    let (tmp, out) = on_host_dir("p1_readdir", |r| r);
    check_readdir(&out);
    let names: Vec<String> = std::fs::read_dir(tmp.path().join("rd"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 292);
    assert!(names.contains(&"zz_new".to_string()) && names.contains(&"sub".to_string()));
    assert!(!names.contains(&"f007".to_string()));
}

#[test]
pub(crate) fn p1_readdir_tmpfs() {
    check_readdir(&on_tmpfs("p1_readdir", |r| r));
}

#[test]
pub(crate) fn p1_path() {
    let (tmp, out) = on_host_dir("p1_path", |r| r);
    out.assert_ok();
    expect_lines(
        &out,
        &[
            "path_create_directory.exists: exist",
            "path_open.creat_excl_existing: exist",
            "path_open.directory_on_file: notdir",
            "path_open.trunc.size0: ok",
            "path_open.fdflags_append.content: base+more",
            "path_open.symlink_follow.reads_target: ok",
            "path_filestat_get.symlink_nofollow.filetype: symbolic_link",
            "path_readlink.value: target.txt",
            "path_link.nlink: 2",
            "path_link.shared_content: target!+h",
            "path_rename.replace.content: AAA",
            "path_remove_directory.not_empty: notempty",
            "path_open.symlink_loop: loop",
            "done: 0 failure(s)",
        ],
    );
    let tree = tree_snapshot(tmp.path());
    let want: &[(&str, &str)] = &[
        ("new.txt", "file:"),
        ("excl.txt", "file:"),
        ("trunc.txt", "file:"),
        ("append.txt", "file:base+more"),
        ("b.txt", "file:AAA"),
        ("rdir2", "dir"),
        ("rdir2/inner.txt", "file:in"),
        ("target.txt", "file:target!+h"),
        ("hard.txt", "file:target!+h"),
        ("link_to_file", "symlink->target.txt"),
        ("link_dir", "symlink->rdir2"),
        ("dangling", "symlink->nope"),
        ("nb.txt", "file:"),
    ];
    for (k, v) in want {
        assert_eq!(
            tree.get(*k).map(|s| s.as_str()),
            Some(*v),
            "{k} in {tree:#?}"
        );
    }
    for gone in [
        "d1",
        "plain.txt",
        "a.txt",
        "c.txt",
        "doomed.txt",
        "empty_target",
        "full",
        "rdir",
    ] {
        assert!(!tree.contains_key(gone), "{gone} should be gone: {tree:#?}");
    }
    // Nothing escaped the sandbox.
    assert!(!tmp.path().parent().unwrap().join("escape.txt").exists());
    // target.txt and hard.txt are one inode on the host.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let a = std::fs::metadata(tmp.path().join("target.txt")).unwrap();
        let b = std::fs::metadata(tmp.path().join("hard.txt")).unwrap();
        assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));
    }
}

#[test]
pub(crate) fn p1_path_tmpfs() {
    // In-memory trees may lack symlinks / hard links: then path_symlink / path_link must
    // answer notsup or perm, and the dependent checks are skipped.
    let out = on_tmpfs("p1_path", |r| r.env("WXC_NO_LINKS", "1"));
    out.assert_ok();
    let so = out.stdout_str();
    let sym = so
        .lines()
        .find(|l| l.starts_with("path_symlink: "))
        .unwrap_or("");
    assert!(
        [
            "path_symlink: success",
            "path_symlink: notsup",
            "path_symlink: perm"
        ]
        .contains(&sym),
        "{so}"
    );
    expect_lines(
        &out,
        &[
            "path_rename.replace.content: AAA",
            "path_remove_directory.not_empty: notempty",
        ],
    );
}

fn check_poll(out: &Outcome) {
    out.assert_ok();
    expect_lines(
        out,
        &[
            "poll_oneoff.relative.nevents: 1",
            "poll_oneoff.relative.waited: ok",
            "poll_oneoff.absolute.waited: ok",
            "poll_oneoff.two_clocks.earliest_only: 1 event(s)",
            "poll_oneoff.file_read.event: ok",
            "poll_oneoff.stdout_write.event: ok",
            "poll_oneoff.many.fd_events: 3 event(s)",
            "poll_oneoff.zero_subscriptions: inval",
            "done: 0 failure(s)",
        ],
    );
}

#[test]
pub(crate) fn p1_poll() {
    let (_tmp, out) = on_host_dir("p1_poll", |r| r);
    check_poll(&out);
}

#[test]
pub(crate) fn p1_poll_tmpfs() {
    check_poll(&on_tmpfs("p1_poll", |r| r));
}

#[test]
pub(crate) fn p1_proc_exit_codes() {
    for code in [0, 1, 42, 255] {
        let out = Run::new(prog("p1_proc"))
            .arg("exit")
            .arg(&code.to_string())
            .run();
        assert_eq!(
            out.code,
            Some(code),
            "proc_exit({code}); stderr: {}",
            out.stderr_str()
        );
        let so = out.stdout_str();
        assert!(has_line(&so, &format!("proc_exit.before: {code}")), "{so}");
        assert!(
            !so.contains("proc_exit.returned"),
            "code ran after proc_exit: {so}"
        );
    }
    let out = Run::new(prog("p1_proc")).arg("main_return").run();
    assert_eq!(out.code, Some(7), "return from main → proc_exit(7)");
}

#[test]
pub(crate) fn p1_proc_raise() {
    let out = Run::new(prog("p1_proc")).arg("raise0").run();
    out.assert_ok();
    assert!(
        has_line(&out.stdout_str(), "proc_raise.none: success"),
        "{}",
        out.stdout_str()
    );
    // proc_raise(SIGUSR1 = 10 in preview1 numbering) with no handler: its POSIX default
    // action ends the program with the status a shell reports, 128 + 10; nothing after it runs.
    let out = Run::new(prog("p1_proc")).arg("raise").arg("10").run();
    assert_eq!(out.code, Some(138), "stderr: {}", out.stderr_str());
    let so = out.stdout_str();
    assert!(has_line(&so, "proc_raise.before: 10"), "{so}");
    assert!(!so.contains("proc_raise.returned"), "{so}");
}

#[test]
pub(crate) fn p1_sock() {
    let (tmp, out) = on_host_dir("p1_sock", |r| r);
    out.assert_ok();
    expect_lines(
        &out,
        &[
            "sock_accept.file: notsock",
            "sock_recv.file: notsock",
            "sock_send.file: notsock",
            "sock_shutdown.file.rdwr: notsock",
            "sock_accept.bad_fd: badf",
            "sock_recv.bad_fd: badf",
            "sock_send.bad_fd: badf",
            "sock_shutdown.bad_fd.rd: badf",
            "sock.file_unchanged: ok",
            "done: 0 failure(s)",
        ],
    );
    assert_eq!(
        std::fs::read(tmp.path().join("sock.txt")).unwrap(),
        b"not a socket"
    );
}

#[test]
pub(crate) fn p1_sock_tmpfs() {
    let out = on_tmpfs("p1_sock", |r| r);
    out.assert_ok();
    expect_lines(
        &out,
        &["sock_accept.file: notsock", "sock_send.bad_fd: badf"],
    );
}
