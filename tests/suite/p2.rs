//! WASI 0.2 command components on our engine and on wasmtime 48 (`--engine wasmtime`, the
//! reference for components): Rust `wasm32-wasip2` programs built at test time (cached by
//! source hash), plus hand-written WAT components for what std cannot reach (a forged
//! handle, `exit-with-code`). Each test runs its component on both engines and asserts the
//! same exact outcome, or, where the engines differ on purpose, each engine's exact outcome
//! (listed in `COMPONENT_DIFFERENCES`, which feeds the compat-matrix).

use crate::common;

use common::{build_rust, repo, show, tree_snapshot, Engine, Run, TempDir};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Every component test runs on these.
const ENGINES: [Engine; 2] = [Engine::Ours, Engine::Wasmtime];

pub(crate) fn component(name: &str) -> PathBuf {
    build_rust(&format!("tests/guests/p2/{name}.rs"), "wasm32-wasip2")
}

fn wat(name: &str) -> PathBuf {
    repo().join("tests/guests/p2").join(format!("{name}.wat"))
}

#[test]
fn p2_hello_with_args() {
    let wasm = component("hello");
    let argv0 = wasm.file_name().unwrap().to_string_lossy().into_owned();
    for engine in ENGINES {
        let out = Run::new(&wasm).engine(engine).arg("a").arg("b c").run();
        assert_eq!(
            (out.code, out.stdout_str(), out.stderr_str()),
            (
                Some(0),
                format!("hello from a component\narg[0]={argv0}\narg[1]=a\narg[2]=b c\n"),
                String::new()
            ),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

/// `std::process::exit(7)` reaches the host as `wasi:cli/exit#exit(err)`: a 0.2
/// component can only say success or failure there, so the status is 1 (as on wasmtime).
#[test]
fn p2_stdin_env_stderr_exit() {
    let wasm = component("stdio_exit");
    for engine in ENGINES {
        let out = Run::new(&wasm)
            .engine(engine)
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
            "{engine:?}: {}",
            show(&out)
        );
        // `--stdin FILE` instead of the inherited stdin.
        let tmp = TempDir::new("p2-stdin-file");
        let input = tmp.path().join("in.txt");
        std::fs::write(&input, "from a file\n").unwrap();
        let out = Run::new(&wasm)
            .engine(engine)
            .flag("--stdin")
            .flag(&input.display().to_string())
            .run();
        assert_eq!(
            (out.code, out.stdout_str(), out.stderr_str()),
            (
                Some(1),
                "from a file\n".to_string(),
                "to stderr\n".to_string()
            ),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

#[test]
fn p2_clocks_and_random() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let wasm = component("time_random");
    for engine in ENGINES {
        let out = Run::new(&wasm).engine(engine).arg(&now.to_string()).run();
        assert_eq!(
            (out.code, out.stdout_str()),
            (
                Some(0),
                "monotonic: true\nslept at least 20ms: true\nwall within a minute: true\n\
                 random hashers differ: true\n"
                    .to_string()
            ),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

/// std::fs reads through wasi:filesystem from a `--dir` preopen.
#[test]
fn p2_reads_a_file_from_a_preopen() {
    let wasm = component("uses_fs");
    for engine in ENGINES {
        let dir = TempDir::new("p2-uses-fs");
        std::fs::write(dir.path().join("x.txt"), "contents of x\n").unwrap();
        let out = Run::new(&wasm)
            .engine(engine)
            .dir(dir.path(), "/data")
            .run();
        assert_eq!(
            (out.code, out.stdout_str(), out.stderr_str()),
            (Some(0), "contents of x\n".to_string(), String::new()),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

/// An interface we do not provide (wasi:http): the run fails before instantiation,
/// naming the first missing function.
#[test]
fn p2_missing_interface_is_a_link_error() {
    let out = Run::new(wat("uses_http")).run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(1),
            String::new(),
            "wasix-compat: unknown import \
             `wasi:http/outgoing-handler@0.2.0#handle`: wasix-compat provides wasi:cli, \
             wasi:io, wasi:clocks, wasi:random, wasi:filesystem and wasi:sockets 0.2.x so far\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

/// What `fs_ops` prints, on any engine and as component or module.
const FS_OPS_STDOUT: &str = "\
read: \"hello\\n\"
appended: \"hello\\nworld\\n\"
after seek+write: \"hello\\nWorld\\n\"
tail at 8: \"rld\\n\"
big: 64000 bytes, byte 63999 = 63
sub: [\"deep\", \"one\", \"two\"]
create_dir again: AlreadyExists (os error Some(20))
remove_dir non-empty: Uncategorized (os error Some(55))
open missing: NotFound (os error Some(44))
a.txt: len=12 file=true dir=false
sub: file=false dir=true
modified within a minute: true
sub after: [\"deep\", \"three\"]
read_link: \"a.txt\"
through link: \"hello\\nWorld\\n\"
link is symlink: true
a.txt via hard link: \"via hard link\\n\"
grown: [50, 50, 0, 0, 0]
shrunk: [50]
root: [\"a.txt\", \"hard\", \"link\", \"sub\"]
";

/// The host tree `fs_ops` leaves behind.
fn fs_ops_tree() -> BTreeMap<String, String> {
    [
        ("a.txt", "file:via hard link\\n"),
        ("hard", "file:via hard link\\n"),
        ("link", "symlink->a.txt"),
        ("sub", "dir"),
        ("sub/deep", "dir"),
        ("sub/three", "file:2"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// `tests/guests/p2/{name}.rs` built for `target`; one build at a time (two rustc runs
/// on the same source race on their intermediate files).
pub(crate) fn fs_guest(name: &str, target: &str) -> PathBuf {
    fs_guest_at(&format!("tests/guests/p2/{name}.rs"), target)
}

/// `source` built for `target`, one build at a time (as [`fs_guest`]).
pub(crate) fn fs_guest_at(source: &str, target: &str) -> PathBuf {
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILD.lock().unwrap_or_else(|p| p.into_inner());
    build_rust(source, target)
}

pub(crate) fn run_fs_ops(wasm: PathBuf, tag: &str) -> (common::Outcome, BTreeMap<String, String>) {
    run_fs_ops_on(Engine::Ours, wasm, tag)
}

fn run_fs_ops_on(
    engine: Engine,
    wasm: PathBuf,
    tag: &str,
) -> (common::Outcome, BTreeMap<String, String>) {
    let dir = TempDir::new(tag);
    let out = Run::new(wasm).engine(engine).dir(dir.path(), "/data").run();
    (out, tree_snapshot(dir.path()))
}

/// A std::fs program on a `--dir` preopen: files, directories, metadata, links, set_len.
#[test]
fn p2_std_fs_on_a_preopen() {
    let wasm = fs_guest("fs_ops", "wasm32-wasip2");
    for engine in ENGINES {
        let (out, tree) = run_fs_ops_on(engine, wasm.clone(), "p2-fs-ops");
        assert_eq!(
            (out.code, out.stdout_str(), out.stderr_str()),
            (Some(0), FS_OPS_STDOUT.to_string(), String::new()),
            "{engine:?}: {}",
            show(&out)
        );
        assert_eq!(tree, fs_ops_tree(), "{engine:?}");
    }
}

/// The p1 std::fs program wrapped by the official preview1 adapter runs on ours and on
/// wasmtime with the output and host tree the native wasip2 build gives.
#[test]
fn p2_adapter_wrapped_fs_ops_on_both_engines() {
    let wasm = common::adapt(&fs_guest("fs_ops", "wasm32-wasip1"));
    for engine in ENGINES {
        let (out, tree) = run_fs_ops_on(engine, wasm.clone(), "p2-adapted-fs-ops");
        assert_eq!(
            (out.code, out.stdout_str(), out.stderr_str()),
            (Some(0), FS_OPS_STDOUT.to_string(), String::new()),
            "{engine:?}: {}",
            show(&out)
        );
        assert_eq!(tree, fs_ops_tree(), "{engine:?}");
    }
}

/// The migration test: the same std::fs sources built as wasm32-wasip1 modules and as
/// wasm32-wasip2 components print the same and leave the same host trees on ours.
#[test]
pub(crate) fn p2_std_fs_components_match_the_p1_modules() {
    for name in ["fs_ops", "fs_raw"] {
        let (p2, p2_tree) = run_fs_ops(fs_guest(name, "wasm32-wasip2"), "p2-mig-c");
        let (p1, p1_tree) = run_fs_ops(fs_guest(name, "wasm32-wasip1"), "p2-mig-m");
        assert_eq!(
            (p1.code, p1.stdout_str(), p1.stderr_str()),
            (p2.code, p2.stdout_str(), p2.stderr_str()),
            "{name}: module:\n{}\ncomponent:\n{}",
            show(&p1),
            show(&p2)
        );
        assert_eq!(p1_tree, p2_tree, "{name}");
        assert_eq!(p2.code, Some(0), "{name}: {}", show(&p2));
    }
}

/// Positional read/write, sync-data, advise, set-times and set-times-at, through
/// wasi-libc's pread, pwrite, fdatasync, posix_fadvise, futimens and utimensat.
#[test]
fn p2_libc_file_calls_on_a_preopen() {
    let wasm = fs_guest("fs_raw", "wasm32-wasip2");
    for engine in ENGINES {
        libc_file_calls_on(engine, wasm.clone());
    }
}

fn libc_file_calls_on(engine: Engine, wasm: PathBuf) {
    let (out, tree) = run_fs_ops_on(engine, wasm, "p2-fs-raw");
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(0),
            "pread 4 at 3: 4 \"3456\"\n\
             pread 4 at 8: 2 \"89\"\n\
             pread 4 at 20: 0\n\
             pwrite 2 at 4: 2\n\
             pwrite 1 at 12: 1\n\
             fdatasync: 0\n\
             posix_fadvise: 0\n\
             futimens: 0\n\
             mtime: 1500000000.000000250\n\
             utimensat: 0\n\
             mtime: 1700000000.000000007\n\
             content: [48, 49, 50, 51, 65, 66, 54, 55, 56, 57, 0, 0, 90]\n"
                .to_string(),
            String::new()
        ),
        "{engine:?}: {}",
        show(&out)
    );
    assert_eq!(
        tree.into_iter().collect::<Vec<_>>(),
        vec![(
            "r.txt".to_string(),
            "file:0123AB6789\\x00\\x00Z".to_string()
        )],
        "{engine:?}"
    );
}

/// Escapes from the preopen (`..`, absolute paths, symlinks leading out) and changes to a
/// read-only preopen fail with the errors preview1 gives, and nothing outside changes.
/// wasmtime refuses the same calls, with `not-permitted` where we say `read-only` (69).
#[test]
pub(crate) fn p2_std_fs_sandbox() {
    let wasmtime = SANDBOX_STDOUT.replace(
        "ReadOnlyFilesystem (os error Some(69))",
        "PermissionDenied (os error Some(63))",
    );
    assert_eq!(wasmtime.matches("Some(63)").count(), 12);
    for (engine, expected) in [
        (Engine::Ours, SANDBOX_STDOUT),
        (Engine::Wasmtime, &wasmtime),
    ] {
        sandbox_on(engine, expected);
    }
}

fn sandbox_on(engine: Engine, expected: &str) {
    let root = TempDir::new("p2-fs-sandbox");
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(root.path().join("outside.txt"), "secret").unwrap();
    std::fs::write(data.join("inside.txt"), "inside").unwrap();
    let ro = root.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("f.txt"), "read-only").unwrap();
    let before = tree_snapshot(root.path());
    let out = Run::new(fs_guest("fs_sandbox", "wasm32-wasip2"))
        .engine(engine)
        .dir(&data, "/data")
        .dir_ro(&ro, "/ro")
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (Some(0), expected.to_string(), String::new()),
        "{engine:?}: {}",
        show(&out)
    );
    let mut after = tree_snapshot(root.path());
    assert_eq!(
        after.remove("data/up"),
        Some("symlink->..".to_string()),
        "{engine:?}"
    );
    assert_eq!(after, before, "{engine:?}");
    if engine != Engine::Ours {
        return;
    }

    // The same program as a preview1 module answers the same.
    let module = fs_guest("fs_sandbox", "wasm32-wasip1");
    std::fs::remove_file(data.join("up")).unwrap();
    let p1 = Run::new(module)
        .dir(&data, "/data")
        .dir_ro(&ro, "/ro")
        .run();
    assert_eq!(p1.stdout_str(), out.stdout_str(), "{}", show(&p1));
}

/// 63 is preview1's `perm` (EPERM: the core refuses the escape), 44 `noent` (no preopen
/// holds `/etc`), 69 `rofs` (the core's `read-only`).
const SANDBOX_STDOUT: &str = "\
read ../outside.txt: PermissionDenied (os error Some(63))
write ../escaped.txt: PermissionDenied (os error Some(63))
mkdir ../newdir: PermissionDenied (os error Some(63))
read absolute /etc/passwd: NotFound (os error Some(44))
symlink to /etc/passwd: PermissionDenied (os error Some(63))
symlink to ..: ok ()
read up/outside.txt: PermissionDenied (os error Some(63))
write up/escaped.txt: PermissionDenied (os error Some(63))
read inside.txt: ok \"inside\"
ro: read f.txt: ok \"read-only\"
ro: write new.txt: ReadOnlyFilesystem (os error Some(69))
ro: truncate f.txt: ReadOnlyFilesystem (os error Some(69))
ro: mkdir d: ReadOnlyFilesystem (os error Some(69))
ro: remove f.txt: ReadOnlyFilesystem (os error Some(69))
ro: rename f.txt: ReadOnlyFilesystem (os error Some(69))
ro: rename into /data: ReadOnlyFilesystem (os error Some(69))
ro: list: ok [\"f.txt\"]
";

#[test]
fn p2_truncated_component_is_one_error_line() {
    let bytes = std::fs::read(component("hello")).unwrap();
    let dir = TempDir::new("p2-trunc");
    let path = dir.path().join("truncated.wasm");
    std::fs::write(&path, &bytes[..1000]).unwrap();
    for (engine, why) in [
        (Engine::Ours, "invalid component"),
        (
            Engine::Wasmtime,
            "cannot compile component: failed to parse WebAssembly module",
        ),
    ] {
        let out = Run::new(&path).engine(engine).run();
        assert_eq!(
            (out.code, out.stdout_str(), out.stderr_str()),
            (
                Some(1),
                String::new(),
                format!("wasix-compat: {why}: unexpected end-of-file (at offset 0x3e0)\n")
            ),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

/// The wasmtime engine runs components only; a module, or an option it has no equivalent
/// for, is one clear error line.
#[test]
fn p2_wasmtime_engine_refuses_modules_and_tmpfs() {
    let module = fs_guest("fs_ops", "wasm32-wasip1");
    let out = Run::new(&module).engine(Engine::Wasmtime).run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(1),
            String::new(),
            format!(
                "wasix-compat: the wasmtime engine runs WASI 0.2 components only; {} is a core \
                 module (run it with --engine ours or --engine wasmer-wasix)\n",
                module.display()
            )
        ),
        "{}",
        show(&out)
    );
    let out = Run::new(component("hello"))
        .engine(Engine::Wasmtime)
        .flag("--tmpfs")
        .flag("/scratch")
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(1),
            String::new(),
            "wasix-compat: --tmpfs /scratch is not supported by the wasmtime engine (it has no \
             in-memory directories)\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}

#[test]
fn p2_forged_handle_traps() {
    for (engine, why) in [
        (
            Engine::Ours,
            "wasi:io/poll@0.2.0#[method]pollable.ready: unknown handle index 42 (in func[1])",
        ),
        (Engine::Wasmtime, "unknown handle index 42"),
    ] {
        let out = Run::new(wat("forged_handle")).engine(engine).run();
        assert_eq!(
            (out.code, out.stderr_str()),
            (Some(134), format!("wasix-compat: guest trapped: {why}\n")),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

#[test]
fn p2_exit_with_code() {
    for engine in ENGINES {
        let out = Run::new(wat("exit_with_code")).engine(engine).run();
        assert_eq!(
            (out.code, out.stderr_str()),
            (Some(9), String::new()),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

/// A lowering whose core type differs from the WIT function's is refused before `run`.
#[test]
fn p2_wrong_core_signature_is_a_link_error() {
    for (engine, why) in [
        (
            Engine::Ours,
            "import `wasi:clocks/monotonic-clock@0.2.0#now` has core signature () -> (i32), \
             but wasix-compat provides () -> (i64)",
        ),
        (
            Engine::Wasmtime,
            "wasmtime instantiate: component imports instance \
             `wasi:clocks/monotonic-clock@0.2.0`, but a matching implementation was not found \
             in the linker: instance export `now` has the wrong type: type mismatch with \
             results: expected `u64` found `u32`",
        ),
    ] {
        let out = Run::new(wat("wrong_signature")).engine(engine).run();
        assert_eq!(
            (out.code, out.stderr_str()),
            (Some(1), format!("wasix-compat: {why}\n")),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

/// `[resource-drop]pollable` frees the handle: the next use of it traps. The component
/// first checks that a zero-duration pollable is ready, which wasmtime answers `false`
/// on the first `ready` (it yields once), so there it stops at its own `unreachable`;
/// without that check both engines trap on the use after drop.
#[test]
fn p2_use_after_drop_traps() {
    for (engine, why) in [
        (
            Engine::Ours,
            "wasi:io/poll@0.2.0#[method]pollable.ready: unknown handle index 1 (in func[3])",
        ),
        (
            Engine::Wasmtime,
            "wasm trap: wasm `unreachable` instruction executed",
        ),
    ] {
        let out = Run::new(wat("use_after_drop")).engine(engine).run();
        assert_eq!(
            (out.code, out.stderr_str()),
            (Some(134), format!("wasix-compat: guest trapped: {why}\n")),
            "{engine:?}: {}",
            show(&out)
        );
    }
    let text = std::fs::read_to_string(wat("use_after_drop")).unwrap();
    let check = "(if (i32.eqz (call $ready (local.get $h))) (then unreachable))";
    assert!(text.contains(check));
    let tmp = TempDir::new("p2-use-after-drop");
    let unchecked = tmp.path().join("use_after_drop_unchecked.wat");
    std::fs::write(
        &unchecked,
        text.replace(check, "(drop (call $ready (local.get $h)))"),
    )
    .unwrap();
    for (engine, why) in [
        (
            Engine::Ours,
            "wasi:io/poll@0.2.0#[method]pollable.ready: unknown handle index 1 (in func[3])",
        ),
        (Engine::Wasmtime, "unknown handle index 1"),
    ] {
        let out = Run::new(&unchecked).engine(engine).run();
        assert_eq!(
            (out.code, out.stderr_str()),
            (Some(134), format!("wasix-compat: guest trapped: {why}\n")),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

/// A handle of one resource type used as another traps, naming both types.
#[test]
fn p2_wrong_handle_type_traps() {
    for (engine, why) in [
        (
            Engine::Ours,
            "wasi:io/streams@0.2.0#[method]output-stream.subscribe: handle index 1 has type \
             `pollable`, expected `output-stream` (in func[2])",
        ),
        (
            Engine::Wasmtime,
            "handle index 1 used with the wrong type, expected guest-defined resource but \
             found a different guest-defined resource",
        ),
    ] {
        let out = Run::new(wat("wrong_handle_type")).engine(engine).run();
        assert_eq!(
            (out.code, out.stderr_str()),
            (Some(134), format!("wasix-compat: guest trapped: {why}\n")),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

/// A hand-written component for what std::fs never asks through the preview1 adapter:
/// `get-directories`' list, `open-at` results and errors, `is-same-object`,
/// `metadata-hash` and the canonical layout of `descriptor-stat` (each failed check exits
/// with its own status; see the .wat).
#[test]
fn p2_descriptor_identity_and_stat_layout() {
    for engine in ENGINES {
        let dir = TempDir::new("p2-fs-objects");
        std::fs::write(dir.path().join("x.txt"), "content").unwrap();
        let out = Run::new(wat("fs_objects"))
            .engine(engine)
            .dir(dir.path(), "/data")
            .run();
        assert_eq!(
            (out.code, out.stdout_str(), out.stderr_str()),
            (Some(0), String::new(), String::new()),
            "{engine:?}: {}",
            show(&out)
        );
    }
}

/// `blocking-write-zeroes-and-flush` takes at most 4096 bytes (the WIT's limit): 4096
/// zero bytes reach stdout; 4097 trap, naming the limit, instead of looping in the host.
#[test]
fn p2_write_zeroes_keeps_to_the_wit_limit() {
    let text = std::fs::read_to_string(wat("write_zeroes_limit")).unwrap();
    let at_limit = text.replace("(i64.const 4097)", "(i64.const 4096)");
    let tmp = common::TempDir::new("p2-write-zeroes");
    let ok = tmp.path().join("write_zeroes_4096.wat");
    std::fs::write(&ok, at_limit).unwrap();
    for (engine, why) in [
        (
            Engine::Ours,
            "wasi:io/streams@0.2.0#[method]output-stream.blocking-write-zeroes-and-flush: \
             write-zeroes of 4097 bytes exceeds the permitted 4096 (in func[2])",
        ),
        (
            Engine::Wasmtime,
            "Buffer too large for blocking-write-zeroes-and-flush (expected at most 4096)",
        ),
    ] {
        let out = Run::new(&ok).engine(engine).run();
        assert_eq!(
            (out.code, out.stdout.clone(), out.stderr_str()),
            (Some(0), vec![0u8; 4096], String::new()),
            "{engine:?}: {}",
            show(&out)
        );
        let out = Run::new(wat("write_zeroes_limit")).engine(engine).run();
        assert_eq!(
            (out.code, out.stdout.len(), out.stderr_str()),
            (
                Some(134),
                0,
                format!("wasix-compat: guest trapped: {why}\n")
            ),
            "{engine:?}: {}",
            show(&out)
        );
    }
}
