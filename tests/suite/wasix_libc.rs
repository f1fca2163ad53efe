//! Real single-threaded WASIX programs: our own C sources compiled with wasix-libc (the C
//! library every real WASIX program links, `../shared/wasix-libc/cc.sh`), run through the
//! CLI on our engine and on wasmer-wasix. They import a shared memory and the signal /
//! futex / exit imports even for a printf, and see the root `wasmer run` gives them.
//!
//! Each test states the exact stdout and exit status; the differential tests expect the
//! same from wasmer-wasix except where the compat-matrix lists a difference (each such
//! case is asserted here as the difference it is).

use crate::common;

use common::{
    build_wasix_c, show, skip_without_wasix_libc, Engine, Outcome, Run, TempDir, WASIX_REV,
    WASIX_REV_2022,
};
use std::path::PathBuf;

fn guest_wasm(name: &str) -> PathBuf {
    build_wasix_c(&[&format!("tests/guests/wasix/{name}.c")], &[], WASIX_REV)
}

fn expect(out: &Outcome, code: i32, stdout: &str) {
    assert_eq!(
        (out.code, out.stdout_str().as_str()),
        (Some(code), stdout),
        "{}",
        show(out)
    );
}

fn on_both(f: impl Fn(Engine) -> Outcome, code: i32, stdout: &str) {
    on_each(f, (code, stdout), (code, stdout));
}

/// Where the engines differ on purpose (each case is in the compat-matrix): one exact
/// expectation per engine.
fn on_each(f: impl Fn(Engine) -> Outcome, ours: (i32, &str), wasmer: (i32, &str)) {
    for (e, (code, stdout)) in [(Engine::Ours, ours), (Engine::WasmerWasix, wasmer)] {
        let out = f(e);
        assert!(!out.timed_out, "{e:?} timed out\n{}", show(&out));
        assert_eq!(
            (out.code, out.stdout_str().as_str()),
            (Some(code), stdout),
            "engine {e:?}\n{}",
            show(&out)
        );
    }
}

macro_rules! skip_unless_wasix_libc {
    ($name:expr) => {
        if skip_without_wasix_libc($name) {
            return;
        }
    };
}

#[test]
fn hello_world_runs_on_both_engines() {
    skip_unless_wasix_libc!("hello_world_runs_on_both_engines");
    let w = guest_wasm("hello");
    on_both(
        |e| {
            Run::new(&w)
                .engine(e)
                .env("WXC_GREETING", "hi")
                .arg("Ada")
                .run()
        },
        0,
        "hello Ada\nargc=2\nenv=hi\n",
    );
}

#[test]
fn hello_world_from_the_2022_sysroot() {
    skip_unless_wasix_libc!("hello_world_from_the_2022_sysroot");
    let w = build_wasix_c(&["tests/guests/wasix/hello.c"], &[], WASIX_REV_2022);
    let out = Run::new(&w).arg("1922").run();
    expect(&out, 0, "hello 1922\nargc=2\nenv=(unset)\n");
}

/// A program built against the 2022 sysroot, with `ctors2022.h` force-included: that
/// crt1's `_start` never calls `__wasm_call_ctors` (the 2022 linker wrapped `_start` for
/// it; today's wasm-ld does not once cc.sh exports `__wasm_call_ctors`), so without it the
/// libc's constructors (preopens, environ) would not run.
fn guest_wasm_2022(name: &str) -> PathBuf {
    build_wasix_c(
        &[&format!("tests/guests/wasix/{name}.c")],
        &["-include", "ctors2022.h"],
        WASIX_REV_2022,
    )
}

/// Single-threaded programs of the 2022 ABI (p1 functions imported from `wasix_32v1`):
/// exit paths, mmap, the root file system and preopens, on both engines.
#[test]
fn single_threaded_programs_from_the_2022_sysroot() {
    skip_unless_wasix_libc!("single_threaded_programs_from_the_2022_sysroot");
    let exits = guest_wasm_2022("exits");
    for (how, code, tail) in [
        ("exit", 7, "atexit ran\n"),
        ("return", 3, "atexit ran\n"),
        ("_exit", 9, ""),
    ] {
        on_both(
            |e| {
                Run::new(&exits)
                    .engine(e)
                    .arg(how)
                    .arg(&code.to_string())
                    .run()
            },
            code,
            &format!("ending by {how} {code}\n{tail}"),
        );
    }
    // The 2022 pthread_exit() from main traps in the libc itself, on both engines.
    on_both(
        |e| {
            Run::new(&exits)
                .engine(e)
                .arg("pthread_exit")
                .arg("7")
                .run()
        },
        134,
        "ending by pthread_exit 7\n",
    );
    let mmap = guest_wasm_2022("mmap_file");
    on_both(
        |e| Run::new(&mmap).engine(e).run(),
        0,
        "mmap: mapped file contents\nanon zeroed=1\nfailures=0\n",
    );
    // The root, /tmp, /dev and a mount work; both engines fail the same two checks, which
    // go through the 2022 libc's own path handling: creating a file under the mount by
    // absolute path, and a relative open after chdir (the libc resolves relative paths
    // against the `/` preopen, not the working directory).
    let fs = guest_wasm_2022("fs_root");
    for e in [Engine::Ours, Engine::WasmerWasix] {
        let host = TempDir::new("wl-root-2022");
        std::fs::write(host.path().join("in.txt"), "from host\n").unwrap();
        let out = Run::new(&fs)
            .engine(e)
            .dir(host.path(), "/data")
            .arg("/data")
            .run();
        // The FAIL lines name the source as cc.sh was given it (an absolute path).
        let repo = format!("{}/", common::repo().display());
        assert_eq!(
            (out.code, out.stdout_str().replace(&repo, "")),
            (
                Some(2),
                "cwd=/\nls /: .app .private bin data dev etc tmp\n\
             ls /dev: null shm stderr stdin stdout tty urandom zero\n\
             tmp read: hello tmp\nls /tmp/d: y\nzero bytes=16\nvia /dev/stdout\n\
             FAIL tests/guests/wasix/fs_root.c:85: f != NULL (errno 44 No such file or directory)\n\
             mount read: cwd=/tmp\n\
             FAIL tests/guests/wasix/fs_root.c:102: fd >= 0 (errno 44 No such file or directory)\n\
             failures=2\n"
                    .to_string()
            ),
            "engine {e:?}\n{}",
            show(&out)
        );
    }
    let pre = guest_wasm_2022("preopens");
    let a = TempDir::new("wl-pre-2022");
    on_each(
        |e| Run::new(&pre).engine(e).dir(a.path(), "/data").run(),
        (0, "preopen 3 /\npreopen 4 /data\ncwd=/\n"),
        (0, "preopen 3 /\npreopen 4 /data\npreopen 5 /\ncwd=/\n"),
    );
}

/// Where 2022 programs differ between the engines. signals: the 2022 libc's raise() names
/// the thread by an id it never initialised; we answer `srch` (its CHECK then traps inside
/// the 2022 strerror), wasmer-wasix answers success and drops the signal (no handler
/// runs). symlinks: the 2022 libc resolves the program's relative paths against the `/`
/// preopen, an in-memory tree, where our symlinks are `notsup`; wasmer-wasix's in-memory
/// tree has them.
#[test]
fn programs_from_the_2022_sysroot_where_the_engines_differ() {
    skip_unless_wasix_libc!("programs_from_the_2022_sysroot_where_the_engines_differ");
    let sig = guest_wasm_2022("signals");
    on_each(
        |e| Run::new(&sig).engine(e).arg("return").run(),
        (134, ""),
        (
            0,
            "usr1 handled=0\nusr2 handled=0\nusr1 after ignore=0\ndefaults ignored\n\
             returned from return\nfailures=0\n",
        ),
    );
    let sym = guest_wasm_2022("symlinks");
    let host = TempDir::new("wl-sym-2022");
    on_each(
        |e| {
            Run::new(&sym)
                .engine(e)
                .dir(host.path(), "/data")
                .arg("/data")
                .run()
        },
        (134, ""),
        (0, "readlink=dir/file\nthrough link: data\nfailures=0\n"),
    );
}

#[test]
fn preopens_are_root_then_the_mounts() {
    skip_unless_wasix_libc!("preopens_are_the_mounts_then_root");
    let w = guest_wasm("preopens");
    let a = TempDir::new("wl-pre-a");
    let b = TempDir::new("wl-pre-b");
    // wasmer-wasix's fd 3 is a virtual root that cannot look through mounts, so its engine
    // set-up preopens `/` once more after the mounts (see src/reference.rs).
    on_each(
        |e| {
            Run::new(&w)
                .engine(e)
                .dir(a.path(), "/data")
                .dir(b.path(), "/srv/b")
                .run()
        },
        (0, "preopen 3 /\npreopen 4 /data\npreopen 5 /srv/b\ncwd=/\n"),
        (
            0,
            "preopen 3 /\npreopen 4 /data\npreopen 5 /srv/b\npreopen 6 /\ncwd=/\n",
        ),
    );
    // A relative guest path is mounted under /home, which becomes the working directory.
    on_each(
        |e| Run::new(&w).engine(e).dir(a.path(), "work").run(),
        (0, "preopen 3 /\npreopen 4 /home/work\ncwd=/home\n"),
        (
            0,
            "preopen 3 /\npreopen 4 /home/work\npreopen 5 /\ncwd=/home\n",
        ),
    );
    // --preopens-only: the preview1 layout, no root.
    let out = Run::new(&w)
        .dir(a.path(), "/data")
        .flag("--preopens-only")
        .run();
    expect(&out, 0, "preopen 3 /data\ncwd=/\n");
}

fn fs_root_expected(cwd: &str, root: &str) -> String {
    format!(
        "cwd={cwd}\nls /: {root}\nls /dev: null shm stderr stdin stdout tty urandom zero\n\
         tmp read: hello tmp\nls /tmp/d: y\nzero bytes=16\nvia /dev/stdout\n\
         mount read: from host\ncwd=/tmp\nfailures=0\n"
    )
}

/// fs_root with a host dir holding `in.txt` mounted at `guest` (the program is told
/// `path`), on both engines; afterwards the guest's `out.txt` is in the host dir.
fn fs_root_on_both(guest: &str, path: &str, cwd: &str, root: &str) {
    let w = guest_wasm("fs_root");
    for e in [Engine::Ours, Engine::WasmerWasix] {
        let host = TempDir::new("wl-root");
        std::fs::write(host.path().join("in.txt"), "from host\n").unwrap();
        let out = Run::new(&w)
            .engine(e)
            .dir(host.path(), guest)
            .arg(path)
            .run();
        assert_eq!(
            (out.code, out.stdout_str()),
            (Some(0), fs_root_expected(cwd, root)),
            "engine {e:?}\n{}",
            show(&out)
        );
        let written = std::fs::read_to_string(host.path().join("out.txt")).unwrap();
        assert_eq!(written, "written by guest\n", "engine {e:?}");
    }
}

#[test]
fn root_tmp_dev_and_mounts() {
    skip_unless_wasix_libc!("root_tmp_dev_and_mounts");
    fs_root_on_both("/data", "/data", "/", ".app .private bin data dev etc tmp");
}

#[test]
fn relative_mount_lands_in_home() {
    skip_unless_wasix_libc!("relative_mount_lands_in_home");
    fs_root_on_both(".", "/home", "/home", ".app .private bin dev etc home tmp");
}

#[test]
fn symlinks_on_a_host_mount() {
    skip_unless_wasix_libc!("symlinks_on_a_host_mount");
    let w = guest_wasm("symlinks");
    let host = TempDir::new("wl-sym");
    let out = Run::new(&w).dir(host.path(), "/data").arg("/data").run();
    expect(
        &out,
        0,
        "readlink=dir/file\nthrough link: data\nfailures=0\n",
    );
    // Everything the guest made it removed again.
    assert_eq!(std::fs::read_dir(host.path()).unwrap().count(), 0);
}

#[test]
fn pipes_poll_eventfd_epoll() {
    skip_unless_wasix_libc!("pipes_poll_eventfd_epoll");
    let w = guest_wasm("pipes_events");
    // epoll is level-triggered: the eventfd (still non-zero) and the pipe are both ready.
    // wasmer-wasix reports only the pipe, having reported the eventfd once.
    on_each(
        |e| Run::new(&w).engine(e).run(),
        (
            0,
            "pipe: ping\ndup: dup\neventfd=7\nepoll ready=1 data=7\nepoll ready=2\nfailures=0\n",
        ),
        (
            0,
            "pipe: ping\ndup: dup\neventfd=7\nepoll ready=1 data=7\nepoll ready=1\nfailures=0\n",
        ),
    );
}

#[test]
fn sockets_over_loopback() {
    skip_unless_wasix_libc!("sockets_over_loopback");
    let w = guest_wasm("sockets");
    on_both(
        |e| Run::new(&w).engine(e).flag("--net").run(),
        0,
        "socketpair: pair\ntcp: over tcp\nfailures=0\n",
    );
}

/// A nonblocking connect: `EINPROGRESS`, then writable once connected, `EISCONN` on a
/// second connect; refused: readiness, then `ECONNREFUSED`. wasmer-wasix connects before
/// it returns (0) but says `EINPROGRESS` when refused, and any second connect is `ENOTSUP`.
#[test]
fn nonblocking_connect_is_in_progress_until_poll_says_so() {
    skip_unless_wasix_libc!("nonblocking_connect_is_in_progress_until_poll_says_so");
    let w = guest_wasm("connect_nonblock");
    on_each(
        |e| Run::new(&w).engine(e).flag("--net").run(),
        (
            0,
            "connect: EINPROGRESS\npoll: 1 out=1 err=0\nagain: EISCONN\ndata: nb\n\
             refused connect: EINPROGRESS\nrefused poll: 1\nrefused again: ECONNREFUSED\n\
             failures=0\n",
        ),
        (
            0,
            "connect: 0\npoll: 1 out=1 err=0\nagain: Not supported\ndata: nb\n\
             refused connect: EINPROGRESS\nrefused poll: 1\nrefused again: Not supported\n\
             failures=0\n",
        ),
    );
}

/// sendfile() on a full nonblocking socket reports exactly the bytes that went out and
/// loses none; recv(MSG_WAITALL) interrupted by a handled signal returns the part that
/// arrived. wasmer-wasix does not finish (it spins in the sendfile loop): asserted as the
/// timeout it is, on a short bound.
#[test]
fn sendfile_partial_sends_and_interrupted_waitall() {
    skip_unless_wasix_libc!("sendfile_partial_sends_and_interrupted_waitall");
    let w = guest_wasm("sendfile");
    let out = Run::new(&w).flag("--net").run();
    expect(
        &out,
        0,
        "sent=33554432 received=33554432 intact=1 partial=1\n\
         waitall interrupted: first=1000 second=1000\nfailures=0\n",
    );
    let theirs = Run::new(&w)
        .engine(Engine::WasmerWasix)
        .flag("--net")
        .timeout(std::time::Duration::from_secs(10))
        .run();
    assert!(theirs.timed_out, "{}", show(&theirs));
}

#[test]
fn mmap_of_a_file_and_anonymous() {
    skip_unless_wasix_libc!("mmap_of_a_file_and_anonymous");
    let w = guest_wasm("mmap_file");
    on_both(
        |e| Run::new(&w).engine(e).run(),
        0,
        "mmap: mapped file contents\nanon zeroed=1\nfailures=0\n",
    );
}

const SIGNALS_PREFIX: &str =
    "usr1 handled=2\nusr2 handled=1\nusr1 after ignore=2\ndefaults ignored\n";

#[test]
fn signal_handlers_ignore_and_defaults() {
    skip_unless_wasix_libc!("signal_handlers_ignore_and_defaults");
    let w = guest_wasm("signals");
    on_both(
        |e| Run::new(&w).engine(e).arg("return").run(),
        0,
        &format!("{SIGNALS_PREFIX}returned from return\nfailures=0\n"),
    );
}

/// wasix-libc's own default actions: the handler prints, then `abort()` ends with 127.
#[test]
fn abort_and_fatal_signals_end_the_process() {
    skip_unless_wasix_libc!("abort_and_fatal_signals_end_the_process");
    let w = guest_wasm("signals");
    for (mode, err) in [
        ("abort", "Program recieved fatal signal: Aborted\n"),
        ("term", "Program recieved termination signal: Terminated\n"),
    ] {
        for e in [Engine::Ours, Engine::WasmerWasix] {
            let out = Run::new(&w).engine(e).arg(mode).run();
            assert_eq!(
                (
                    out.code,
                    out.stdout_str().as_str(),
                    out.stderr_str().as_str()
                ),
                (Some(127), SIGNALS_PREFIX, err),
                "{mode} on {e:?}\n{}",
                show(&out)
            );
        }
    }
}

/// SIGKILL cannot be caught: we end the process with 128+9 without calling the guest;
/// wasmer-wasix hands it to `__wasm_signal`, whose default handler aborts (127).
#[test]
fn sigkill_is_never_handled() {
    skip_unless_wasix_libc!("sigkill_is_never_handled");
    let w = guest_wasm("signals");
    let out = Run::new(&w).arg("kill").run();
    assert_eq!(
        (
            out.code,
            out.stdout_str().as_str(),
            out.stderr_str().as_str()
        ),
        (Some(137), SIGNALS_PREFIX, ""),
        "{}",
        show(&out)
    );
    let out = Run::new(&w).engine(Engine::WasmerWasix).arg("kill").run();
    assert_eq!(
        (out.code, out.stderr_str().as_str()),
        (Some(127), "Program recieved termination signal: Killed\n"),
        "{}",
        show(&out)
    );
}

#[test]
fn exit_paths_and_codes() {
    skip_unless_wasix_libc!("exit_paths_and_codes");
    let w = guest_wasm("exits");
    for (how, code, tail) in [
        ("exit", 7, "atexit ran\n"),
        ("return", 3, "atexit ran\n"),
        ("_exit", 9, ""),
        ("pthread_exit", 0, "atexit ran\n"),
    ] {
        on_both(
            |e| Run::new(&w).engine(e).arg(how).arg(&code.to_string()).run(),
            code,
            &format!("ending by {how} {code}\n{tail}"),
        );
    }
}

/// The wasix-libc cases above where the engines differ are exactly those in the
/// compat-matrix table.
#[test]
fn differing_cases_are_listed() {
    use wasix_compat::matrix::differences::WASIX_RUNTIME_DIFFERENCES;
    let listed: Vec<&str> = WASIX_RUNTIME_DIFFERENCES
        .iter()
        .filter_map(|d| d.0.strip_prefix("wasix-libc:"))
        .collect();
    // preopens_are_root_then_the_mounts, pipes_poll_eventfd_epoll,
    // nonblocking_connect_is_in_progress_until_poll_says_so,
    // sendfile_partial_sends_and_interrupted_waitall, sigkill_is_never_handled,
    // programs_from_the_2022_sysroot_where_the_engines_differ
    assert_eq!(
        listed,
        [
            "preopens",
            "pipes_events",
            "nonblocking-connect",
            "sendfile",
            "sigkill",
            "2022-signals",
            "2022-symlinks"
        ]
    );
}
