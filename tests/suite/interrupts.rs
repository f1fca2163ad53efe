//! Blocking calls end when another thread interrupts them: a signal sent to the blocked
//! thread makes its call return EINTR, and an exit from any thread
//! ends the process even while its main thread is blocked writing into a full stdout pipe.
//! Our C guest (`tests/guests/wasix/interrupts.c`) built with wasix-libc, run by the CLI.

use crate::common;

use common::{bin, build_wasix_c, record_imports, show, skip_without_wasix_libc, Run, WASIX_REV};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn guest() -> PathBuf {
    build_wasix_c(&["tests/guests/wasix/interrupts.c"], &[], WASIX_REV)
}

macro_rules! need_wasix_libc {
    ($name:expr) => {
        if skip_without_wasix_libc($name) {
            return;
        }
    };
}

/// A worker blocked in `mode` gets SIGUSR1 from main: the call returns EINTR and the
/// program ends normally.
fn interrupted(mode: &str, flags: &[&str]) {
    let mut run = Run::new(guest()).arg(mode).timeout(Duration::from_secs(30));
    for f in flags {
        run = run.flag(f);
    }
    let out = run.run();
    assert!(!out.timed_out, "{mode}: timed out\n{}", show(&out));
    assert_eq!(
        (out.code, out.stdout_str()),
        (Some(0), format!("{mode}: EINTR\nfailures=0\n")),
        "{}",
        show(&out)
    );
}

#[test]
fn signal_interrupts_a_pipe_read() {
    need_wasix_libc!("signal_interrupts_a_pipe_read");
    interrupted("read", &[]);
}

#[test]
fn signal_interrupts_poll_oneoff() {
    need_wasix_libc!("signal_interrupts_poll_oneoff");
    interrupted("poll", &[]);
}

#[test]
fn signal_interrupts_epoll_wait() {
    need_wasix_libc!("signal_interrupts_epoll_wait");
    interrupted("epoll", &[]);
}

#[test]
fn signal_interrupts_futex_wait() {
    need_wasix_libc!("signal_interrupts_futex_wait");
    interrupted("futex", &[]);
}

#[test]
fn signal_interrupts_sock_accept() {
    need_wasix_libc!("signal_interrupts_sock_accept");
    interrupted("accept", &["--net"]);
}

/// A worker calls exit(3) while main is blocked writing into a stdout pipe that nobody
/// reads: the process exits with 3 (it used to hang in the kernel's write).
#[test]
fn exit_from_a_worker_ends_a_main_blocked_writing_stdout() {
    need_wasix_libc!("exit_from_a_worker_ends_a_main_blocked_writing_stdout");
    let wasm = guest();
    let mut cmd = Command::new(bin());
    cmd.env(
        "WASIX_COMPAT_CACHE_DIR",
        common::repo().join("target/module-cache"),
    );
    record_imports(&mut cmd);
    // The test holds the read end of stdout and never reads it.
    let mut child = cmd
        .arg("run")
        .arg(&wasm)
        .arg("--")
        .arg("stdout")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn wasix-compat");
    let _unread = child.stdout.take();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(3),
        "hung or wrong status"
    );
}

/// MSG_WAITALL | MSG_DONTWAIT on a TCP socket holding 3 of the 10 bytes asked for returns
/// the 3 at once (it used to keep waiting for the rest), then EAGAIN.
#[test]
fn waitall_with_dontwait_does_not_block() {
    need_wasix_libc!("waitall_with_dontwait_does_not_block");
    let out = Run::new(guest())
        .flag("--net")
        .arg("waitall")
        .timeout(Duration::from_secs(30))
        .run();
    assert!(!out.timed_out, "timed out\n{}", show(&out));
    assert_eq!(
        (out.code, out.stdout_str().as_str()),
        (Some(0), "waitall dontwait: 3\nagain: EAGAIN\nfailures=0\n"),
        "{}",
        show(&out)
    );
}
