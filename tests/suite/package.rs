//! Wasmer packages: `run DIR` (a directory with wasmer.toml) and `run PACKAGE.webc`. The
//! packages are built here, at test time, from our own C program
//! (tests/guests/c/pkg_tool.c): two commands over one module, with declared args and env,
//! and a volume mounted at /data. The `.webc` is the directory's package serialized with
//! `wasmer-package` (the crate `wasmer package build` uses), no network.

use crate::common::{bin, build_c, TempDir};
use std::path::Path;
use std::process::Command;

const WASMER_TOML: &str = r#"[package]
name = "wasix-compat/pkg-test"
version = "0.1.0"
description = "two commands and a volume"
entrypoint = "greet"

[[module]]
name = "tool"
source = "tool.wasm"
abi = "wasi"

[[command]]
name = "greet"
module = "tool"
runner = "wasi"
annotations = { wasi = { main-args = ["greet", "--loud"], env = ["PKG_MODE=greet"] } }

[[command]]
name = "show"
module = "tool"
runner = "wasi"
annotations = { wasi = { main-args = ["show", "/data/greeting.txt", "/data/sub/n.txt"] } }

[[command]]
name = "write"
module = "tool"
runner = "wasi"
annotations = { wasi = { main-args = ["write"] } }

[fs]
"/data" = "data"
"#;

/// The package directory: wasmer.toml, the module, the volume's files.
fn package_dir(tmp: &TempDir) -> std::path::PathBuf {
    let dir = tmp.path().join("pkg");
    std::fs::create_dir_all(dir.join("data/sub")).unwrap();
    std::fs::copy(
        build_c(&["tests/guests/c/pkg_tool.c"], &[]),
        dir.join("tool.wasm"),
    )
    .unwrap();
    std::fs::write(dir.join("data/greeting.txt"), "hello from the volume\n").unwrap();
    std::fs::write(dir.join("data/sub/n.txt"), "nested\n").unwrap();
    std::fs::write(dir.join("wasmer.toml"), WASMER_TOML).unwrap();
    dir
}

/// The same package as a .webc file.
fn webc_file(tmp: &TempDir, dir: &Path) -> std::path::PathBuf {
    let pkg = wasmer_package::package::Package::from_manifest(dir.join("wasmer.toml")).unwrap();
    let out = tmp.path().join("pkg-test.webc");
    std::fs::write(&out, pkg.serialize().unwrap()).unwrap();
    out
}

fn run(args: &[&str], package: &Path, after: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(bin())
        .arg("run")
        .args(args)
        .arg(package)
        .arg("--")
        .args(after)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn each_command(package: &Path) {
    // The entrypoint: its declared args, then the given ones; its declared env.
    assert_eq!(
        run(&[], package, &["extra"]),
        (
            Some(0),
            "argv[0]=greet\nargv[1]=greet\nargv[2]=--loud\nargv[3]=extra\n\
             PKG_MODE=greet\nPKG_EXTRA=(unset)\n"
                .into(),
            String::new()
        )
    );
    // Another command, reading the volume at /data; the user's --env beside it.
    assert_eq!(
        run(&["--command", "show", "--env", "PKG_EXTRA=1"], package, &[]),
        (
            Some(0),
            "argv[0]=show\nargv[1]=show\nargv[2]=/data/greeting.txt\nargv[3]=/data/sub/n.txt\n\
             PKG_MODE=(unset)\nPKG_EXTRA=1\nhello from the volume\nnested\n"
                .into(),
            String::new()
        )
    );
    // Package volumes are read-only, as on wasmer.
    let (code, out, _) = run(&["--command=write"], package, &[]);
    assert_eq!(
        (code, out.lines().last()),
        (Some(0), Some("write: refused"))
    );
    // An unknown command: exit 2, naming the package's commands.
    let (code, _, err) = run(&["--command", "nope"], package, &[]);
    assert_eq!(code, Some(2));
    assert!(
        err.ends_with(": no command `nope` (the package has: greet, show, write)\n"),
        "{err}"
    );
}

#[test]
fn package_dir_runs_each_command() {
    let tmp = TempDir::new("pkg-dir");
    let dir = package_dir(&tmp);
    each_command(&dir);
    // The volume's host files are untouched.
    assert!(!dir.join("data/new.txt").exists());
}

#[test]
fn package_webc_runs_each_command() {
    let tmp = TempDir::new("pkg-webc");
    let dir = package_dir(&tmp);
    let webc = webc_file(&tmp, &dir);
    // The .webc alone: the directory is gone.
    std::fs::remove_dir_all(&dir).unwrap();
    each_command(&webc);
}

/// `--command` on a plain module is a usage error.
#[test]
fn package_command_flag_needs_a_package() {
    let m = build_c(&["tests/guests/c/pkg_tool.c"], &[]);
    let (code, _, err) = run(&["--command", "greet"], &m, &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--command is for wasmer packages"), "{err}");
}
