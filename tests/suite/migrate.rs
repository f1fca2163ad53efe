//! `wasix-compat migrate`: a preview1 module wrapped into a WASI 0.2 command component with
//! the official adapter; WASIX modules refused with the imports that have no 0.2
//! equivalent; bad files exit 2.
//!
//! The round trip (each preview1 test program run as its migrated component gives the
//! module's stdout, stderr, exit code and host trees, save for the adapter's own documented
//! differences) is tests/suite/p2_adapter.rs: its [`common::adapt`] runs this command.

use crate::common::{self, bin, build_c, Run, TempDir};
use crate::p2;
use std::path::{Path, PathBuf};
use std::process::Command;

fn migrate_cli(input: &Path, out: &Path) -> std::process::Output {
    Command::new(bin())
        .arg("migrate")
        .arg(input)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// Every preview1 C program the suite builds (tests/guests/c/p1_*.c).
fn p1_programs() -> Vec<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(common::repo().join("tests/guests/c"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("p1_") && n.ends_with(".c"))
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    names
        .iter()
        .map(|n| build_c(&[&format!("tests/guests/c/{n}")], &[]))
        .collect()
}

/// `migrate` writes exactly what wit-component's encoder with the official command adapter
/// makes (the components the round-trip suite runs), for every p1 C program and the Rust
/// wasm32-wasip1 programs.
#[test]
fn migrate_is_the_official_adapter_encoding() {
    let tmp = TempDir::new("migrate-enc");
    let mut modules = p1_programs();
    modules.push(p2::fs_guest("hello", "wasm32-wasip1"));
    modules.push(p2::fs_guest("fs_ops", "wasm32-wasip1"));
    for m in &modules {
        let out = tmp.path().join("out.component.wasm");
        let o = migrate_cli(m, &out);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}",
            m.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        let want = common::adapt_bytes(&std::fs::read(m).unwrap()).unwrap();
        assert!(
            std::fs::read(&out).unwrap() == want,
            "{}: migrate's component differs from the adapter encoding",
            m.display()
        );
        // And `inspect` sees a component with the 0.2 command entry.
        let i = Command::new(bin())
            .arg("inspect")
            .arg(&out)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&i.stdout);
        assert!(text.contains("already a component"), "{text}");
    }
}

/// The p1 C programs with no host tree to set up, and the Rust hello: module and migrated
/// component give the same stdout and exit code on ours (p2_adapter.rs runs every p1
/// program both ways, with its host trees).
#[test]
fn migrate_round_trip_runs_alike() {
    let tmp = TempDir::new("migrate-rt");
    let mut modules = vec![
        build_c(&["tests/guests/c/p1_args_env.c"], &[]),
        build_c(&["tests/guests/c/p1_proc.c"], &[]),
    ];
    modules.push(p2::fs_guest("hello", "wasm32-wasip1"));
    for m in &modules {
        let dir = tmp.path().join(m.file_stem().unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        // The same file name, so argv[0] is the same.
        let c = dir.join(m.file_name().unwrap());
        assert!(migrate_cli(m, &c).status.success());
        let go = |w: &Path| {
            Run::new(w.to_path_buf())
                .env("WXC_A", "1")
                .arg("alpha")
                .stdin(b"stdin-data\n")
                .run()
        };
        let (a, b) = (go(m), go(&c));
        // The adapter's one documented difference here: `proc_exit(n != 0)` is status 1
        // (wasi:cli/exit has ok and err only); p1_proc exits 2 for an unknown mode.
        let want = a.code.map(|c| c.min(1));
        assert_eq!(want, b.code, "{}", m.display());
        assert_eq!(a.stdout_str(), b.stdout_str(), "{}", m.display());
        assert!(
            a.code != Some(0) || !a.stdout_str().is_empty(),
            "{}",
            m.display()
        );
    }
}

/// A WASIX program (plain clang, wasix_32v1 imports): no component, exit 1, and the exact
/// list of imports the adapter cannot satisfy with their nearest 0.2 interface.
#[test]
fn migrate_refuses_wasix_with_the_blockers() {
    let tmp = TempDir::new("migrate-wasix");
    let m = build_c(&["tests/guests/c/port_route.c"], &[]);
    let out = tmp.path().join("x.component.wasm");
    let o = migrate_cli(&m, &out);
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists(), "a component was written");
    let err = String::from_utf8_lossy(&o.stderr).replace(&m.display().to_string(), "FILE");
    assert_eq!(err, PORT_ROUTE_BLOCKED);
}

/// A wasix-libc hello world (shared `env.memory`, the signal / futex / exit2 imports every
/// wasix-libc program has): exit 1 with both reasons and the exact blockers.
#[test]
fn migrate_refuses_wasix_libc_hello() {
    let tmp = TempDir::new("migrate-wasix-libc");
    let m = common::build_wasix_c(&["tests/guests/wasix/hello.c"], &[], common::WASIX_REV);
    let out = tmp.path().join("x.component.wasm");
    let o = migrate_cli(&m, &out);
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
    let err = String::from_utf8_lossy(&o.stderr).replace(&m.display().to_string(), "FILE");
    assert_eq!(
        err,
        "wasix-compat: migrate: FILE: cannot be wrapped as a component
- the preview1 adapter provides the functions of wasi_snapshot_preview1 only: each blocker is an import it cannot satisfy
- a shared memory: components have no threads
  env.memory -> no WASI 0.2 equivalent
  wasix_32v1.callback_signal -> no WASI 0.2 equivalent
  wasix_32v1.thread_signal -> no WASI 0.2 equivalent
  wasix_32v1.futex_wait -> no WASI 0.2 equivalent
  wasix_32v1.futex_wake -> no WASI 0.2 equivalent
  wasix_32v1.futex_wake_all -> no WASI 0.2 equivalent
  wasix_32v1.proc_exit2 -> wasi:cli/exit
  wasix_32v1.proc_signals_get -> no WASI 0.2 equivalent
  wasix_32v1.proc_signals_sizes_get -> no WASI 0.2 equivalent
"
    );
}

/// A component is not wrapped again: exit 1.
#[test]
fn migrate_refuses_a_component() {
    let tmp = TempDir::new("migrate-comp");
    let c = common::adapt(&p2::fs_guest("hello", "wasm32-wasip1"));
    let o = migrate_cli(&c, &tmp.path().join("again.wasm"));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "wasix-compat: migrate: {}: already a component\n",
            c.display()
        )
    );
}

const PORT_ROUTE_BLOCKED: &str = "\
wasix-compat: migrate: FILE: cannot be wrapped as a component
- the preview1 adapter provides the functions of wasi_snapshot_preview1 only: each blocker is an import it cannot satisfy
  wasix_32v1.sock_open -> wasi:sockets
  wasix_32v1.sock_connect -> wasi:sockets
  wasix_32v1.fd_close -> wasi:filesystem
  wasix_32v1.port_route_add -> no WASI 0.2 equivalent
  wasix_32v1.port_route_remove -> no WASI 0.2 equivalent
  wasix_32v1.port_route_clear -> no WASI 0.2 equivalent
  wasix_32v1.port_gateway_set -> no WASI 0.2 equivalent
  wasix_32v1.sock_bind -> wasi:sockets
  wasix_32v1.sock_send_to -> wasi:sockets
";

/// Not wasm: exit 2 with one line; an unreadable file too; no component written.
#[test]
fn migrate_bad_files_exit_2() {
    let tmp = TempDir::new("migrate-bad");
    let garbage = tmp.path().join("garbage.wasm");
    std::fs::write(&garbage, b"\0asm\x01\0\0\0\x01\x05garbage").unwrap();
    let out = tmp.path().join("out.wasm");
    for f in [garbage, tmp.path().join("missing.wasm")] {
        let o = migrate_cli(&f, &out);
        assert_eq!(o.status.code(), Some(2), "{}", f.display());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("wasix-compat: migrate: "), "{err}");
        assert!(!out.exists());
    }
    // Usage: no -o.
    let o = Command::new(bin())
        .arg("migrate")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// `diff --as module,component`: a preview1 program and its migrated component on ours
/// are identical (exit 0); the traces, whose imports differ, are not compared.
#[test]
fn diff_as_module_component_identical() {
    let tmp = TempDir::new("migrate-diff-as");
    std::fs::write(tmp.path().join("in.txt"), b"stdin-data\n").unwrap();
    for m in [
        build_c(&["tests/guests/c/p1_args_env.c"], &[]),
        p2::fs_guest("hello", "wasm32-wasip1"),
    ] {
        // p1_args_env's own checks (see p1_programs.rs) pass only with these.
        let o = Command::new(bin())
            .args(["diff", "--as", "module,component"])
            .args([
                "--env",
                "WXC_A=1",
                "--env",
                "WXC_B=x=y",
                "--env",
                "WXC_EMPTY=",
            ])
            .arg("--stdin")
            .arg(tmp.path().join("in.txt"))
            .arg(&m)
            .args(["--", "alpha", "beta gamma", "ünï", ""])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let head = format!(
            "diff {}: ours (module) vs ours (component): identical (status 0, ",
            m.display()
        );
        assert!(text.starts_with(&head), "{text}");
        assert!(text.ends_with(
            "note: import traces not compared (a module's and a component's imports differ)\n"
        ));
    }
    // A different exit code is found: p1_proc exits 2, the adapter's proc_exit makes it 1.
    let p = build_c(&["tests/guests/c/p1_proc.c"], &[]);
    let o = Command::new(bin())
        .args(["diff", "--as", "module,component"])
        .arg(&p)
        .args(["--", "alpha"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains(
        "first divergence: status at exit status\n  - ours (module): 2\n  + ours (component): 1\n"
    ));
    // A WASIX module has no component form: a setup error (exit 2) naming the blockers.
    let w = build_c(&["tests/guests/c/port_route.c"], &[]);
    let o = Command::new(bin())
        .args(["diff", "--as", "module,component"])
        .arg(&w)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("wasix_32v1.port_route_add -> no WASI 0.2 equivalent"));
}
