//! WASI 0.2 command components on our engine: Rust `wasm32-wasip2` programs built at test
//! time (cached by source hash), plus hand-written WAT components for what std cannot
//! reach (a forged handle, `exit-with-code`).

use crate::common;

use common::{build_rust, repo, show, Run, TempDir};
use std::path::PathBuf;

fn component(name: &str) -> PathBuf {
    build_rust(&format!("tests/guests/p2/{name}.rs"), "wasm32-wasip2")
}

fn wat(name: &str) -> PathBuf {
    repo().join("tests/guests/p2").join(format!("{name}.wat"))
}

#[test]
fn p2_hello_with_args() {
    let wasm = component("hello");
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

/// `std::process::exit(7)` reaches the host as `wasi:cli/exit#exit(err)`: a 0.2
/// component can only say success or failure there, so the status is 1 (as on wasmtime).
#[test]
fn p2_stdin_env_stderr_exit() {
    let out = Run::new(component("stdio_exit"))
        .env("P2_A", "x")
        .env("P2_B", "y z")
        .env("OTHER", "hidden")
        .stdin(b"line one\nline two\n")
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(1),
            "line one\nline two\nP2_A=x\nP2_B=y z\n".to_string(),
            "to stderr\n".to_string()
        ),
        "{}",
        show(&out)
    );
}

#[test]
fn p2_clocks_and_random() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = Run::new(component("time_random"))
        .arg(&now.to_string())
        .run();
    assert_eq!(
        (out.code, out.stdout_str()),
        (
            Some(0),
            "monotonic: true\nslept at least 20ms: true\nwall within a minute: true\n\
             random hashers differ: true\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

/// std::fs needs wasi:filesystem, which this increment does not provide: the run fails
/// before instantiation, naming the first missing function.
#[test]
fn p2_missing_interface_is_a_link_error() {
    let out = Run::new(component("uses_fs")).run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(1),
            String::new(),
            "wasix-compat: unknown import \
             `wasi:filesystem/types@0.2.6#[method]descriptor.read-via-stream`: wasix-compat \
             provides wasi:cli, wasi:io, wasi:clocks and wasi:random 0.2.x so far\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

#[test]
fn p2_truncated_component_is_one_error_line() {
    let bytes = std::fs::read(component("hello")).unwrap();
    let dir = TempDir::new("p2-trunc");
    let path = dir.path().join("truncated.wasm");
    std::fs::write(&path, &bytes[..1000]).unwrap();
    let out = Run::new(&path).run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(1),
            String::new(),
            "wasix-compat: invalid component: unexpected end-of-file (at offset 0x3e0)\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

#[test]
fn p2_forged_handle_traps() {
    let out = Run::new(wat("forged_handle")).run();
    assert_eq!(
        (out.code, out.stderr_str()),
        (
            Some(134),
            "wasix-compat: guest trapped: wasi:io/poll@0.2.0#[method]pollable.ready: \
             unknown handle index 42 (in func[1])\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

#[test]
fn p2_exit_with_code() {
    let out = Run::new(wat("exit_with_code")).run();
    assert_eq!(
        (out.code, out.stderr_str()),
        (Some(9), String::new()),
        "{}",
        show(&out)
    );
}

/// A lowering whose core type differs from the WIT function's is refused before `run`.
#[test]
fn p2_wrong_core_signature_is_a_link_error() {
    let out = Run::new(wat("wrong_signature")).run();
    assert_eq!(
        (out.code, out.stderr_str()),
        (
            Some(1),
            "wasix-compat: import `wasi:clocks/monotonic-clock@0.2.0#now` has core signature \
             () -> (i32), but wasix-compat provides () -> (i64)\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

/// `[resource-drop]pollable` frees the handle: the next use of it traps.
#[test]
fn p2_use_after_drop_traps() {
    let out = Run::new(wat("use_after_drop")).run();
    assert_eq!(
        (out.code, out.stderr_str()),
        (
            Some(134),
            "wasix-compat: guest trapped: wasi:io/poll@0.2.0#[method]pollable.ready: \
             unknown handle index 1 (in func[3])\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

/// A handle of one resource type used as another traps, naming both types.
#[test]
fn p2_wrong_handle_type_traps() {
    let out = Run::new(wat("wrong_handle_type")).run();
    assert_eq!(
        (out.code, out.stderr_str()),
        (
            Some(134),
            "wasix-compat: guest trapped: wasi:io/streams@0.2.0#[method]output-stream.subscribe: \
             handle index 1 has type `pollable`, expected `output-stream` (in func[2])\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}
