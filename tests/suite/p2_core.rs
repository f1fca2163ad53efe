//! Core modules (not components) that import WASI 0.2 functions directly: the raw output
//! of a `wasm32-wasip2` compiler before componentization, and a preview1 module that mixes
//! in 0.2 imports. Both run on the component front end's functions over the same core
//! objects as p1 (`get-stdout` is fd 1's stream).

use crate::common;

use common::{build_c, build_rust_args, show, Run};

#[test]
fn p2_core_module_from_rustc_runs_its_wasi_cli_run_export() {
    // `--skip-wit-component`: the linker leaves the core module as the compiler made it,
    // importing `wasi:cli/environment@0.2.x` and the like, exporting `wasi:cli/run#run`.
    let wasm = build_rust_args(
        "tests/guests/p2/hello.rs",
        "wasm32-wasip2",
        &["-C", "link-arg=--skip-wit-component"],
    );
    let bytes = std::fs::read(&wasm).unwrap();
    assert_eq!(
        &bytes[4..8],
        &[1, 0, 0, 0],
        "a core module, not a component"
    );
    let out = Run::new(&wasm).arg("a").arg("b c").run();
    let argv0 = wasm.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(0),
            format!("hello from a component\narg[0]={argv0}\narg[1]=a\narg[2]=b c\n"),
            String::new()
        ),
        "{}",
        show(&out)
    );
}

fn mixed() -> std::path::PathBuf {
    build_c(&["tests/guests/c/mixed_p1_p2.c"], &[])
}

#[test]
fn p2_core_mixed_p1_and_p2_imports_share_stdout() {
    let out = Run::new(mixed()).arg("x").arg("y z").run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(0),
            "p1 first\np2 second\np1 third\nargs agree: 1 (3)\nrandom bytes: 16\n\
             p1 after drop\n"
                .to_string(),
            String::new()
        ),
        "{}",
        show(&out)
    );
}

#[test]
fn p2_core_mixed_dropped_handle_traps() {
    let out = Run::new(mixed()).arg("forge").run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(134),
            "p1 first\np2 second\np1 third\nargs agree: 1 (2)\nrandom bytes: 16\n\
             p1 after drop\n"
                .to_string(),
            "wasix-compat: guest trapped: wasi:io/streams@0.2.0#[method]output-stream.\
             blocking-write-and-flush: unknown handle index 1 (in main)\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

fn wat(name: &str) -> std::path::PathBuf {
    common::repo()
        .join("tests/guests/p2")
        .join(format!("{name}.wat"))
}

/// `(status, stdout, stderr)` of running WAT module `name`.
fn run_wat(name: &str) -> (Option<i32>, String, String) {
    let out = Run::new(wat(name)).run();
    (out.code, out.stdout_str(), out.stderr_str())
}

#[test]
fn p2_core_run_err_is_status_1() {
    assert_eq!(
        run_wat("core_run_err"),
        (Some(1), "run says err\n".into(), String::new())
    );
}

#[test]
fn p2_core_unknown_import_is_named() {
    assert_eq!(
        run_wat("core_unknown_import"),
        (
            Some(1),
            String::new(),
            "wasix-compat: unknown import `wasi:http/outgoing-handler@0.2.0::handle` with \
             signature (i32, i32, i32, i32) -> ()\n"
                .into()
        )
    );
}

#[test]
fn p2_core_wrong_signature_is_named() {
    assert_eq!(
        run_wat("core_wrong_signature"),
        (
            Some(1),
            String::new(),
            "wasix-compat: import `wasi:cli/stdout@0.2.0::get-stdout` has signature \
             () -> (i64), but wasix-compat provides () -> (i32)\n"
                .into()
        )
    );
}

/// wasmer-wasix has no WASI 0.2 functions: the mixed module does not instantiate there.
#[test]
fn p2_core_mixed_module_is_refused_by_wasmer_wasix() {
    let out = Run::new(mixed())
        .engine(common::Engine::WasmerWasix)
        .arg("x")
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(1),
            String::new(),
            "wasix-compat: wasmer-wasix instantiate: Memory access error: Failed to create the \
             instance - Error while importing \"wasi:cli/stdout@0.2.0\".\"get-stdout\": unknown \
             import. Expected Function(FunctionType { params: [], results: [I32] })\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

/// The stream, random and environment functions std never calls (skip, splice,
/// write-zeroes, flush, initial-cwd, the u64 randoms, insecure bytes), on a stdin file.
#[test]
fn p2_core_skip_splice_zeroes_randoms() {
    let dir = common::TempDir::new("p2-core-streams");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "0123456789abcdef").unwrap();
    let out = Run::new(wat("core_streams"))
        .flag("--stdin")
        .flag(input.to_str().unwrap())
        .run();
    assert_eq!(
        (out.code, out.stdout.as_slice(), out.stderr_str()),
        (
            Some(0),
            b"56789abcdef\0\0\0done\n".as_slice(),
            String::new()
        ),
        "{}",
        show(&out)
    );
}

/// A read that fails (stdin is a directory): the `error` resource describes itself and
/// maps to the filesystem error-code `is-directory` (case 14; the guest exits 100 + case).
#[test]
fn p2_core_stream_error_resource() {
    let dir = common::TempDir::new("p2-core-stream-error");
    let out = Run::new(wat("core_stream_error"))
        .flag("--stdin")
        .flag(dir.path().to_str().unwrap())
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (Some(114), "is a directory\n".to_string(), String::new()),
        "{}",
        show(&out)
    );
}
