//! The preview1 C programs again, with their imports re-targeted to `wasix_32v1` (all of
//! them) and to `wasi_unstable` (all but the functions whose layout differs there, which
//! stay on preview1): every function of both namespaces gets the same functional checks.

use crate::common;
use common::*;

/// Programs re-targeted here (p1_proc is left out: it exits through the host).
const PROGRAMS: &[&str] = &[
    "p1_fd_io",
    "p1_fd_meta",
    "p1_readdir",
    "p1_path",
    "p1_poll",
    "p1_sock",
    "p1_clock_random",
];

fn program(stem: &str) -> std::path::PathBuf {
    build_c(&[&format!("tests/guests/c/{stem}.c")], &[])
}

fn imports_of(wasm: &std::path::Path) -> Vec<(String, String)> {
    let engine = wasmer::Engine::default();
    let m = wasmer::Module::new(&engine, std::fs::read(wasm).unwrap()).unwrap();
    m.imports()
        .functions()
        .map(|i| (i.module().to_string(), i.name().to_string()))
        .collect()
}

/// Runs `stem` under namespace `ns` with the setup `f`, expecting success.
fn check(stem: &str, ns: &str, keep: &[&str], f: impl Fn(Run) -> Run) {
    let wasm = retarget_imports(&program(stem), ns, keep);
    let imports = imports_of(&wasm);
    assert!(
        imports.iter().any(|(m, _)| m == ns),
        "{stem}: nothing imported from {ns}"
    );
    assert!(
        imports
            .iter()
            .all(|(m, n)| m == ns || keep.contains(&n.as_str())),
        "{stem}: unexpected imports left on another namespace: {imports:?}"
    );
    let tmp = TempDir::new(&format!("ns-{stem}"));
    // As preview1 programs they expect only their preopen (fd 3), not a WASIX root.
    let out = f(Run::new(&wasm)
        .flag("--preopens-only")
        .dir(tmp.path(), "/sandbox"))
    .run();
    out.assert_ok();
    assert!(
        has_line(&out.stdout_str(), "done: 0 failure(s)"),
        "{stem} under {ns}:\n{}",
        out.stdout_str()
    );
}

fn all_programs(ns: &str, keep: &[&str]) {
    for stem in PROGRAMS {
        // A module importing WASIX gets wasmer-wasix's dup2 for fd_renumber (wasix-libc's
        // dup2 is that import).
        let wasix = ns.starts_with("wasix");
        check(stem, ns, keep, |r| match wasix {
            true => r.env("WXC_RENUMBER_IS_DUP2", "1"),
            false => r,
        });
    }
    check("p1_args_env", ns, keep, |r| {
        r.env("WXC_A", "1")
            .env("WXC_B", "x=y")
            .env("WXC_EMPTY", "")
            .arg("alpha")
            .arg("beta gamma")
            .arg("ünï")
            .arg("")
            .stdin(b"stdin-data\n")
    });
}

#[test]
fn preview1_programs_under_wasix_32v1() {
    all_programs("wasix_32v1", &[]);
}

#[test]
fn preview1_programs_under_wasi_unstable() {
    // Functions whose layout differs (or that do not exist there) stay on preview1.
    let mut keep = wasix_compat::witx::UNSTABLE_DIFFERS.to_vec();
    keep.push("sock_accept");
    all_programs("wasi_unstable", &keep);
}
